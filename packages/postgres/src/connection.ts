import {
  type CompiledSql,
  ConfigError,
  type ConfigLayer,
  ConnectionError,
  type LogicalType,
  loadKysely,
  type NativeContext,
  type OptionSpec,
  type ResolvedConfig,
  type RowTable,
  SqlConnection,
  TableBuilder,
} from '@sqlconn/core'
import type { PostgresCursorConstructor, PostgresDialect, PostgresPool } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import { arrayQuery } from './array-query.js'
import { endPoolWhenIdle } from './drain.js'
import { connectFailure, describeConnectFailure, isTransientPgError, pgErrorScope } from './errors.js'
import { postgresNativeConfig } from './native.js'
import { POSTGRES_OPTIONS } from './options.js'
import { effectiveConfig, sslFromMode, sslSetting } from './settings.js'
import { builtinType, databaseType, fieldsFor, type PgField, QueryTypes, type TypeSource } from './types.js'

/** Options sqlconn resolves but does not hand to pg's Pool as they are. */
const NOT_FOR_PG = new Set(['connectionString', 'ssl', 'types'])

/** Two clients lost within this many ms means the server went away under the whole pool. */
const LOST_CLIENTS_WINDOW_MS = 2000

/**
 * PostgreSQL on pg. `raw` is a `pg.Pool`; `db` is Kysely's PostgresDialect on the same pool.
 * Option names are pg's; PG* variables, PGSERVICE, ~/.pgpass and DATABASE_URL fill in what code
 * and secrets leave out.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export class PostgresConnection<DB = any> extends SqlConnection<pg.Pool, DB> {
  static override readonly typeName: string = 'postgres'

  static override readonly options: readonly OptionSpec[] = POSTGRES_OPTIONS

  /** DATABASE_URL (postgres URLs), the PGSERVICE service and the PG* variables, highest first. */
  static override nativeConfig(context: NativeContext): ConfigLayer[] {
    return postgresNativeConfig(context)
  }

  protected override placeholder = (i: number): string => `$${i + 1}`

  #idleErrors = 0
  /** When pg last reported a lost client (`performance.now()`), to tell one loss from a server restart. */
  #lastLostClient = Number.NEGATIVE_INFINITY

  /** Names of types created in the database (enums, extension types), by oid. */
  readonly #typeNames = new Map<number, { name: string; type: LogicalType }>()

  /** NOT NULL columns of the tables results came from, by table oid (read once per table). */
  readonly #notNull = new Map<number, ReadonlySet<number>>()
  /** Catalog reads under way, by table oid, so concurrent first reads of a table share one. */
  readonly #notNullReads = new Map<number, Promise<void>>()

  /**
   * The parameters as pg receives them, each with its source: a connection string's parts where
   * they win, and a password found in ~/.pgpass. Resolved here rather than left to pg so that
   * `config` shows what pg really gets and where each value came from (secrets masked).
   */
  protected override refineConfig(resolved: ResolvedConfig, context: NativeContext): ResolvedConfig {
    const config = effectiveConfig(resolved, context)
    const password = config.get('password')
    // A password written as a number in TOML (`password = 1234`) is the string pg expects.
    if (typeof password === 'number') return config.with('password', String(password))
    if (password !== undefined && typeof password !== 'string' && typeof password !== 'function') {
      throw new ConfigError(
        'INVALID_OPTION',
        'password',
        `Option "password" must be a string or a function returning one, got a ${typeof password} (from ${config.source('password')}).`,
      )
    }
    return config
  }

  /**
   * How many errors pg reported on clients idle in the pool (a backend terminated, a socket closed
   * while nobody used it). pg-pool discards such a client by itself and the next read gets a fresh
   * one, so these never fail a query; the count is there for logs and metrics.
   */
  get idleErrors(): number {
    return this.#idleErrors
  }

  /**
   * A `pg.Pool` built from the resolved options: sslmode strings become pg's `ssl` value, and the
   * `types` option is passed as the object it is rather than copied.
   */
  protected override connect(config: ResolvedConfig): pg.Pool {
    const options: Record<string, unknown> = {}
    for (const { name, value } of config.entries()) if (!NOT_FOR_PG.has(name)) options[name] = value
    const ssl = config.get('ssl')
    if (ssl !== undefined) options.ssl = typeof ssl === 'string' ? sslFromMode(ssl) : ssl
    if (config.get('types') !== undefined) options.types = config.get('types')
    const pool = new pg.Pool(options as pg.PoolConfig)
    // A client that errors while idle (terminated by the server, network gone) is dropped by the
    // pool; without a listener its 'error' event would end the process.
    pool.on('error', () => {
      this.#idleErrors++
    })
    return pool
  }

  /**
   * Lets a replaced (or closed) pool finish what it was given: callers queued for a client are
   * served and running queries complete, then the pool ends. pg-pool's own `end()` would strand the
   * queued callers forever. Resolves once the pool has ended (30 s at most unless a client is never
   * released).
   */
  protected override disconnect(raw: pg.Pool): Promise<void> {
    return endPoolWhenIdle(raw)
  }

  /** Enum and extension type oids belong to a database: a reset may point at another one. */
  protected override onReset(): void {
    super.onReset()
    this.#typeNames.clear()
    this.#notNull.clear()
  }

  /**
   * Kysely's PostgresDialect on a stand-in pool that asks `this.raw` for each client, so a `db` the
   * user keeps goes on working after a reset replaces the pool. Kysely never ends the real pool
   * (`db.destroy()` is a no-op for it): `reset()` and `close()` own it. pg-cursor is given so that
   * Kysely's `.stream()` works.
   */
  protected override createDialect(): PostgresDialect {
    const connection = this
    const pool = {
      connect: () => connection.raw.connect(),
      end: async () => {},
      // Kysely builds a control client from these to cancel a query when its signal aborts.
      get options() {
        return connection.raw.options
      },
      get Client() {
        return (connection.raw as unknown as { Client: PostgresPool['Client'] }).Client
      },
    }
    // Kysely loads with the first use of `db`, not with this module (see loadKysely).
    const { PostgresDialect } = loadKysely()
    return new PostgresDialect({
      pool: pool as unknown as PostgresPool,
      cursor: Cursor as unknown as PostgresCursorConstructor,
    })
  }

  /**
   * Where the data lives and what changes the values read, for cache keys. Not the password or pool
   * sizes: rotating a password or growing the pool must not throw away every cached result.
   */
  protected override cacheIdentity(): Record<string, unknown> {
    const c = this.config
    const user = c.get<string>('user') ?? this.nativeContext.env.USER
    return {
      host: c.get('host'),
      port: c.get('port'),
      database: c.get<string>('database') ?? user,
      user,
      options: c.get('options'),
      client_encoding: c.get('client_encoding'),
      types: c.get('types') === undefined ? undefined : 'custom',
    }
  }

  /** The type parsers pg would use for this pool: the `types` option, else pg's global ones. */
  get #typeSource(): TypeSource {
    return (this.config.get<TypeSource>('types') ?? pg.types) as TypeSource
  }

  /**
   * `pool.query` with rows as arrays, read straight into columns. The type parsers are wrapped per
   * query (QueryTypes) so pg's default ones yield cheaper values the table turns back into pg's.
   */
  protected override async execute(query: CompiledSql): Promise<RowTable> {
    const pool = this.raw
    const types = new QueryTypes(this.#typeSource)
    let result: pg.QueryResult | pg.QueryResult[]
    try {
      // pg-pool answers a Query with a promise of its result, as it does SQL text (its types say the Query).
      result = await (pool.query(arrayQuery(query.sql, query.parameters as unknown[], types)) as unknown as Promise<
        pg.QueryResult | pg.QueryResult[]
      >)
    } catch (err) {
      throw this.#connectError(err)
    }
    // Several statements in one string give one result each; the last that has rows is read.
    const last = Array.isArray(result) ? lastWithRows(result as pg.QueryResult[]) : result
    const fields = (last.fields ?? []) as PgField[]
    if (fields.length === 0) return new TableBuilder([]).finish()
    // Both catalog reads run at once; once the tables and types are known neither costs a round trip or an await.
    const notNull = this.#readNotNull(fields)
    const naming = this.#nameTypes(fields)
    if (naming) await naming
    if (notNull) await notNull
    const rows = last.rows as unknown as unknown[][]
    const builder = new TableBuilder(fieldsFor(fields, types, this.#typeNames, rows, this.#notNull), rows.length)
    builder.appendRows(rows)
    return builder.finish()
  }

  /**
   * A pg-cursor on one checked-out client, read `chunkSize` rows at a time, so memory holds about
   * one chunk. The client goes back to the pool when the loop ends, and is destroyed instead when
   * the cursor failed (its connection may be mid-protocol).
   */
  protected override async *executeStream(
    query: CompiledSql,
    chunkSize: number,
    signal?: AbortSignal,
  ): AsyncIterable<RowTable> {
    const client = await this.raw.connect().catch((err: unknown) => {
      throw this.#connectError(err)
    })
    const types = new QueryTypes(this.#typeSource)
    const cursor = client.query(
      new Cursor(query.sql, query.parameters as unknown[], {
        rowMode: 'array',
        types: types as unknown as pg.CustomTypesConfig,
      }),
    )
    let failed: unknown
    try {
      while (true) {
        signal?.throwIfAborted()
        const { rows, fields } = await read(cursor, chunkSize)
        if (rows.length === 0) break
        const notNull = this.#readNotNull(fields)
        const naming = this.#nameTypes(fields)
        if (naming) await naming
        if (notNull) await notNull
        const builder = new TableBuilder(fieldsFor(fields, types, this.#typeNames, rows, this.#notNull), rows.length)
        builder.appendRows(rows)
        yield builder.finish()
        if (rows.length < chunkSize) break
      }
    } catch (err) {
      failed = err
      throw err
    } finally {
      // Left early or failed: close the portal so the client can go back to the pool; a client
      // that cannot close it is destroyed instead.
      try {
        await cursor.close()
      } catch (err) {
        failed ??= err
      }
      client.release(failed instanceof Error ? failed : failed === undefined ? undefined : true)
    }
  }

  /** Lost, refused and restarting connections: a later attempt can succeed. SQL errors never are. */
  protected override isTransientError(error: unknown): boolean {
    return isTransientPgError(error)
  }

  /**
   * Nothing listening, and also 57P03 (cannot connect now: the server is starting up or shutting
   * down), which it answers at once: both are retried after 250 ms at most.
   */
  protected override isConnectionRefused(error: unknown): boolean {
    const e = error as { code?: unknown; cause?: { code?: unknown } } | null
    return super.isConnectionRefused(error) || e?.code === '57P03' || e?.cause?.code === '57P03'
  }

  /**
   * Keeps the pool when pg already dealt with the loss. A client whose backend was terminated or
   * whose socket closed is discarded by pg-pool, and so is every idle client that heard the same
   * news, so one lost client leaves the rest of the pool (and the queries running on it) alone. A
   * second loss within 2 s says the server went away under all of them (a restart, a failover)
   * while they could not hear it, and the pool is replaced. Socket errors replace it at once; a
   * server refusing new clients (too many connections, starting up) never does.
   */
  protected override needsReset(error: unknown): boolean {
    const scope = pgErrorScope(error)
    if (scope !== 'client') return scope === 'pool'
    const now = performance.now()
    const again = now - this.#lastLostClient < LOST_CLIENTS_WINDOW_MS
    this.#lastLostClient = again ? Number.NEGATIVE_INFINITY : now
    return again
  }

  /**
   * A failure to open a client (refused, unknown host, TLS, login, no such database) as a
   * ConnectionError (CONNECTION_FAILED) whose message says what to check, rather than a failed
   * query with its SQL. Other errors are returned as they are. Retries still judge pg's error,
   * which is the cause.
   */
  #connectError(error: unknown): unknown {
    const kind = connectFailure(error)
    if (kind === undefined) return error
    const c = this.config
    const message = describeConnectFailure(kind, error, {
      name: this.name,
      host: c.get<string>('host') ?? 'localhost',
      port: c.get<number>('port') ?? 5432,
      user: c.get<string>('user') ?? this.nativeContext.env.USER,
      database: c.get<string>('database'),
      connectionTimeoutMillis: c.get<number>('connectionTimeoutMillis'),
      ssl: sslSetting(c),
    })
    return new ConnectionError(this.name, this.redact(message), { cause: error })
  }

  /**
   * Reads which columns are NOT NULL for the tables a result names and has not met before: one
   * catalog read for them all, shared by concurrent first reads, cached until a reset (with the
   * type names). A failed read leaves the columns nullable and is tried again next time.
   */
  #readNotNull(fields: readonly PgField[]): Promise<unknown> | undefined {
    let known = true
    for (const f of fields) {
      if (f.tableID && !this.#notNull.has(f.tableID)) {
        known = false
        break
      }
    }
    if (known) return undefined
    const missing: number[] = []
    const pending = new Set<Promise<void>>()
    for (const f of fields) {
      const table = f.tableID
      if (!table || this.#notNull.has(table) || missing.includes(table)) continue
      const reading = this.#notNullReads.get(table)
      if (reading) pending.add(reading)
      else missing.push(table)
    }
    if (missing.length > 0) {
      const read = this.#queryNotNull(missing)
      for (const table of missing) this.#notNullReads.set(table, read)
      pending.add(read)
    }
    return pending.size > 0 ? Promise.all(pending) : undefined
  }

  async #queryNotNull(tables: number[]): Promise<void> {
    try {
      const { rows } = await this.raw.query<{ attrelid: number; attnum: number }>(
        `select attrelid, attnum from pg_catalog.pg_attribute
          where attrelid = any($1::oid[]) and attnum > 0 and attnotnull and not attisdropped`,
        [tables],
      )
      const found = new Map(tables.map((t) => [t, new Set<number>()]))
      for (const row of rows) found.get(Number(row.attrelid))?.add(Number(row.attnum))
      for (const [table, columns] of found) this.#notNull.set(table, columns)
    } catch {
      // Nullability is a nicety: without it the columns read as nullable.
    } finally {
      for (const table of tables) this.#notNullReads.delete(table)
    }
  }

  /**
   * Looks up the names of types created in the database (once per oid per connection): undefined
   * when every type is known, so the common read awaits nothing here.
   */
  #nameTypes(fields: readonly PgField[]): Promise<void> | undefined {
    const missing: number[] = []
    for (const f of fields) {
      if (!builtinType(f.dataTypeID) && !this.#typeNames.has(f.dataTypeID)) missing.push(f.dataTypeID)
    }
    return missing.length === 0 ? undefined : this.#queryTypeNames(missing)
  }

  async #queryTypeNames(missing: number[]): Promise<void> {
    try {
      const { rows } = await this.raw.query<{ oid: number; typname: string; typcategory: string; elem: string | null }>(
        `select t.oid, t.typname, t.typcategory, e.typname as elem
           from pg_catalog.pg_type t left join pg_catalog.pg_type e on e.oid = t.typelem and t.typcategory = 'A'
          where t.oid = any($1::oid[])`,
        [missing],
      )
      for (const row of rows) this.#typeNames.set(row.oid, databaseType(row))
    } catch {
      // The names are a nicety: without them the columns read as text with no dbType.
    }
  }
}

function lastWithRows(results: pg.QueryResult[]): pg.QueryResult {
  for (let i = results.length - 1; i >= 0; i--) if (results[i]!.fields?.length) return results[i]!
  return results[results.length - 1]!
}

function read(cursor: Cursor, n: number): Promise<{ rows: unknown[][]; fields: PgField[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(n, (err, rows, result) => {
      if (err) reject(err)
      else resolve({ rows: rows as unknown as unknown[][], fields: (result?.fields ?? []) as PgField[] })
    })
  })
}
