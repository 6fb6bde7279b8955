import { readFileSync } from 'node:fs'
import { optionsTable } from '@sqlconn/core'
import { describe, expect, it } from 'vitest'
import { DOCUMENTED_OPTIONS } from '../src/options.js'

/** A Markdown table's rows with the cell padding removed, so a reformatted table still compares. */
function rows(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .join('|'),
    )
}

describe('docs/duckdb.md', () => {
  it('lists the options exactly as the declarations generate them', () => {
    const docs = readFileSync(new URL('../../../docs/duckdb.md', import.meta.url), 'utf8')
    for (const row of rows(optionsTable(DOCUMENTED_OPTIONS))) expect(rows(docs)).toContain(row)
  })
})
