import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { runScript } from '@sqlconn/core/testing'
import { describe, expect, it } from 'vitest'
import { TEST_URL } from './helpers.js'

const script = fileURLToPath(new URL('./fixtures/script-without-close.mjs', import.meta.url))
const redisScript = fileURLToPath(new URL('./fixtures/redis-script-without-close.mjs', import.meta.url))
const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

describe('a script that never calls closeAll()', () => {
  // pg-pool closes idle clients after idleTimeoutMillis (10 s); until then they held the process.
  it('ends once its query is done, well before the idle clients would time out', async () => {
    const run = await runScript(script, [TEST_URL], { ms: 8000 })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ answer: 42 })
  })

  it("ends with a Redis query cache too (caching.md's example)", async () => {
    const run = await runScript(redisScript, [TEST_URL, REDIS_URL, randomUUID()], { ms: 8000 })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ answer: 42, hits: [false, true] })
  })
})
