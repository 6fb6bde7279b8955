import { fileURLToPath } from 'node:url'
import { runScript } from '@sqlconn/core/testing'
import { describe, expect, it } from 'vitest'
import { TEST_URL } from './helpers.js'

const script = fileURLToPath(new URL('./fixtures/script-without-close.mjs', import.meta.url))

describe('a script that never calls closeAll()', () => {
  // pg-pool closes idle clients after idleTimeoutMillis (10 s); until then they held the process.
  it('ends once its query is done, well before the idle clients would time out', async () => {
    const run = await runScript(script, [TEST_URL], { ms: 8000 })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ answer: 42 })
  })
})
