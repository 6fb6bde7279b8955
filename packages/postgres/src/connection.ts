import { homedir } from 'node:os'
import {
  type CompiledSql,
  type ConfigLayer,
  type LogicalType,
  type NativeContext,
  type OptionSpec,
  type ResolvedConfig,
  type RowTable,
  SqlConnection,
  TableBuilder,
} from '@sqlconn/core'
import { PostgresDialect } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import { isTransientPgError } from './errors.js'
import { POSTGRES_OPTIONS, postgresNativeConfig } from './options.js'
import { effectiveConfig, sslFromMode } from './settings.js'
import { builtinType, databaseType, fieldsFor, type PgField, QueryTypes, type TypeSource } from './types.js'

/** Options sqlconn resolves but does not hand to pg's Pool as they are. */
const NOT_FOR_PG = new Set(['connectionString', 'ssl', 'types'])

/**
 * PostgreSQL on pg. `raw` is a `pg.Pool`; `db` is Kysely's PostgresDialect on the same pool.
 * Option names are pg's; PG* variables, PGSERVICE, ~/.pgpass and DATABASE_URL fill in what code
 * and secrets leave out.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export class PostgresConnection<DB = any> extends SqlConnection<pg.Pool, DB> {
  static override readonly typeName: string = 'postgres'

  static override readonly options: readonly OptionSpec[] = POSTGRES_OPTIONS

  /** PG* variables, the PGSERVICE service and DATABASE_URL (postgres URLs), with their origins. */
  static override nativeConfig(context: NativeContext): ConfigLayer {
    return postgresNativeConfig(context)
  }

  protected override placeholder = (i: number): string => `$${i + 1}`

  /** Errors pg reported on idle clients (the pool drops such clients itself). */
  idleErrors = 0

  /** Names of types created in the database (enums, extension types), by oid. */
  readonly #typeNames = new Map<number, { name: string; type: LogicalType }>()

  /**
   * The parameters as pg receives them, each with its source: a connection string's parts where
   * they win, and a password found in ~/.pgpass. Secrets are masked when printed.
   */
  protected override refineConfig(resolved: ResolvedConfig): ResolvedConfig {
    return effectiveConfig(resolved, { env: process.env, home: homedir(), cwd: process.cwd() })
  }

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
      this.idleErrors++
    })
    return pool
  }

  protected override async disconnect(raw: pg.Pool): Promise<void> {
    await raw.end()
  }

  protected override onReset(): void {
    super.onReset()
    this.#typeNames.clear()
  }

  protected override createDialect(raw: pg.Pool): PostgresDialect {
    return new PostgresDialect({ pool: raw })
  }

  /** Where the data lives and what changes the results: not the password, not pool sizes. */
  protected override cacheIdentity(): Record<string, unknown> {
    const c = this.config
    const user = c.get<string>('user') ?? process.env.USER
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

  protected override async execute(query: CompiledSql): Promise<RowTable> {
    const pool = this.raw
    const types = new QueryTypes(this.#typeSource)
    const result = await pool.query({
      text: query.sql,
      values: query.parameters as unknown[],
      rowMode: 'array',
      types: types as unknown as pg.CustomTypesConfig,
    })
    // Several statements in one string give one result each; the last that has rows is read.
    const last = Array.isArray(result) ? lastWithRows(result as pg.QueryResult[]) : result
    const fields = (last.fields ?? []) as PgField[]
    if (fields.length === 0) return new TableBuilder([]).finish()
    await this.#nameTypes(fields)
    const rows = last.rows as unknown as unknown[][]
    const builder = new TableBuilder(fieldsFor(fields, types, this.#typeNames, rows), rows.length)
    builder.appendRows(rows)
    return builder.finish()
  }

  protected override async *executeStream(
    query: CompiledSql,
    chunkSize: number,
    signal?: AbortSignal,
  ): AsyncIterable<RowTable> {
    const client = await this.raw.connect()
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
        await this.#nameTypes(fields)
        const builder = new TableBuilder(fieldsFor(fields, types, this.#typeNames, rows), rows.length)
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

  protected override isTransientError(error: unknown): boolean {
    return isTransientPgError(error)
  }

  /** Looks up the names of types created in the database (once per oid per connection). */
  async #nameTypes(fields: readonly PgField[]): Promise<void> {
    const missing: number[] = []
    for (const f of fields) {
      if (!builtinType(f.dataTypeID) && !this.#typeNames.has(f.dataTypeID)) missing.push(f.dataTypeID)
    }
    if (missing.length === 0) return
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
