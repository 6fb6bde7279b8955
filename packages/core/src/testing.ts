/**
 * The adapter conformance suite: the contract every connection type keeps, stated once. An
 * adapter (built-in or third-party) runs it in a vitest file against its own real database and
 * adds its dialect's own cases beside it.
 *
 * @example
 * import { describeConformance } from '@sqlconn/core/testing'
 * describeConformance({ name: 'sqlite', create: (o) => new SqliteConnection('t', { filename, ...o }) })
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import { stringify } from 'smol-toml'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ConnectionClass } from './connection.js'
import { ConnectionClosedError, ConnectionError, QueryError } from './errors.js'
import { closeAll, connection } from './factory.js'
import type { SqlConnection } from './sql-connection.js'
import type { RowTable } from './table/table.js'
import { describeArrowConformance } from './testing-arrow.js'

export { decimalText, expectArrowMatches, expectArrowRoundTrip } from './testing-arrow.js'

/** What the suite needs to know about an adapter and its database. */
export interface ConformanceOptions {
  /** Shown in test names. */
  name: string
  /** A new, uncached connection to the test database; `options` are extra sqlconn/driver options. */
  create(options?: Record<string, unknown>): SqlConnection | Promise<SqlConnection>
  /** The dialect's positional placeholder for the first parameter (`?`, `$1`). */
  placeholder: string
  /** Column types for the fixture table, in the dialect's DDL. */
  types: {
    integer: string
    float: string
    text: string
    binary: string
    /** An exact `DECIMAL(38,10)` in the dialect's DDL, when it has one: checks Decimal128 digit for digit. */
    decimal?: string
  }
  /**
   * Makes every driver connection of `conn` stale the way production does (terminate backends,
   * KILL, close the handle), so the next read must detect it, reset and retry.
   */
  breakConnections(conn: SqlConnection): Promise<void>
  /** Drops the suite's table; defaults to `drop table if exists`. */
  dropTable?(conn: SqlConnection, table: string): Promise<void>
  /**
   * Two different targets (two files, databases or schemas the suite may create a table in), each as
   * the values of a `[connections.<name>]` section: plain strings, numbers and booleans. The suite
   * writes them into a secrets file of its own (through `SQLCONN_SECRETS_FILE`) to rotate a
   * connection from one to the other.
   */
  targets():
    | [Record<string, unknown>, Record<string, unknown>]
    | Promise<[Record<string, unknown>, Record<string, unknown>]>
  /**
   * The settings the driver object of `conn` really holds (read back from `conn.raw`: the pool's or
   * handle's own config), under the adapter's option names. The suite checks `conn.config` shows
   * each of them with the same value.
   */
  driverSettings(conn: SqlConnection): Record<string, unknown>
  /**
   * Options that open an in-memory database (`{ filename: ':memory:' }`), when the adapter has
   * one: the suite checks two such connections never share a cached result.
   */
  inMemory?: Record<string, unknown>
  /**
   * For adapters that reach a server over the network: the suite then checks that a connection
   * which cannot be opened (refused port, unknown host, user or database) is a CONNECTION_FAILED
   * error saying what to check, without SQL or password, and that only the refused port is retried.
   */
  connectFailures?: ConnectFailureOptions
}

/** How the suite points an adapter at a server it cannot reach or log in to. */
export interface ConnectFailureOptions {
  /** The server's name as the adapter's messages give it (`PostgreSQL`, `MySQL`). */
  server: string
  /**
   * Options for the test server with these parts of its URL replaced (a refused port, an unknown
   * host, user or database, a password); they are merged over `create()`'s options.
   */
  at(parts: {
    hostname?: string
    port?: string
    username?: string
    password?: string
    pathname?: string
  }): Record<string, unknown>
}

/** A password holding every character that ends a URL part, so a parser that splits it early shows it. */
const RAW_PASSWORD = 'pw@127.0.0.1:1/a?b#c'
const ESCAPED_PASSWORD = encodeURIComponent(RAW_PASSWORD)

/**
 * URL-shaped values no error may print the password of, whichever adapter gets them. Every host is
 * 127.0.0.1 port 1 (refused at once), however a parser splits the raw password.
 */
const URL_CASES: ReadonlyArray<{ what: string; url: string; passwords: readonly string[] }> = [
  ...['postgres', 'mysql', 'sqlite', 'redis'].map((scheme) => ({
    what: `a ${scheme}:// URL`,
    url: `${scheme}://acc:S3cret${scheme}@127.0.0.1:1/x`,
    passwords: [`S3cret${scheme}`],
  })),
  { what: 'a URL with a bad port', url: 'postgres://acc:S3cretPort@127.0.0.1:port/x', passwords: ['S3cretPort'] },
  { what: 'a URL with a broken host', url: 'mysql://acc:S3cretHost@[127.0.0.1/x', passwords: ['S3cretHost'] },
  { what: 'a URL with no host', url: 'postgres://acc:S3cretNoHost@/x?sslmode=bogus', passwords: ['S3cretNoHost'] },
  {
    what: 'a password holding @ : / ? #',
    url: `postgres://acc:${RAW_PASSWORD}@127.0.0.1:1/x`,
    passwords: [RAW_PASSWORD],
  },
  {
    what: 'a percent-escaped password',
    url: `mysql://acc:${ESCAPED_PASSWORD}@127.0.0.1:1/x`,
    passwords: [ESCAPED_PASSWORD, RAW_PASSWORD],
  },
]

/** Everything a user could see of an error: message, stack, cause chain and own properties. */
function everythingOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (!(value instanceof Error)) return inspect(value, { depth: 8 })
  let out = `${String(value)}\n${value.stack ?? ''}\n${inspect(value, { depth: 8 })}`
  if (value.cause !== undefined) out += `\n${everythingOf(value.cause)}`
  return out
}

/**
 * What a connection given `options` shows: its config, `toString()`, and every error and event of
 * resolving it and running one read.
 */
async function whatItShows(cls: ConnectionClass, name: string, options: Record<string, unknown>): Promise<string> {
  const seen: unknown[] = []
  let conn: SqlConnection | undefined
  try {
    conn = new cls(name, { ...options, retry: false }) as SqlConnection
    for (const event of ['retry', 'reset', 'query', 'cacheError'] as const) conn.on(event, (e) => seen.push(e))
    seen.push(String(conn), inspect(conn))
    try {
      seen.push(JSON.stringify(conn.config), String(conn.config))
    } catch (err) {
      seen.push(err)
    }
    await conn.query('select 1', { cache: false }).catch((err: unknown) => seen.push(err))
  } catch (err) {
    seen.push(err)
  } finally {
    await conn?.close().catch((err: unknown) => seen.push(err))
  }
  return seen.map(everythingOf).join('\n')
}

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
      const events: boolean[] = []
      const listener = (e: { cached: boolean }) => events.push(e.cached)
      conn.on('query', listener)
      const first = await conn.query(sqlText, { params: { n: 3 }, ttl: 60 })
      const second = await conn.query(sqlText, { params: { n: 3 }, ttl: 60 })
      conn.off('query', listener)
      expect(events).toEqual([false, true])
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
        const cachedFlags: boolean[] = []
        const listener = (e: { cached: boolean }) => cachedFlags.push(e.cached)
        conn.on('query', listener)
        await conn.query(sqlText, { params: { min: 0 }, ttl: '10m' })
        vi.advanceTimersByTime(9 * 60_000)
        await conn.query(sqlText, { params: { min: 0 }, ttl: '10m' })
        vi.advanceTimersByTime(2 * 60_000)
        await conn.query(sqlText, { params: { min: 0 }, ttl: '10m' })
        conn.off('query', listener)
        expect(cachedFlags).toEqual([false, true, false])
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
      const flags: boolean[] = []
      const listener = (e: { cached: boolean }) => flags.push(e.cached)
      conn.on('query', listener)
      await conn.query(sqlText, { ttl: 0 })
      await conn.query(sqlText, { ttl: 0 })
      await conn.query(sqlText, { cache: false })
      conn.off('query', listener)
      expect(flags).toEqual([false, false, false])
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
      const retries: unknown[] = []
      const listener = (e: unknown) => retries.push(e)
      conn.on('retry', listener)
      const err = await conn.query('selec 1 from nowhere', { cache: false }).catch((e: unknown) => e)
      conn.off('retry', listener)
      expect(err).toBeInstanceOf(QueryError)
      expect((err as QueryError).code).toBe('QUERY_FAILED')
      expect((err as QueryError).message).toContain('selec 1 from nowhere')
      expect((err as QueryError).cause).toBeInstanceOf(Error)
      expect(retries).toEqual([])
    })

    it('detects stale connections, resets and retries the read', async () => {
      await conn.query(`select 1 as one`, { cache: false })
      const retries: unknown[] = []
      const listener = (e: unknown) => retries.push(e)
      conn.on('retry', listener)
      await options.breakConnections(conn)
      const t = await conn.query(`select count(*) as n from ${table}`, { cache: false })
      conn.off('retry', listener)
      expect(Number(t.get(0)!.n)).toBe(3)
      expect(retries.length).toBeGreaterThanOrEqual(1)
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

    describe('cached results stay with their target', () => {
      const probe = `${table}_cached`
      const cls = () => conn.constructor as unknown as ConnectionClass

      /** Opens one connection per option set, each writing its own number into `probe`, then reads each. */
      async function readEach(optionSets: ReadonlyArray<Record<string, unknown>>): Promise<number[]> {
        const conns = optionSets.map((o, i) => new (cls())(`sqlconn_conformance_cached_${i}`, o) as SqlConnection)
        try {
          for (const [i, c] of conns.entries()) {
            await c.query(`create table ${probe} (v ${options.types.integer})`, { cache: false })
            await c.query(`insert into ${probe} (v) values (${i + 1})`, { cache: false })
          }
          const seen: number[] = []
          for (const c of conns) seen.push(Number((await c.query(`select v from ${probe}`, { ttl: 60 })).get(0)!.v))
          return seen
        } finally {
          for (const c of conns) {
            const drop = options.dropTable
              ? options.dropTable(c, probe)
              : c.query(`drop table if exists ${probe}`, { cache: false })
            await drop.catch(() => {})
            await c.close()
          }
        }
      }

      it('never serves one target the cached result of another', async () => {
        expect(await readEach(await options.targets())).toEqual([1, 2])
      })

      if (options.inMemory) {
        const memory = options.inMemory
        it('never serves one in-memory database the cached result of another', async () => {
          expect(await readEach([memory, memory])).toEqual([1, 2])
        })
      }
    })

    describe('no URL password in any error, event or printout', () => {
      it.each(URL_CASES)('given $what as url', async ({ url, passwords }) => {
        const shown = await whatItShows(conn.constructor as unknown as ConnectionClass, 'sqlconn_conf_url', { url })
        for (const password of passwords) expect(shown).not.toContain(password)
      })

      it.each(URL_CASES)('given $what in DATABASE_URL', async ({ url, passwords }) => {
        const saved = process.env.DATABASE_URL
        process.env.DATABASE_URL = url
        try {
          const shown = await whatItShows(conn.constructor as unknown as ConnectionClass, 'sqlconn_conf_dburl', {})
          for (const password of passwords) expect(shown).not.toContain(password)
        } finally {
          if (saved === undefined) delete process.env.DATABASE_URL
          else process.env.DATABASE_URL = saved
        }
      })

      it('given a URL as the value of any other text option', async () => {
        const cls = conn.constructor as unknown as ConnectionClass
        // Options that name where to connect or what to open are left out: a URL there would send
        // traffic elsewhere or create files. Every other text option gets the URL, one at a time.
        const where = /host|socket|addr|server|file|path|dir|url|uri|connection|service|ssl|tls/i
        const names = cls.options.filter((o) => o.type === 'string' && !o.secret && !where.test(o.name))
        const url = `postgres://acc:${RAW_PASSWORD}@127.0.0.1:1/x`
        const [target] = await options.targets()
        let shown = ''
        for (const o of names) shown += await whatItShows(cls, 'sqlconn_conf_option_url', { ...target, [o.name]: url })
        expect(shown).not.toContain(RAW_PASSWORD)
      })
    })

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

    describe('rotated secrets', () => {
      const targetTable = `${table}_target`
      const sqlText = `select target from ${targetTable}`
      let targets: [Record<string, unknown>, Record<string, unknown>]
      let cls: ConnectionClass
      let dir = ''
      let file = ''
      let revision = 0
      let savedFiles: string | undefined
      const opened: SqlConnection[] = []

      /** A fresh connection of the adapter's class on one target, named so no secrets section applies. */
      const onTarget = (i: number) => new cls(`sqlconn_conformance_target_${i}`, targets[i]) as SqlConnection

      /** Rewrites the suite's secrets file; the stamp moves on each revision so no change is missed. */
      const writeSecrets = (sections: Record<string, Record<string, unknown>>) => {
        writeFileSync(file, stringify({ connections: sections }))
        const at = new Date(Date.now() + ++revision * 1000)
        utimesSync(file, at, at)
      }

      const open = async (name: string) => {
        const c = await connection<SqlConnection>(name, { type: cls })
        opened.push(c)
        return c
      }

      const targetOf = async (c: SqlConnection) => (await c.query(sqlText, { ttl: 0 })).get(0)?.target

      beforeAll(async () => {
        targets = await options.targets()
        cls = conn.constructor as unknown as ConnectionClass
        for (const i of [0, 1]) {
          const c = onTarget(i)
          try {
            await c.query(`create table ${targetTable} (target ${options.types.text})`, { cache: false })
            await c.db
              .insertInto(targetTable as never)
              .values({ target: `target ${i}` } as never)
              .execute()
          } finally {
            await c.close()
          }
        }
        dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-conformance-'))
        file = path.join(dir, 'secrets.toml')
        savedFiles = process.env.SQLCONN_SECRETS_FILE
        process.env.SQLCONN_SECRETS_FILE = [savedFiles, file].filter(Boolean).join(path.delimiter)
      })

      afterAll(async () => {
        for (const c of opened) await c.close()
        if (savedFiles === undefined) delete process.env.SQLCONN_SECRETS_FILE
        else process.env.SQLCONN_SECRETS_FILE = savedFiles
        if (dir) rmSync(dir, { recursive: true, force: true })
        for (const i of [0, 1]) {
          if (!targets) break
          const c = onTarget(i)
          try {
            if (options.dropTable) await options.dropTable(c, targetTable)
            else await c.query(`drop table if exists ${targetTable}`, { cache: false })
          } finally {
            await c.close()
          }
        }
      })

      it('reaches the new target with the same SQL once its secrets section changes', async () => {
        const name = `rot_${Math.random().toString(36).slice(2, 8)}`
        writeSecrets({ [name]: targets[0] })
        const rot = await open(name)
        expect(await targetOf(rot)).toBe('target 0')
        writeSecrets({ [name]: targets[1] })
        expect(await open(name)).toBe(rot)
        expect(await targetOf(rot)).toBe('target 1')
      })

      it('keeps the driver object of a connection whose own section did not change', async () => {
        const name = `keep_${Math.random().toString(36).slice(2, 8)}`
        const other = `other_${Math.random().toString(36).slice(2, 8)}`
        writeSecrets({ [name]: targets[0], [other]: targets[0] })
        const keep = await open(name)
        expect(await targetOf(keep)).toBe('target 0')
        const raw = keep.raw
        writeSecrets({ [name]: targets[0], [other]: targets[1] })
        expect(await open(name)).toBe(keep)
        expect(await targetOf(keep)).toBe('target 0')
        expect(keep.raw).toBe(raw)
      })
    })
  })
}

/**
 * A connection that cannot be opened is a ConnectionError (CONNECTION_FAILED) that says what to
 * check, not a failed query carrying its SQL.
 */
function describeConnectFailures(options: ConformanceOptions, failures: ConnectFailureOptions): void {
  describe('connection-level failures', () => {
    const opened: SqlConnection[] = []

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((c) => c.close()))
    })

    async function open(extra: Record<string, unknown>): Promise<SqlConnection> {
      const conn = await options.create({ retry: false, cache: false, ...extra })
      opened.push(conn)
      return conn
    }

    it('a refused port is CONNECTION_FAILED naming host:port and what to check, without SQL or password', async () => {
      const err = await queryFailure(await open(failures.at({ port: '1', password: 'S3cret-pw' })))
      expect(err).toBeInstanceOf(ConnectionError)
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toMatch(new RegExp(`could not reach ${failures.server} at [^ ]+:1: connection refused`))
      expect(err.message).toContain('Check that the server is running')
      expect(err.message).not.toContain('SQL:')
      expect(err.message).not.toContain('S3cret-pw')
    })

    it('a refused port is still retried (it is transient)', async () => {
      const conn = await open({
        ...failures.at({ port: '1' }),
        retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 1 },
      })
      const retries: unknown[] = []
      conn.on('retry', (e) => retries.push(e))
      expect(await queryFailure(conn)).toBeInstanceOf(ConnectionError)
      expect(retries).toHaveLength(2)
    })

    it('an unknown user is CONNECTION_FAILED naming the user and what to check, at once', async () => {
      const conn = await open({
        ...failures.at({ username: 'sqlconn_no_such_user', password: 'S3cret-pw' }),
        retry: { maxAttempts: 3 },
      })
      const retries: unknown[] = []
      conn.on('retry', (e) => retries.push(e))
      const err = await queryFailure(conn)
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('refused the login of user "sqlconn_no_such_user"')
      expect(err.message).toContain('Check user and password')
      expect(err.message).not.toContain('SQL:')
      expect(err.message).not.toContain('S3cret-pw')
      expect(retries).toEqual([])
    })

    it('a missing database is CONNECTION_FAILED naming it', async () => {
      const err = await queryFailure(await open(failures.at({ pathname: '/sqlconn_no_such_db' })))
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('has no database "sqlconn_no_such_db"')
    })

    it('an unknown host is CONNECTION_FAILED naming the host', async () => {
      const err = await queryFailure(await open(failures.at({ hostname: 'no-such-host.invalid' })))
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('could not resolve the host name "no-such-host.invalid"')
    })

    it('a stream that cannot connect fails the same way', async () => {
      const stream = (await open(failures.at({ port: '1' }))).stream('select 1')
      const err = await stream.next().then(
        () => new Error('connected'),
        (e: unknown) => e as Error,
      )
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('connection refused')
    })
  })
}

/** The error `conn.query(sql)` rejects with; fails the test if the query succeeds. */
export async function queryFailure(conn: SqlConnection, sql = 'select 1'): Promise<Error> {
  return (await conn.query(sql).then(
    () => {
      throw new Error(`expected ${sql} to fail, but it succeeded`)
    },
    (e: unknown) => e,
  )) as Error
}

/** A test's own directory, from `useSandbox()`. */
export interface Sandbox {
  /** The current test's directory (its `home` and `project`, the working directory, are inside). */
  dir(): string
  /**
   * Writes `text` to `file` (relative to `dir()`), creating its folders, and returns the full path;
   * with `mode`, the file gets those permissions (a driver may refuse a password file others can read).
   */
  write(file: string, text: string, mode?: number): string
}

/**
 * Gives each test its own working directory and HOME (so no real ~/.sqlconn, or a driver's own
 * files there, is read), with SQLCONN_SECRETS_FILE, DATABASE_URL and the `variables` listed unset,
 * and restores them all afterwards, after `closeAll()`. Call it at the top of a test file.
 */
export function useSandbox(variables: readonly string[] = []): Sandbox {
  let dir = ''
  const names = ['HOME', 'SQLCONN_SECRETS_FILE', 'DATABASE_URL', ...variables]
  let saved: Record<string, string | undefined> = {}
  let cwd = ''
  beforeEach(() => {
    saved = Object.fromEntries(names.map((n) => [n, process.env[n]]))
    cwd = process.cwd()
    dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-test-'))
    mkdirSync(path.join(dir, 'home'))
    mkdirSync(path.join(dir, 'project'))
    for (const n of names) delete process.env[n]
    process.env.HOME = path.join(dir, 'home')
    process.chdir(path.join(dir, 'project'))
  })
  afterEach(async () => {
    await closeAll()
    process.chdir(cwd)
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir: () => dir,
    write(file: string, text: string, mode?: number) {
      const full = path.resolve(dir, file)
      mkdirSync(path.dirname(full), { recursive: true })
      writeFileSync(full, text)
      if (mode !== undefined) chmodSync(full, mode)
      return full
    },
  }
}

/** Waits until `check` holds, polling every 10 ms; for tests (no timing is asserted). */
export async function until(check: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${what} never held`)
}

/** `promise`, or a failure naming `what` if it has not settled within `ms`: a hang fails fast. */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export { packAndInstall } from './pack-testing.js'
export {
  describeRestart,
  type RestartReport,
  type RestartRun,
  type RestartSuite,
  readThroughRestart,
  waitUntilAnswers,
} from './restart-testing.js'

/**
 * Runs `node <script> ...args` in a child process and resolves with its exit code, output and how
 * long it ran; rejects if it has not exited within `ms` (the child is killed). For checking that a
 * script which never calls `closeAll()` still ends once its work is done.
 */
export function runScript(
  script: string,
  args: readonly string[] = [],
  { ms = 10_000, cwd }: { ms?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${path.basename(script)} did not exit within ${ms} ms; output: ${stdout}${stderr}`))
    }, ms)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, elapsedMs: performance.now() - started })
    })
  })
}
