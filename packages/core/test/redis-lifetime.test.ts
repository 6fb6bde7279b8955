import { randomUUID } from 'node:crypto'
import { createClient } from '@keyv/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueryCache } from '../src/cache/query-cache.js'
import { TableBuilder } from '../src/table/builder.js'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = createClient({ url: REDIS_URL })
const DAY_MS = 24 * 60 * 60 * 1000

beforeAll(async () => {
  await redis.connect()
})

afterAll(async () => {
  const keys = await redis.keys('sqlconn-life-*')
  if (keys.length) await redis.del(keys)
  redis.destroy()
})

function oneRow() {
  const b = new TableBuilder([{ name: 'n', type: 'int32' }])
  b.appendRow([1])
  return b.finish()
}

/** A cache on its own namespace, and the PTTL Redis reports for the entry of a query given `ttlMs`. */
async function storedPttl(options: Record<string, unknown>, ttlMs: number | undefined): Promise<number> {
  const cache = new QueryCache({ url: REDIS_URL, namespace: `sqlconn-life-${randomUUID().slice(0, 8)}`, ...options })
  try {
    const key = cache.key('id', 'select 1', [], null)
    await cache.getOrRun(key, ttlMs, async () => oneRow())
    return await redis.pTTL(key)
  } finally {
    await cache.close()
  }
}

describe('lifetime of Redis entries', () => {
  it('expires an entry stored without a ttl after one day (not PTTL -1)', async () => {
    const pttl = await storedPttl({}, undefined)
    expect(pttl).toBeGreaterThan(DAY_MS - 60_000)
    expect(pttl).toBeLessThanOrEqual(DAY_MS)
  })

  it('lets cache.ttl set another default lifetime', async () => {
    const pttl = await storedPttl({ ttl: '2h' }, undefined)
    expect(pttl).toBeGreaterThan(2 * 3600_000 - 60_000)
    expect(pttl).toBeLessThanOrEqual(2 * 3600_000)
  })

  it("keeps a query's own ttl over the default", async () => {
    const pttl = await storedPttl({ ttl: '2h' }, 30_000)
    expect(pttl).toBeGreaterThan(25_000)
    expect(pttl).toBeLessThanOrEqual(30_000)
  })
})
