/**
 * The adapter conformance suite: the contract every connection type keeps, stated once. An
 * adapter (built-in or third-party) runs it in a vitest file against its own real database and
 * adds its dialect's own cases beside it.
 *
 * @example
 * import { describeConformance } from '@sqlconn/core/testing'
 * describeConformance({ name: 'sqlite', create: (o) => new SqliteConnection('t', { filename, ...o }) })
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ConnectionClosedError, QueryError } from '../errors.js'
import type { SqlConnection } from '../sql-connection.js'
import type { RowTable } from '../table/table.js'
import { describeArrowConformance } from './arrow.js'
import { describeConnectFailures } from './connect-failures.js'
import { recordEvents } from './helpers.js'
import { describeNoPasswordShown } from './no-password.js'
import type { ConformanceOptions } from './options.js'
import { describeTargets } from './targets.js'

const ROWS = [
  { id: 1, label: 'alpha', amount: 1.5, payload: Buffer.from([0, 1, 2, 255]) },
  { id: 2, label: "it's", amount: -2.25, payload: Buffer.from('hello') },
  { id: 3, label: null, amount: null, payload: null },
]

function plain(table: RowTable): unknown[] {
  return table
    .toArray()
    .map((r) => ({ ...r, payload: r.payload == null ? null : Buffer.from(r.payload as Uint8Array) }))
}

/** Registers the conformance tests for one adapter. */
export function describeConformance(options: ConformanceOptions): void {
  const table = `sqlconn_conf_${Math.random().toString(36).slice(2, 8)}`
  let conn: SqlConnection

  describe(`${options.name} conformance`, () => {
    beforeAll(async () => {
      conn = await options.create({ retry: { initialDelay: 10, maxDelay: 50 } })
      const t = options.types
      await conn.query(
        `create table ${table} (id ${t.integer} primary key, label ${t.text}, amount ${t.float}, payload ${t.binary})`,
        { cache: false },
      )
      for (const row of ROWS) {
        await conn.db
          .insertInto(table as never)
          .values(row as never)
          .execute()
      }
    })

    afterAll(async () => {
      if (!conn.closed) {
        if (options.dropTable) await options.dropTable(conn, table)
        else await conn.query(`drop table if exists ${table}`, { cache: false })
        await conn.close()
      }
    })

    it('answers ping()', async () => {
      await expect(conn.ping()).resolves.toBeUndefined()
    })

    it('returns a RowTable with the rows and the columns in order', async () => {
      const t = await conn.query(`select id, label, amount, payload from ${table} order by id`, { cache: false })
      expect(t.numRows).toBe(3)
      expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'label', 'amount', 'payload'])
      expect(plain(t).map((r) => ({ ...(r as object), id: Number((r as { id: unknown }).id) }))).toEqual(ROWS)
    })

    it("binds an array of params to the dialect's placeholders", async () => {
      const t = await conn.query(`select label from ${table} where id = ${options.placeholder}`, {
        params: [2],
        cache: false,
      })
      expect(t.toArray()).toEqual([{ label: "it's" }])
    })

    it('binds :name params and leaves quoted text and comments alone', async () => {
      const t = await conn.query(
        `select label, ':skip' as lit from ${table} -- :ignored\n where id = :id or label = :label order by id`,
        { params: { id: 1, label: "it's" }, cache: false },
      )
      expect(t.toArray()).toEqual([
        { label: 'alpha', lit: ':skip' },
        { label: "it's", lit: ':skip' },
      ])
    })

    it('runs Kysely query builders on the same connection', async () => {
      const t = await conn.query(
        conn.db
          .selectFrom(table as never)
          .select('label' as never)
          .where('id' as never, '=', 1 as never),
        { cache: false },
      )
      expect(t.toArray()).toEqual([{ label: 'alpha' }])
    })

    it('returns a cached table identical to the first, without querying again', async () => {
      const sqlText = `select * from ${table} where id <= :n order by id`
      const events = recordEvents(conn)
      const first = await conn.query(sqlText, { params: { n: 3 }, ttl: 60 })
      const second = await conn.query(sqlText, { params: { n: 3 }, ttl: 60 })
      events.stop()
      expect(events.query.map((e) => e.cached)).toEqual([false, true])
      expect(plain(second)).toEqual(plain(first))
      expect(second.schema).toEqual(first.schema)
    })

    it('round-trips every value and the schema through a byte-encoding store', async () => {
      const encoded = await options.create({ cache: { store: new Map(), serialize: true } })
      try {
        const sqlText = `select * from ${table} order by id`
        const fresh = await encoded.query(sqlText)
        const cached = await encoded.query(sqlText)
        expect(cached).not.toBe(fresh)
        expect(plain(cached)).toEqual(plain(fresh))
        expect(cached.schema).toEqual(fresh.schema)
      } finally {
        await encoded.close()
      }
    })

    it('serves a cached result until its ttl passes, then queries again', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        const sqlText = `select count(*) as n from ${table} where id > :min`
        const cachedFlags = recordEvents(conn)
        await conn.query(sqlText, { params: { min: 0 }, ttl: '10m' })
        vi.advanceTimersByTime(9 * 60_000)
        await conn.query(sqlText, { params: { min: 0 }, ttl: '10m' })
        vi.advanceTimersByTime(2 * 60_000)
        await conn.query(sqlText, { params: { min: 0 }, ttl: '10m' })
        cachedFlags.stop()
        expect(cachedFlags.query.map((e) => e.cached)).toEqual([false, true, false])
      } finally {
        vi.useRealTimers()
      }
    })

    it('runs one query for concurrent identical misses', async () => {
      const sqlText = `select id from ${table} where id = :id`
      const runs = vi.spyOn(conn as unknown as { execute: () => unknown }, 'execute')
      try {
        const tables = await Promise.all(Array.from({ length: 8 }, () => conn.query(sqlText, { params: { id: 3 } })))
        expect(runs).toHaveBeenCalledTimes(1)
        for (const t of tables) expect(t.numRows).toBe(1)
      } finally {
        runs.mockRestore()
      }
    })

    it('skips the cache with ttl: 0 and cache: false', async () => {
      const sqlText = `select id from ${table} where id = 1`
      const flags = recordEvents(conn)
      await conn.query(sqlText, { ttl: 0 })
      await conn.query(sqlText, { ttl: 0 })
      await conn.query(sqlText, { cache: false })
      flags.stop()
      expect(flags.query.map((e) => e.cached)).toEqual([false, false, false])
    })

    it('streams a result in chunks of chunkSize', async () => {
      const sizes: number[] = []
      const ids: unknown[] = []
      for await (const chunk of conn.stream(`select id from ${table} order by id`, { chunkSize: 2 })) {
        sizes.push(chunk.numRows)
        ids.push(...chunk.getChild('id')!.toArray().map(Number))
      }
      expect(sizes).toEqual([2, 1])
      expect(ids).toEqual([1, 2, 3])
    })

    it('keeps working after a stream is left early', async () => {
      for await (const chunk of conn.stream(`select id from ${table} order by id`, { chunkSize: 1 })) {
        expect(chunk.numRows).toBe(1)
        break
      }
      const t = await conn.query(`select count(*) as n from ${table}`, { cache: false })
      expect(Number(t.get(0)!.n)).toBe(3)
    })

    describeArrowConformance(
      options,
      () => conn,
      () => table,
    )

    it('reports a SQL error with the SQL in the message, without retrying', async () => {
      const events = recordEvents(conn)
      const err = await conn.query('selec 1 from nowhere', { cache: false }).catch((e: unknown) => e)
      events.stop()
      expect(err).toBeInstanceOf(QueryError)
      expect((err as QueryError).code).toBe('QUERY_FAILED')
      expect((err as QueryError).message).toContain('selec 1 from nowhere')
      expect((err as QueryError).cause).toBeInstanceOf(Error)
      expect(events.retry).toEqual([])
    })

    it('detects stale connections, resets and retries the read', async () => {
      await conn.query(`select 1 as one`, { cache: false })
      const events = recordEvents(conn)
      await options.breakConnections(conn)
      const t = await conn.query(`select count(*) as n from ${table}`, { cache: false })
      events.stop()
      expect(Number(t.get(0)!.n)).toBe(3)
      expect(events.retry.length).toBeGreaterThanOrEqual(1)
    })

    it('answers concurrent queries correctly', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          conn.query(`select id from ${table} where id = :id`, { params: { id: (i % 3) + 1 }, cache: false }),
        ),
      )
      for (const [i, t] of results.entries()) expect(Number(t.get(0)!.id)).toBe((i % 3) + 1)
    })

    it('a db kept before a reset still works after it', async () => {
      const db = conn.db
      await conn.reset()
      const rows = await db
        .selectFrom(table as never)
        .select('id' as never)
        .where('id' as never, '=', 2 as never)
        .execute()
      expect(rows.map((r) => Number((r as { id: unknown }).id))).toEqual([2])
      expect(conn.db).toBe(db)
    })

    it('cannot be used after close()', async () => {
      const other = await options.create()
      await other.ping()
      await other.close()
      await expect(other.query('select 1', { cache: false })).rejects.toBeInstanceOf(ConnectionClosedError)
    })

    describeTargets(options, () => conn, table)

    describeNoPasswordShown(options, () => conn)

    it('config shows exactly what the driver object received', async () => {
      const fresh = await options.create()
      try {
        const held = options.driverSettings(fresh)
        expect(Object.keys(held).length).toBeGreaterThan(0)
        const shown = Object.fromEntries(Object.keys(held).map((k) => [k, fresh.config.get(k)]))
        expect(shown).toEqual(held)
      } finally {
        await fresh.close()
      }
    })

    if (options.connectFailures) describeConnectFailures(options, options.connectFailures)
  })
}
