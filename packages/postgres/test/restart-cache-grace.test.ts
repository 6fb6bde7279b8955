import { exec } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { recordEvents, waitUntilAnswers } from '@sqlconn/core/testing'
import { describe, expect, it, vi } from 'vitest'
import { admin, clusterCommand, open, probe, useSchema } from './helpers.js'

// This file STOPS the shared server for a moment: vitest.config.ts runs it after the package's
// other files (restart*.test.ts), one file at a time, and it starts the server again in a finally.

const sh = promisify(exec)
const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
// SQLCONN_TEST_POSTGRES_STOP / _START (say `docker compose stop postgres`), else pg_ctlcluster.
const stop = process.env.SQLCONN_TEST_POSTGRES_STOP ?? clusterCommand('stop')
const start = process.env.SQLCONN_TEST_POSTGRES_START ?? clusterCommand('start')
const schema = useSchema()

describe('grace with PostgreSQL stopped', () => {
  it.skipIf(!(stop && start) && !process.env.CI)(
    'serves the expired result while the server is down, and reports the failure',
    async () => {
      if (!stop || !start) throw new Error('Set SQLCONN_TEST_POSTGRES_STOP and SQLCONN_TEST_POSTGRES_START.')
      await admin(`create table ${schema.name}.items as select g as id from generate_series(1, 3) g`)
      const conn = open(schema.name, {
        cache: { url: REDIS_URL, namespace: `sqlconn-grace-${randomUUID().slice(0, 8)}`, grace: '1h' },
        // Bounded by attempts, not time (the clock is frozen below): the refresh gives up quickly.
        retry: { maxAttempts: 2, initialDelay: 5, maxDelay: 20 },
      })
      const events = recordEvents(conn)
      const sql = 'select count(*)::int as n from items'
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        expect((await conn.query(sql, { ttl: '1m' })).get(0)).toEqual({ n: 3 })
        await sh(stop)
        vi.setSystemTime(Date.now() + 61_000) // the result has expired; grace keeps it an hour more

        const stale = await conn.query(sql, { ttl: '1m' })
        expect(stale.get(0)).toEqual({ n: 3 })
        expect(events.query.at(-1)).toMatchObject({ cached: true })
        expect(conn.cacheStats).toMatchObject({ graceHits: 1, errors: 0 })
        // The refresh's failure is reported whole: the connection error, with the driver's own code.
        expect(events.cacheError).toHaveLength(1)
        const { error } = events.cacheError[0] as { error: Error & { code?: string; cause?: { code?: string } } }
        expect(error.code).toBe('CONNECTION_FAILED')
        expect(error.cause?.code).toBe('ECONNREFUSED')
      } finally {
        vi.useRealTimers()
        await sh(start).catch(() => {})
        await waitUntilAnswers(probe)
      }
      // The server answers again: the next read refreshes the result.
      await admin(`insert into ${schema.name}.items values (4)`)
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        vi.setSystemTime(Date.now() + 122_000)
        expect((await conn.query(sql, { ttl: '1m' })).get(0)).toEqual({ n: 4 })
      } finally {
        vi.useRealTimers()
      }
      expect(conn.cacheStats?.graceHits).toBe(1)
    },
    60_000,
  )
})
