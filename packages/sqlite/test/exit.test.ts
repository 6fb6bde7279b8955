import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { runScript } from '@sqlconn/core/testing'
import { describe, expect, it } from 'vitest'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const script = fileURLToPath(new URL('./fixtures/redis-script-without-close.mjs', import.meta.url))
const packageDir = fileURLToPath(new URL('..', import.meta.url))

describe('a script with a Redis query cache that never calls closeAll()', () => {
  it('ends once its queries are done', async () => {
    const run = await runScript(script, [REDIS_URL, randomUUID()], { ms: 8000, cwd: packageDir })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ answer: 42, hits: [false, true] })
  })

  // Refused at once (port 1): the client's reconnect loop must not keep the script running. The
  // second read is answered by the process's memory tier, which does not need Redis.
  it('ends too when Redis cannot be reached, its queries answered by the database and memory', async () => {
    const run = await runScript(script, ['redis://127.0.0.1:1', randomUUID()], { ms: 20_000, cwd: packageDir })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ answer: 42, hits: [false, true] })
  })
})
