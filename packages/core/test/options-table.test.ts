import { describe, expect, it } from 'vitest'
import { missingOptionRows, type OptionSpec, optionsTable } from '../src/index.js'

const options: OptionSpec[] = [
  { name: 'path', type: 'string', required: true, description: 'Where the file is.' },
  { name: 'token', type: 'string', secret: true, description: 'A | in a description.' },
]

describe('checking a doc against the declared options', () => {
  it('accepts the generated table however a formatter aligned its cells', () => {
    const aligned = optionsTable(options)
      .split('\n')
      .map((l) => l.replace(/ \| /g, '    |    '))
      .join('\n')
    expect(missingOptionRows(`# Options\n\n${aligned}\n`, options)).toEqual([])
  })

  it('names the row of an option the doc does not list as declared', () => {
    const stale = optionsTable(options).replace('Where the file is.', 'Where it was.')
    expect(missingOptionRows(stale, options)).toEqual(['|`path`|string|yes||||Where the file is.|'])
  })
})
