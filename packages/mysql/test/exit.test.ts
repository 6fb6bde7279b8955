import { fileURLToPath } from 'node:url'
import { runScript } from '@sqlconn/core/testing'
import { describe, expect, it } from 'vitest'
import { TEST_URL } from './helpers.js'

const script = fileURLToPath(new URL('./fixtures/script-without-close.mjs', import.meta.url))

describe('a script that never calls closeAll()', () => {
  // mysql2 keeps idle pool connections open (and referenced) for good.
  it('ends once its query is done', async () => {
    const run = await runScript(script, [TEST_URL], { ms: 8000 })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ answer: 42 })
  })
})
