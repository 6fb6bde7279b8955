import { randomUUID } from 'node:crypto'
import { type PrivateRedis, recordEvents, startPrivateRedis } from '@sqlconn/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PostgresConnection } from '../src/index.js'
import { admin, open, until, useSchema } from './helpers.js'

// The Redis cache's reliability figure: 20 readers of 40 cached queries while Redis is stopped and
// started again. The Redis stopped is a redis-server of this file's own, never the shared one.

const schema = useSchema()
const QUERIES = 40
const READERS = 20
const ROWS_PER_QUERY = 25
const SQL = 'select id, v from items where bucket = $1 order by id'

let redis: PrivateRedis

beforeAll(async () => {
  redis = await startPrivateRedis()
  await admin(
    `create table ${schema.name}.items as
       select g as id, g % ${QUERIES} as bucket, g * 7 as v from generate_series(1, ${QUERIES * ROWS_PER_QUERY}) g`,
  )
})

afterAll(async () => {
  await redis?.close()
})

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

type Phase = 'warm-up' | 'before' | 'during' | 'after'

describe('a Redis cache stopped under 20 concurrent readers of 40 cached queries', () => {
  it('answers every read, rightly, from each server’s memory while Redis is down', async () => {
    // What each query must answer, computed from the table's definition (ids of the bucket, v = 7 id).
    const expected = Array.from({ length: QUERIES }, (_, bucket) => {
      const ids: number[] = []
      for (let id = 1; id <= QUERIES * ROWS_PER_QUERY; id++) if (id % QUERIES === bucket) ids.push(id)
      return ids
    })
    const right = (bucket: number, ids: unknown[], vs: unknown[]) => {
      const want = expected[bucket]!
      if (ids.length !== want.length || vs.length !== want.length) return false
      for (let i = 0; i < want.length; i++) if (ids[i] !== want[i] || vs[i] !== want[i]! * 7) return false
      return true
    }

    const conn: PostgresConnection = open(schema.name, {
      cache: { url: redis.url, namespace: `sqlconn-outage-${randomUUID().slice(0, 8)}` },
    })
    const events = recordEvents(conn)
    let phase: Phase = 'warm-up'
    const reads: Record<Phase, number> = { 'warm-up': 0, before: 0, during: 0, after: 0 }
    const took: Record<Phase, number> = { 'warm-up': 0, before: 0, during: 0, after: 0 }
    // Reads that went to PostgreSQL (refills of memory entries no longer trusted while Redis is down).
    const database: Record<Phase, number> = { 'warm-up': 0, before: 0, during: 0, after: 0 }
    conn.on('query', (e) => {
      if (!e.cached) database[phase]++
    })
    let failed = 0
    let wrong = 0
    let worst = 0
    const errors: string[] = []
    let reading = true
    const reader = async (n: number) => {
      for (let i = n; reading; i++) {
        const bucket = i % QUERIES
        const started = performance.now()
        try {
          const t = await conn.query(SQL, { params: [bucket], ttl: '10m' })
          if (!right(bucket, t.getChild('id')!.toArray(), t.getChild('v')!.toArray())) wrong++
        } catch (err) {
          failed++
          if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err))
        }
        worst = Math.max(worst, performance.now() - started)
        reads[phase]++
        // One read per turn of the event loop, as requests arriving on a server's sockets would be:
        // a memory hit resolves without I/O, and readers must not starve the timers of the test.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    }
    let mark = 0
    const enter = (next: Phase) => {
      const now = performance.now()
      took[phase] += now - mark
      mark = now
      phase = next
    }

    // Every query cached, in Redis and in this process's memory, before the readers start.
    for (let bucket = 0; bucket < QUERIES; bucket++) await conn.query(SQL, { params: [bucket], ttl: '10m' })
    mark = performance.now()
    let busWhileDown: string | undefined
    const running = Array.from({ length: READERS }, (_, n) => reader(n))
    try {
      await sleep(500)
      enter('before')
      await sleep(2000)
      await redis.stop()
      enter('during')
      await sleep(6000)
      busWhileDown = conn.cacheStats?.bus
      await redis.start()
      enter('after')
      await sleep(2000)
      enter('after') // closes the last phase's time
    } finally {
      reading = false
      await Promise.all(running)
    }
    // The bus subscribes again on its own once Redis is back (it retries every second).
    await until(() => conn.cacheStats?.bus === 'up', 'the bus back up')
    await conn.close()

    const rate = (p: Phase) => Math.round(reads[p] / (took[p] / 1000))
    const report = {
      ratePerSecond: { before: rate('before'), during: rate('during'), after: rate('after') },
      duringVsBefore: `${Math.round((rate('during') / rate('before')) * 100)}%`,
      redisDownMs: Math.round(took.during),
      worstLatencyMs: Math.round(worst),
      reads,
      databaseReads: database,
      failed,
      wrong,
      busWhileDown,
      cacheErrors: events.cacheError.length,
      stats: conn.cacheStats,
    }
    console.log(`Redis outage under ${READERS} readers of ${QUERIES} cached queries: ${JSON.stringify(report)}`)

    expect(errors).toEqual([])
    expect(failed).toBe(0)
    expect(wrong).toBe(0)
    expect(worst).toBeLessThanOrEqual(2000)
    expect(rate('during')).toBeGreaterThanOrEqual(0.5 * rate('before'))
    // The outage was seen: Redis commands failed and were reported, and reads went on regardless.
    expect(events.cacheError.length).toBeGreaterThan(0)
    expect(reads.during).toBeGreaterThan(0)
    expect(busWhileDown).toBe('down')
    // Every read that reached PostgreSQL is counted as a miss, refills of untrusted entries included.
    expect(conn.cacheStats?.misses).toBe(Object.values(database).reduce((a, b) => a + b, 0))
  }, 60_000)
})
