/**
 * The pool conformance suite, for adapters whose driver keeps a pool of connections to a server
 * (pg, mysql2): every connection killed, reads queued and running across a reset, many concurrent
 * reads on a small pool, and SQL errors that never show the password. Reads that must still be
 * running are held at a gate on the server, so no test depends on how fast the machine is.
 */
import { inspect } from 'node:util'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { QueryError } from '../errors.js'
import type { SqlConnection } from '../sql-connection.js'
import { recordEvents, until, within } from './helpers.js'

/** A gate on the server: reads through it block, on the server, until it is opened. */
export interface ServerGate {
  /** A read of `columns` (select-list SQL) that blocks until `open()`, then returns one row. */
  select(columns: string): string
  /** How many reads are blocked at the gate now. */
  waiting(): Promise<number>
  /** Lets the blocked reads, and any later ones, through. */
  open(): Promise<void>
  /** Opens the gate if it is not, and ends the session holding it. */
  close(): Promise<void>
}

/** What the pool suite needs to know about an adapter, its driver's pool and its server. */
export interface PoolConformanceOptions {
  /** Shown in test names. */
  name: string
  /** A new, uncached connection to the test database; `options` are extra sqlconn/driver options. */
  create(options?: Record<string, unknown>): SqlConnection
  /** The driver options for a pool of at most `size` connections (`{ max }`, `{ connectionLimit }`). */
  poolOfSize(size: number): Record<string, unknown>
  /** What the driver's pool (`conn.raw`) holds now: open connections (none once ended), idle ones, callers waiting. */
  poolCounts(pool: unknown): { total: number; idle: number; waiting: number }
  /** The first positional parameter, read back as an integer (`$1::int`, `?`). */
  intParam: string
  /** A select-list expression for the id of the server connection running the read. */
  connectionId: string
  /** Holds a new gate on the server (a lock taken by a session of its own). */
  gate(): Promise<ServerGate>
  /** Kills every server connection of `conn`'s pool; resolves, once they are gone, with how many. */
  killAll(conn: SqlConnection): Promise<number>
  /**
   * Kills every server connection of `conn`'s pool so that the pool learns of it only when it next
   * uses each one (a failover, a NAT dropping idle connections); resolves with how many.
   */
  killIdle(conn: SqlConnection): Promise<number>
  /**
   * Options to log in to the test database with `password`, and how to undo what made that
   * possible (a user created for it).
   */
  withPassword(password: string): Promise<{ options: Record<string, unknown>; drop(): Promise<void> }>
  /** The driver's codes for a syntax error and for a table that does not exist. */
  errorCodes: { syntax: string; noSuchTable: string }
}

/** Registers the pool conformance tests for one adapter. */
export function describePoolConformance(options: PoolConformanceOptions): void {
  const opened: SqlConnection[] = []
  const gates: ServerGate[] = []
  const open = (size?: number, extra: Record<string, unknown> = {}) => {
    const conn = options.create({ ...(size === undefined ? {} : options.poolOfSize(size)), ...extra })
    opened.push(conn)
    return conn
  }
  const hold = async () => {
    const g = await options.gate()
    gates.push(g)
    return g
  }
  const counts = (conn: SqlConnection) => options.poolCounts(conn.raw)
  /** Starts `n` reads blocked at `g` and resolves once all of them hold a connection at the gate. */
  const blockedReads = async (conn: SqlConnection, g: ServerGate, n: number, columns = '1 as slow') => {
    const reads = Array.from({ length: n }, () => conn.query(g.select(columns), { cache: false }))
    await until(async () => (await g.waiting()) === n, `${n} reads at the gate`)
    return reads
  }

  describe(`${options.name} pool conformance`, () => {
    afterEach(async () => {
      for (const g of gates.splice(0)) await g.close()
      await Promise.all(opened.splice(0).map((c) => c.close()))
    })

    it('answers the next read after every connection of the pool was killed', async () => {
      const conn = open(3)
      const g = await hold()
      const reads = await blockedReads(conn, g, 3)
      await g.open()
      await Promise.all(reads)
      expect(counts(conn).total).toBe(3)
      expect(await options.killAll(conn)).toBe(3)
      expect((await conn.query('select 42 as answer', { cache: false })).get(0)).toEqual({ answer: 42 })
    })

    it('replaces the pool, once, when its idle connections turn out dead one after another', async () => {
      const conn = open(5)
      const g = await hold()
      const reads = await blockedReads(conn, g, 5)
      await g.open()
      await Promise.all(reads)
      const pool = conn.raw
      expect(await options.killIdle(conn)).toBe(5)
      const events = recordEvents(conn)
      expect((await conn.query('select 42 as answer', { cache: false })).get(0)).toEqual({ answer: 42 })
      expect(events.reset.map((e) => e.reason)).toEqual(['transient error'])
      expect(events.retry.length).toBeGreaterThanOrEqual(1)
      expect(conn.raw).not.toBe(pool)
    })

    it('answers 20 concurrent reads on a pool of 5 connections', async () => {
      const conn = open(5)
      const g = await hold()
      const columns = `${options.intParam} as i, ${options.connectionId} as cid`
      const reads = Array.from({ length: 20 }, (_, i) => conn.query(g.select(columns), { params: [i], cache: false }))
      await until(async () => (await g.waiting()) === 5, 'five reads at the gate')
      await g.open()
      const tables = await Promise.all(reads)
      expect(tables.map((t) => Number(t.get(0)!.i))).toEqual(Array.from({ length: 20 }, (_, i) => i))
      const connections = new Set(tables.map((t) => t.get(0)!.cid))
      expect(connections.size).toBeLessThanOrEqual(5)
      expect(connections.size).toBeGreaterThan(1)
      expect(counts(conn).total).toBeLessThanOrEqual(5)
    })

    describe('a reset', () => {
      const ledger = `sqlconn_pool_ledger_${Math.random().toString(36).slice(2, 8)}`

      afterAll(async () => {
        const conn = options.create()
        await conn.query(`drop table if exists ${ledger}`, { cache: false }).finally(() => conn.close())
      })

      it('lets a read waiting for a connection complete, without a retry', async () => {
        const conn = open(1)
        const events = recordEvents(conn)
        const pool = conn.raw
        const g = await hold()
        const [slow] = await blockedReads(conn, g, 1)
        const queued = conn.query('select 2 as queued', { cache: false })
        await until(() => options.poolCounts(pool).waiting === 1, 'a read waiting for the connection')
        const reset = conn.reset()
        await g.open()
        expect((await within(slow!, 'the slow read')).get(0)).toEqual({ slow: 1 })
        expect((await within(queued, 'the waiting read')).get(0)).toEqual({ queued: 2 })
        await within(reset, 'reset()')
        expect(options.poolCounts(pool).total).toBe(0)
        expect(events.retry).toEqual([])
      })

      it('lets a Kysely query waiting for a connection complete', async () => {
        const conn = open(1)
        const pool = conn.raw
        const g = await hold()
        const [slow] = await blockedReads(conn, g, 1)
        const queued = sql<{ queued: number }>`select 2 as queued`.execute(conn.db)
        await until(() => options.poolCounts(pool).waiting === 1, 'a Kysely query waiting for the connection')
        const reset = conn.reset()
        await g.open()
        expect((await within(queued, 'the waiting Kysely query')).rows).toEqual([{ queued: 2 }])
        await within(Promise.all([slow, reset]), 'the slow read and reset()')
      })

      it('lets a transaction open during it commit', async () => {
        const conn = open()
        await conn.query(`create table ${ledger} (id integer primary key)`, { cache: false })
        let inserted = false
        const g = await hold()
        const transaction = conn.db.transaction().execute(async (trx) => {
          await trx
            .insertInto(ledger as never)
            .values({ id: 1 } as never)
            .execute()
          inserted = true
          // Held at the server's gate: the transaction is still open when the reset starts.
          await sql.raw(g.select('1 as slow')).execute(trx)
          await trx
            .insertInto(ledger as never)
            .values({ id: 2 } as never)
            .execute()
        })
        await until(async () => inserted && (await g.waiting()) === 1, 'the transaction held open')
        const reset = conn.reset()
        await g.open()
        await within(transaction, 'the transaction')
        await within(reset, 'reset()')
        const t = await conn.query(`select count(*) as n from ${ledger}`, { cache: false })
        expect(Number(t.get(0)!.n)).toBe(2)
      })

      it('is followed at once by the next read, while the old pool finishes its slow read', async () => {
        const conn = open(1)
        const g = await hold()
        let slowDone = false
        const [blocked] = await blockedReads(conn, g, 1)
        const slow = blocked!.then((t) => {
          slowDone = true
          return t
        })
        const reset = conn.reset()
        expect((await conn.query('select 2 as fast', { cache: false })).get(0)).toEqual({ fast: 2 })
        expect(slowDone).toBe(false)
        await g.open()
        expect((await slow).get(0)).toEqual({ slow: 1 })
        await reset
      })
    })

    describe('a SQL error', () => {
      const password = `Sup3r-s3cret-${Math.random().toString(36).slice(2, 8)}`
      let login: Awaited<ReturnType<PoolConformanceOptions['withPassword']>>

      beforeAll(async () => {
        login = await options.withPassword(password)
      })

      afterAll(async () => {
        await login?.drop()
      })

      /** The error of `text` on a connection logged in with the password, checked for what all share. */
      async function failure(text: string, params?: unknown[]): Promise<QueryError> {
        const conn = open(undefined, login.options)
        await conn.query('select 1', { cache: false })
        const events = recordEvents(conn)
        const err = await conn.query(text, { params, cache: false }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(QueryError)
        expect((err as QueryError).code).toBe('QUERY_FAILED')
        expect(events.retry).toEqual([])
        const e = err as QueryError
        for (const shown of [e.message, e.stack, inspect(e, { depth: 5 }), String(conn), JSON.stringify(conn.config)]) {
          expect(shown).not.toContain(password)
        }
        return e
      }

      it('is reported at once, unretried, with the SQL and without the password', async () => {
        const text = `selec id from pets where id = ${options.intParam}`
        const err = await failure(text, [1])
        expect(err.driverCode).toBe(options.errorCodes.syntax)
        expect(err.message).toContain(text)
      })

      it('shows the SQL with the password masked where the SQL holds it', async () => {
        const err = await failure(`select * from sqlconn_no_such_table where note = '${password}'`)
        expect(err.driverCode).toBe(options.errorCodes.noSuchTable)
        expect(err.message).toContain("select * from sqlconn_no_such_table where note = '****'")
      })
    })
  })
}
