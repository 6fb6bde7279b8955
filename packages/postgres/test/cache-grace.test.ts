import { randomUUID } from 'node:crypto'
import { type PrivateRedis, recordEvents, startPrivateRedis } from '@sqlconn/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { admin, open, TEST_URL, useSchema } from './helpers.js'

// Grace while Redis is down: the expired result is served from this process's memory when the
// refresh fails. The Redis stopped is a redis-server of this file's own, never the shared one.
// (Grace while PostgreSQL is stopped is in restart-cache-grace.test.ts: it stops the shared server.)

const schema = useSchema()
let redis: PrivateRedis

beforeAll(async () => {
  redis = await startPrivateRedis()
  await admin(`create table ${schema.name}.items as select g as id from generate_series(1, 3) g`)
})

afterAll(async () => {
  await redis?.close()
})

describe('grace with Redis stopped', () => {
  it('serves the expired result from memory when the refresh fails, and reports the failure', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    // A migration holding an exclusive lock on the table: the refresh fails once lock_timeout passes.
    const migration = new pg.Client({ connectionString: TEST_URL })
    try {
      const conn = open(schema.name, {
        options: `-c search_path=${schema.name} -c lock_timeout=200`,
        cache: { url: redis.url, namespace: `sqlconn-grace-${randomUUID().slice(0, 8)}`, grace: '1h' },
      })
      const events = recordEvents(conn)
      const sql = 'select count(*)::int as n from items'
      expect((await conn.query(sql, { ttl: '1m' })).get(0)).toEqual({ n: 3 })
      await admin(`insert into ${schema.name}.items values (4)`)

      await redis.stop()
      await migration.connect()
      await migration.query(`begin; lock table ${schema.name}.items in access exclusive mode`)
      vi.setSystemTime(Date.now() + 61_000) // the result has expired; grace keeps it an hour more

      const stale = await conn.query(sql, { ttl: '1m' })
      expect(stale.get(0)).toEqual({ n: 3 })
      expect(conn.cacheStats).toMatchObject({ graceHits: 1, l2Hits: 0 })
      expect(events.query.at(-1)).toMatchObject({ cached: true })
      // The refresh's failure reached cacheError (the lock timeout, SQLSTATE 55P03), beside Redis's own.
      const reported = events.cacheError.map(({ error }) => (error as { driverCode?: string }).driverCode)
      expect(reported).toContain('55P03')

      // The database answers again: the next read is fresh, and grace is not used.
      await migration.query('rollback')
      expect((await conn.query(sql, { ttl: '1m' })).get(0)).toEqual({ n: 4 })
      expect(conn.cacheStats?.graceHits).toBe(1)
    } finally {
      vi.useRealTimers()
      await migration.end().catch(() => {})
      await redis.start()
    }
  })

  it('does not serve an expired result without grace: the failure reaches the caller', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const migration = new pg.Client({ connectionString: TEST_URL })
    try {
      const conn = open(schema.name, {
        options: `-c search_path=${schema.name} -c lock_timeout=200`,
        cache: { url: redis.url, namespace: `sqlconn-grace-${randomUUID().slice(0, 8)}` },
      })
      const sql = 'select count(*)::int as n from items where id > 0'
      await conn.query(sql, { ttl: '1m' })
      await redis.stop()
      await migration.connect()
      await migration.query(`begin; lock table ${schema.name}.items in access exclusive mode`)
      vi.setSystemTime(Date.now() + 61_000)
      await expect(conn.query(sql, { ttl: '1m' })).rejects.toMatchObject({ driverCode: '55P03' })
      expect(conn.cacheStats?.graceHits).toBe(0)
    } finally {
      vi.useRealTimers()
      await migration.end().catch(() => {})
      await redis.start()
    }
  })
})
