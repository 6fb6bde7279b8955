import { describe, expect, it } from 'vitest'
import { isConnectionRefused, REFUSED_MAX_DELAY, RETRY_DEFAULTS, retryPolicy } from '../src/retry.js'

// The errors below are plain objects shaped like Node's socket errors: these tests judge the
// backoff arithmetic. Real refusals and restarts are in the postgres and mysql restart tests.
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
const transient = (e: unknown) => e === refused || e === reset

/** Runs `policy` against a function that throws `error` `failures` times, and returns the delays it waited. */
async function delays(options: Parameters<typeof retryPolicy>[0], error: unknown, failures: number): Promise<number[]> {
  const policy = retryPolicy(options, transient)
  const out: number[] = []
  policy.onRetry((e) => out.push(e.delay))
  let left = failures
  await policy.execute(() => {
    if (left-- > 0) throw error
    return 'ok'
  })
  return out
}

describe('default retry settings', () => {
  it('bound retries by time (15 s), not by a count of attempts', () => {
    expect(RETRY_DEFAULTS.maxDuration).toBe(15_000)
    expect(RETRY_DEFAULTS.maxAttempts).toBe(Number.POSITIVE_INFINITY)
  })

  it('keep retrying past the old limit of 3 attempts', async () => {
    const waited = await delays({ initialDelay: 1, maxDelay: 2 }, reset, 12)
    expect(waited).toHaveLength(12)
  })

  it('double each delay up to maxDelay, each between half and all of its step', async () => {
    const waited = await delays({ initialDelay: 4, maxDelay: 32 }, reset, 7)
    const steps = [4, 8, 16, 32, 32, 32, 32]
    for (const [i, d] of waited.entries()) {
      expect(d).toBeGreaterThanOrEqual(steps[i]! / 2)
      expect(d).toBeLessThanOrEqual(steps[i]!)
    }
  })

  it('wait at most 250 ms after a refused connection, however many attempts came before', async () => {
    const policy = retryPolicy({ initialDelay: 100, maxDelay: 1000, maxAttempts: 5 }, transient)
    const waited: number[] = []
    policy.onRetry((e) => waited.push(e.delay))
    await policy.execute(({ attempt }) => {
      if (attempt < 5) throw refused
      return 'ok'
    })
    expect(waited).toHaveLength(5)
    expect(Math.max(...waited)).toBeLessThanOrEqual(REFUSED_MAX_DELAY)
  })

  it('stop at once when retry is false', async () => {
    const policy = retryPolicy(false, transient)
    await expect(policy.execute(() => Promise.reject(reset))).rejects.toBe(reset)
  })
})

describe('isConnectionRefused', () => {
  it('finds ECONNREFUSED on the error, inside an AggregateError and as a cause', () => {
    expect(isConnectionRefused(refused)).toBe(true)
    expect(isConnectionRefused(new AggregateError([reset, refused]))).toBe(true)
    expect(isConnectionRefused(new Error('wrapped', { cause: refused }))).toBe(true)
    expect(isConnectionRefused(reset)).toBe(false)
    expect(isConnectionRefused(null)).toBe(false)
  })
})
