import { describe, expect, it, vi } from 'vitest'
import { QueryCache } from '../src/cache/query-cache.js'
import { tableFromRows } from '../src/table/builder.js'

const table = tableFromRows([{ a: 1 }])

describe('QueryCache', () => {
  it('gives different keys for different SQL, params, shape or connection', () => {
    const c = new QueryCache()
    const base = c.key('sqlite:abc', 'select 1', [1], null)
    expect(c.key('sqlite:abc', 'select 1', [1], null)).toBe(base)
    expect(c.key('sqlite:abc', 'select 2', [1], null)).not.toBe(base)
    expect(c.key('sqlite:abc', 'select 1', ['1'], null)).not.toBe(base)
    expect(c.key('sqlite:abc', 'select 1', [1], 'id')).not.toBe(base)
    expect(c.key('sqlite:xyz', 'select 1', [1], null)).not.toBe(base)
  })

  it('keeps parameter values out of the key', () => {
    const c = new QueryCache()
    expect(c.key('id', 'select :p', ['hunter2'], null)).not.toContain('hunter2')
  })

  // The store below fails on purpose: it stands in for a cache server that is down.
  it('answers from the query when the store fails, and reports the failure', async () => {
    const errors: unknown[] = []
    const broken = {
      get: async () => {
        throw new Error('store down')
      },
      set: async () => {
        throw new Error('store down')
      },
      delete: async () => false,
      clear: async () => {},
    }
    const c = new QueryCache({ store: broken as never }, { onError: (e) => errors.push(e) })
    let runs = 0
    const result = await c.getOrRun('k', undefined, async () => {
      runs++
      return table
    })
    expect(result).toEqual({ table, hit: false })
    expect(runs).toBe(1)
    expect(errors.length).toBeGreaterThanOrEqual(1)
  })

  it('bounds the in-memory store by maxEntries', async () => {
    const c = new QueryCache({ maxEntries: 2 })
    let runs = 0
    const run = async () => {
      runs++
      return table
    }
    await c.getOrRun('a', undefined, run)
    await c.getOrRun('b', undefined, run)
    await c.getOrRun('c', undefined, run)
    await c.getOrRun('a', undefined, run)
    expect(runs).toBe(4)
    await c.getOrRun('c', undefined, run)
    expect(runs).toBe(4)
  })
})

describe('stale-while-revalidate', () => {
  it('serves an expired result once while one refresh runs, then the refreshed one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const c = new QueryCache({ maxEntries: 10, staleWhileRevalidate: '1m' })
      let version = 0
      const run = async () => tableFromRows([{ version: ++version }])
      expect((await c.getOrRun('k', 10_000, run)).table.get(0)).toEqual({ version: 1 })
      vi.advanceTimersByTime(15_000) // past the ttl, inside the stale window
      const stale = await c.getOrRun('k', 10_000, run)
      expect(stale).toMatchObject({ hit: true })
      expect(stale.table.get(0)).toEqual({ version: 1 })
      // The refresh is in flight: a caller now joins it (single flight) and gets its result, so
      // awaiting that call is awaiting the refresh, without polling or sleeping.
      expect((await c.getOrRun('k', 10_000, run)).table.get(0)).toEqual({ version: 2 })
      const refreshed = await c.getOrRun('k', 10_000, run)
      expect(refreshed).toMatchObject({ hit: true })
      expect(refreshed.table.get(0)).toEqual({ version: 2 })
      expect(version).toBe(2)
      expect(c.stats.staleHits).toBe(1)
      vi.advanceTimersByTime(2 * 60_000) // past ttl + stale window: a plain miss
      expect((await c.getOrRun('k', 10_000, run)).hit).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('values a byte store cannot keep exactly', () => {
  it('are not cached, and the query still answers', async () => {
    class Interval {
      constructor(readonly minutes: number) {}
    }
    const c = new QueryCache({ store: new Map(), serialize: true })
    let runs = 0
    const run = async () => {
      runs++
      return tableFromRows([{ span: new Interval(5) }])
    }
    const first = await c.getOrRun('k', undefined, run)
    const second = await c.getOrRun('k', undefined, run)
    expect(first.table.get(0)!.span).toBeInstanceOf(Interval)
    expect(second.hit).toBe(false)
    expect(runs).toBe(2)
    expect(c.stats.skipped).toBe(2)
  })
})
