import { randomUUID } from 'node:crypto'
import { createClient } from '@keyv/redis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { QueryCache } from '../src/cache/query-cache.js'
import { TableBuilder } from '../src/table/builder.js'
import type { RowTable } from '../src/table/table.js'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = createClient({ url: REDIS_URL })

beforeAll(async () => {
  await redis.connect()
})

afterAll(async () => {
  const keys = await redis.keys('sqlconn-test-*')
  if (keys.length) await redis.del(keys)
  redis.destroy()
})

/** Every value type the adapters produce, with nulls. */
function everyType(): RowTable {
  const b = new TableBuilder([
    { name: 'i', type: 'int32', nullable: false, dbType: 'int4' },
    { name: 'f', type: 'float64' },
    { name: 'ok', type: 'bool' },
    { name: 'big', type: 'int64' },
    { name: 'int8text', type: 'int64', decode: 'int64-text' },
    { name: 'at', type: 'timestamptz' },
    { name: 'ms', type: 'timestamp', decode: 'epoch-ms' },
    { name: 'buf', type: 'binary' },
    { name: 'u8', type: 'binary' },
    { name: 'dec', type: 'decimal', dbType: 'numeric(10,2)' },
    { name: 'doc', type: 'json', decode: 'json' },
    { name: 'parsed', type: 'json' },
    { name: 'arr', type: 'list' },
    { name: 's', type: 'utf8' },
  ])
  b.appendRow([
    1,
    Math.PI,
    true,
    -(2n ** 63n),
    '9223372036854775807',
    new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
    Date.UTC(1969, 11, 31),
    Buffer.from([0, 1, 254, 255]),
    new Uint8Array([9, 8]),
    '12345678.90',
    '{"nested":{"a":[1,2,{"b":null}]}}',
    { k: 'v', n: [1, 2] },
    [[1, 2], [3]],
    'unicode ✓ — 𝄞',
  ])
  b.appendRow([2, null, null, null, null, null, null, null, null, null, null, null, null, null])
  return b.finish()
}

function namespace(): string {
  return `sqlconn-test-${randomUUID().slice(0, 8)}`
}

describe('a Redis query cache', () => {
  it('returns every value type and the schema identical', async () => {
    const cache = new QueryCache({ url: REDIS_URL, namespace: namespace() })
    const table = everyType()
    const key = cache.key('sqlite:abc', 'select everything', [], null)
    await cache.getOrRun(key, 60_000, async () => table)
    // A memory tier of its own (maxEntries), so the hit comes from Redis, not this process's L1.
    const other = new QueryCache({ url: REDIS_URL, namespace: key.split(':')[0], maxEntries: 10 })
    const { table: back, hit } = await other.getOrRun(key, 60_000, async () => {
      throw new Error('should be a hit')
    })
    expect(hit).toBe(true)
    expect(back).not.toBe(table)
    expect(back.schema).toEqual(table.schema)
    expect(back.toArray()).toEqual(table.toArray())
    expect(Buffer.isBuffer(back.get(0)!.buf)).toBe(true)
    expect(Buffer.isBuffer(back.get(0)!.u8)).toBe(false)
    await cache.close()
    await other.close()
  })

  it('sets the ttl on the Redis key itself', async () => {
    const cache = new QueryCache({ url: REDIS_URL, namespace: namespace() })
    const key = cache.key('id', 'select 1', [], null)
    await cache.getOrRun(key, 30_000, async () => everyType())
    const pttl = await redis.pTTL(key)
    expect(pttl).toBeGreaterThan(25_000)
    expect(pttl).toBeLessThanOrEqual(30_000)
    await cache.close()
  })

  it('keeps stale entries in Redis for staleWhileRevalidate beyond the ttl', async () => {
    const cache = new QueryCache({ url: REDIS_URL, namespace: namespace(), staleWhileRevalidate: '1m' })
    const key = cache.key('id', 'select 1', [], null)
    await cache.getOrRun(key, 10_000, async () => everyType())
    expect(await redis.pTTL(key)).toBeGreaterThan(60_000)
    await cache.close()
  })

  it('stores keys that hold no parameter value or secret in clear', async () => {
    const ns = namespace()
    const cache = new QueryCache({ url: REDIS_URL, namespace: ns })
    await cache.getOrRun(cache.key('postgres:h4sh', 'select :pw', ['hunter2-password'], null), 60_000, async () =>
      everyType(),
    )
    const keys = await redis.keys(`${ns}:*`)
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatch(new RegExp(`^${ns}:postgres:h4sh:[A-Za-z0-9_-]{43}$`))
    expect(keys[0]).not.toContain('hunter2')
    await cache.close()
  })

  it('encodes a table smaller than its JSON', async () => {
    const b = new TableBuilder([
      { name: 'id', type: 'int64' },
      { name: 'price', type: 'float64' },
      { name: 'at', type: 'timestamp' },
      { name: 'name', type: 'utf8' },
    ])
    for (let i = 0; i < 1000; i++) b.appendRow([i, i * 1.25, new Date(1e12 + i * 1000), `name-${i}`])
    const table = b.finish()
    const ns = namespace()
    const cache = new QueryCache({ url: REDIS_URL, namespace: ns })
    const key = cache.key('id', 'select many', [], null)
    await cache.getOrRun(key, 60_000, async () => table)
    const stored = await redis.strLen(key)
    expect(stored).toBeLessThan(JSON.stringify(table).length)
    await cache.close()
  })

  it('clears one connection’s results and leaves the others', async () => {
    const ns = namespace()
    const cache = new QueryCache({ url: REDIS_URL, namespace: ns })
    for (const id of ['conn-a', 'conn-a', 'conn-b']) {
      await cache.getOrRun(cache.key(id, `select ${randomUUID()}`, [], null), 60_000, async () => everyType())
    }
    expect(await cache.deletePrefix(cache.prefix('conn-a'))).toBe(2)
    expect(await redis.keys(`${ns}:conn-a:*`)).toHaveLength(0)
    expect(await redis.keys(`${ns}:conn-b:*`)).toHaveLength(1)
    await cache.close()
  })
})

describe('a Redis cache that is down', () => {
  it('answers from the query when nothing listens on the port, and opens the breaker', async () => {
    const errors: unknown[] = []
    const states: string[] = []
    const cache = new QueryCache(
      { url: 'redis://127.0.0.1:1', timeout: 200, breaker: { threshold: 2, halfOpenAfter: 60_000 } },
      { onError: (e) => errors.push(e), onBreaker: (s) => states.push(s) },
    )
    let runs = 0
    // A key per read: a result read once stays in this process's memory tier, Redis or not.
    for (let i = 0; i < 4; i++) {
      const { table, hit } = await cache.getOrRun(cache.key('id', `select ${i}`, [], null), 1000, async () => {
        runs++
        return everyType()
      })
      expect(hit).toBe(false)
      expect(table.numRows).toBe(2)
    }
    expect(runs).toBe(4)
    expect(states).toContain('open')
    expect(cache.stats.breaker).toBe('open')
    expect(errors.length).toBeGreaterThanOrEqual(2)
    await cache.close()
  })

  it('answers from the query while Redis stops answering, then uses Redis again', async () => {
    const ns = namespace()
    const states: string[] = []
    const cache = new QueryCache(
      { url: REDIS_URL, namespace: ns, timeout: 100, breaker: { threshold: 2, halfOpenAfter: 300 } },
      { onBreaker: (s) => states.push(s) },
    )
    const key = cache.key('id', 'select paused', [], null)
    // Stored in Redis by another process's cache (a memory tier of its own), so it is not in this one's.
    const writer = new QueryCache({ url: REDIS_URL, namespace: ns, maxEntries: 10 })
    await writer.getOrRun(key, 60_000, async () => everyType())
    await writer.close()
    await cache.getOrRun(cache.key('id', 'select connect', [], null), 60_000, async () => everyType()) // connects
    await redis.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL'])
    try {
      let runs = 0
      for (let i = 0; i < 3; i++) {
        const { table } = await cache.getOrRun(cache.key('id', `select paused ${i}`, [], null), 60_000, async () => {
          runs++
          return everyType()
        })
        expect(table.numRows).toBe(2)
      }
      expect(runs).toBe(3)
      expect(cache.stats.breaker).toBe('open')
    } finally {
      await redis.sendCommand(['CLIENT', 'UNPAUSE'])
    }
    // The breaker reads the clock (Date.now) to know it may try again: move the clock past
    // halfOpenAfter instead of sleeping through it.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.now() + 400)
      const { hit } = await cache.getOrRun(key, 60_000, async () => everyType())
      expect(hit).toBe(true)
    } finally {
      vi.useRealTimers()
    }
    expect(states).toEqual(expect.arrayContaining(['open', 'half-open', 'closed']))
    expect(cache.stats.breaker).toBe('closed')
    await cache.close()
  })
})
