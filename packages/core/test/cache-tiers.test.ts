import { randomUUID } from 'node:crypto'
import { createClient } from '@keyv/redis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseBytes } from '../src/cache/options.js'
import { QueryCache } from '../src/cache/query-cache.js'
import { tableFromRows } from '../src/table/builder.js'
import type { RowTable } from '../src/table/table.js'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = createClient({ url: REDIS_URL })

beforeAll(async () => {
  await redis.connect()
})

afterAll(async () => {
  const keys = await redis.keys('sqlconn-tiers-*')
  if (keys.length) await redis.del(keys)
  redis.destroy()
})

function namespace(): string {
  return `sqlconn-tiers-${randomUUID().slice(0, 8)}`
}

/** A table of `n` float64 values: 8 bytes each in column storage. */
function floats(n: number, seed = 0): RowTable {
  return tableFromRows(Array.from({ length: n }, (_, i) => ({ x: i + seed + 0.5 })))
}

/** Events for a cache, and a gate that opens when its bus delivers the next message (not a sleep). */
function busGate(): { events: { onBus: () => void }; next(): Promise<void> } {
  let open: (() => void) | undefined
  return {
    events: { onBus: () => open?.() },
    next: () =>
      new Promise((resolve) => {
        open = resolve
      }),
  }
}

describe('the memory cache bounded by bytes', () => {
  it('evicts the least recently used result once the bytes are spent', async () => {
    // Three 1,000-row float columns are ~8 KB each: 20 KB holds two.
    const c = new QueryCache({ maxSize: 20_000 })
    const runs: string[] = []
    const run = (name: string) => async () => {
      runs.push(name)
      return floats(1000)
    }
    await c.getOrRun('a', undefined, run('a'))
    await c.getOrRun('b', undefined, run('b'))
    await c.getOrRun('a', undefined, run('a')) // a is now the most recently used
    await c.getOrRun('c', undefined, run('c')) // evicts b
    await c.getOrRun('a', undefined, run('a'))
    await c.getOrRun('b', undefined, run('b'))
    expect(runs).toEqual(['a', 'b', 'c', 'b'])
    expect(c.memory!.bytes).toBeLessThanOrEqual(20_000)
  })

  it('does not keep a result larger than the whole bound, and still answers', async () => {
    const c = new QueryCache({ maxSize: '4KB' })
    let runs = 0
    const run = async () => {
      runs++
      return floats(1000)
    }
    expect((await c.getOrRun('big', undefined, run)).table.numRows).toBe(1000)
    expect((await c.getOrRun('big', undefined, run)).hit).toBe(false)
    expect(runs).toBe(2)
    expect(c.stats.skipped).toBe(2)
  })

  it('reads sizes written as text', () => {
    expect(parseBytes('256MB')).toBe(256 * 1024 * 1024)
    expect(parseBytes('1.5KB')).toBe(1536)
    expect(() => parseBytes('lots')).toThrow(/maxSize/)
  })
})

describe('stats', () => {
  it('count the refresh of an expired result as a miss, and a grace answer as a grace hit', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const c = new QueryCache({ maxEntries: 10, grace: '1h' })
      const errors: unknown[] = []
      const g = new QueryCache({ maxEntries: 10, grace: '1h' }, { onError: (e) => errors.push(e) })
      await c.getOrRun('refresh', 1000, async () => floats(1))
      await g.getOrRun('grace', 1000, async () => floats(1, 7))
      vi.setSystemTime(Date.now() + 2000)
      expect((await c.getOrRun('refresh', 1000, async () => floats(1, 1))).hit).toBe(false)
      expect(c.stats).toMatchObject({ misses: 2, hits: 0, graceHits: 0 })
      const failure = new Error('database down')
      const served = await g.getOrRun('grace', 1000, async () => {
        throw failure
      })
      expect(served.table.get(0)).toEqual({ x: 7.5 })
      expect(g.stats).toMatchObject({ misses: 1, graceHits: 1 })
      expect(errors).toEqual([failure])
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('scopes', () => {
  it('keep one user’s result from another user', async () => {
    const c = new QueryCache({ maxEntries: 10 })
    const key = (scope: string) => c.key('sqlite:abc', 'select * from mine', [], null, scope)
    await c.getOrRun(key('alice'), undefined, async () => tableFromRows([{ owner: 'alice' }]))
    const bob = await c.getOrRun(key('bob'), undefined, async () => tableFromRows([{ owner: 'bob' }]))
    expect(bob.hit).toBe(false)
    expect(bob.table.get(0)).toEqual({ owner: 'bob' })
    expect(key('alice')).not.toContain('alice')
    expect(c.key('sqlite:abc', 'select * from mine', [], null)).not.toBe(key('alice'))
  })
})

describe('tags in memory', () => {
  it('invalidating a tag drops its results and keeps the others', async () => {
    const c = new QueryCache({ maxEntries: 10 })
    let runs = 0
    const run = async () => {
      runs++
      return floats(1)
    }
    await c.getOrRun('orders', undefined, run, { tags: ['orders'] })
    await c.getOrRun('users', undefined, run, { tags: ['users'] })
    await c.invalidateTags(['orders'])
    expect((await c.getOrRun('orders', undefined, run)).hit).toBe(false)
    expect((await c.getOrRun('users', undefined, run)).hit).toBe(true)
    expect(runs).toBe(3)
  })

  it('a tag is kept as a hash under the namespace, never as given', () => {
    const c = new QueryCache({ maxEntries: 10 })
    expect(c.tagHash('orders')).toBe(c.tagHash('orders'))
    expect(c.tagHash('orders')).not.toContain('orders')
    expect(new QueryCache({ namespace: 'other' }).tagHash('orders')).not.toBe(c.tagHash('orders'))
  })
})

describe('two tiers on Redis', () => {
  it('counts a memory hit and a Redis hit apart', async () => {
    const ns = namespace()
    const a = new QueryCache({ url: REDIS_URL, namespace: ns, maxEntries: 10 })
    const b = new QueryCache({ url: REDIS_URL, namespace: ns, maxEntries: 10 })
    const key = a.key('id', 'select tiers', [], null)
    await a.getOrRun(key, 60_000, async () => floats(3))
    expect((await b.getOrRun(key, 60_000, async () => floats(3))).hit).toBe(true) // from Redis, fills b's L1
    expect((await b.getOrRun(key, 60_000, async () => floats(3))).hit).toBe(true) // from b's L1
    expect(b.stats).toMatchObject({ hits: 2, l1Hits: 1, l2Hits: 1, misses: 0, bus: 'up' })
    expect(a.stats).toMatchObject({ hits: 0, misses: 1 })
    await a.close()
    await b.close()
  })

  it('invalidating a tag clears Redis and the memory tier of every cache on the bus', async () => {
    const ns = namespace()
    const gate = busGate()
    const a = new QueryCache({ url: REDIS_URL, namespace: ns, maxEntries: 10 })
    const b = new QueryCache({ url: REDIS_URL, namespace: ns, maxEntries: 10 }, gate.events)
    const key = a.key('id', 'select tagged', [], null)
    const tags = ['orders']
    await a.getOrRun(key, 60_000, async () => floats(3), { tags })
    await b.getOrRun(key, 60_000, async () => floats(3), { tags }) // now in b's L1 too
    const arrived = gate.next()
    expect(await a.invalidateTags(tags)).toBe(1)
    await arrived
    expect(await redis.keys(`${ns}:*`)).toEqual([])
    let ran = false
    expect(
      (
        await b.getOrRun(key, 60_000, async () => {
          ran = true
          return floats(3)
        })
      ).hit,
    ).toBe(false)
    expect(ran).toBe(true)
    await a.close()
    await b.close()
  })

  it('keeps tags and scopes out of the keys it stores', async () => {
    const ns = namespace()
    const c = new QueryCache({ url: REDIS_URL, namespace: ns })
    const key = c.key('postgres:h4sh', 'select secret', [], null, 'user-alice@example.com')
    await c.getOrRun(key, 60_000, async () => floats(1), { tags: ['customer-invoices'] })
    const keys = await redis.keys(`${ns}:*`)
    expect(keys).toHaveLength(2)
    for (const k of keys) {
      expect(k).not.toMatch(/alice|invoices|customer/)
      expect(k).toMatch(new RegExp(`^${ns}:[A-Za-z0-9_:-]+$`))
    }
    await c.close()
  })

  it('trusts a memory entry only for bus.fallbackTtl while the bus is off', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const ns = namespace()
      const writer = new QueryCache({ url: REDIS_URL, namespace: ns, maxEntries: 10 })
      const noBus = new QueryCache({ url: REDIS_URL, namespace: ns, maxEntries: 10, bus: false })
      const key = writer.key('id', 'select coherence', [], null)
      await writer.getOrRun(key, 60_000, async () => floats(1))
      await noBus.getOrRun(key, 60_000, async () => floats(1)) // Redis hit, into noBus's L1
      await noBus.getOrRun(key, 60_000, async () => floats(1))
      expect(noBus.stats).toMatchObject({ l1Hits: 1, l2Hits: 1 })
      vi.setSystemTime(Date.now() + 5_001) // past the default fallback ttl: read from Redis again
      await noBus.getOrRun(key, 60_000, async () => floats(1))
      expect(noBus.stats).toMatchObject({ l1Hits: 1, l2Hits: 2 })
      await writer.close()
      await noBus.close()
    } finally {
      vi.useRealTimers()
    }
  })
})
