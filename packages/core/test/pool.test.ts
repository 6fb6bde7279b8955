import { afterEach, describe, expect, it, vi } from 'vitest'
import { type DrainablePool, endWhenIdle, isNetworkErrorCode } from '../src/pool.js'

afterEach(() => {
  vi.useRealTimers()
})

/** A pool stand-in whose idleness the test sets, recording what endWhenIdle did to it. */
function fakePool(idle: boolean, extra: Partial<DrainablePool> = {}) {
  const did: string[] = []
  const pool = {
    busy: !idle,
    idle: (): boolean => !pool.busy,
    failWaiting: () => did.push('failWaiting'),
    end: async () => {
      did.push('end')
    },
    ...extra,
  }
  return { pool, did }
}

describe('endWhenIdle', () => {
  it('ends an idle pool at once', async () => {
    const { pool, did } = fakePool(true)
    await endWhenIdle(pool)
    expect(did).toEqual(['failWaiting', 'end'])
  })

  it('lets a busy pool finish its work before ending it', async () => {
    vi.useFakeTimers()
    const { pool, did } = fakePool(false)
    let ended = false
    const drained = endWhenIdle(pool, { poll: 50, grace: 10_000 }).then(() => {
      ended = true
    })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(did).toEqual([])
    pool.busy = false
    await vi.advanceTimersByTimeAsync(50)
    await drained
    expect(ended).toBe(true)
    expect(did).toEqual(['failWaiting', 'end'])
  })

  it('ends a pool that is never idle once the grace period is over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] })
    const { pool, did } = fakePool(false)
    const drained = endWhenIdle(pool, { poll: 50, grace: 1_000 })
    await vi.advanceTimersByTimeAsync(1_050)
    await drained
    expect(did).toEqual(['failWaiting', 'end'])
  })

  it('does not end a pool the user ended already', async () => {
    const { pool, did } = fakePool(true, { ended: () => true })
    await endWhenIdle(pool)
    expect(did).toEqual([])
  })

  it('resolves when end() fails or never calls back (with endTimeout)', async () => {
    await endWhenIdle({ idle: () => true, end: () => Promise.reject(new Error('ended already')) })
    await endWhenIdle({
      idle: () => true,
      end: () => {
        throw new Error('ended already')
      },
    })
    vi.useFakeTimers()
    const hung = endWhenIdle({ idle: () => true, end: () => new Promise<void>(() => {}) }, { endTimeout: 2_000 })
    await vi.advanceTimersByTimeAsync(2_000)
    await hung
  })
})

describe('network error codes', () => {
  it('counts a lost, refused or unreachable connection, not an unknown host', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENETDOWN']) {
      expect(isNetworkErrorCode(code)).toBe(true)
    }
    expect(isNetworkErrorCode('ENOTFOUND')).toBe(false)
    expect(isNetworkErrorCode('42P01')).toBe(false)
    expect(isNetworkErrorCode(undefined)).toBe(false)
  })
})
