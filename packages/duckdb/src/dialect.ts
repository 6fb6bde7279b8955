import type { DuckDBConnection } from '@duckdb/node-api'
import { loadKysely } from '@sqlconn/core'
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import type { DuckDBPool } from './pool.js'

/** What the dialect needs from the adapter: the pool of the moment, and a way to run one statement. */
export interface DuckDBDialectConfig {
  /** The pool to take connections from; called per acquire, so a reset's new pool is used. */
  pool(): DuckDBPool
  /** Runs one statement on a connection and returns its rows as objects, and the rows it changed. */
  run(
    conn: DuckDBConnection,
    sql: string,
    parameters: readonly unknown[],
  ): Promise<{ rows: unknown[]; changed: number }>
  /** Streams one statement's rows as objects, `chunkSize` at a time. */
  stream(
    conn: DuckDBConnection,
    sql: string,
    parameters: readonly unknown[],
    chunkSize: number,
  ): AsyncIterable<unknown[]>
}

/**
 * Kysely on @duckdb/node-api. No maintained Kysely dialect takes @duckdb/node-api connections from a
 * pool of ours (kysely-duckdb opens its own), so this small one lives in the adapter. DuckDB's SQL
 * is PostgreSQL's as far as Kysely's compiler goes: `$1` parameters, double-quoted identifiers,
 * `returning`, transactional DDL.
 */
export class DuckDBDialect implements Dialect {
  readonly #config: DuckDBDialectConfig

  constructor(config: DuckDBDialectConfig) {
    this.#config = config
  }

  createAdapter(): DialectAdapter {
    // Kysely loads with the first use of `db`, not with this module (see loadKysely).
    return new (loadKysely().PostgresAdapter)()
  }

  createDriver(): Driver {
    return new DuckDBDriver(this.#config)
  }

  createQueryCompiler(): QueryCompiler {
    return new (loadKysely().PostgresQueryCompiler)()
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new (loadKysely().PostgresIntrospector)(db)
  }
}

class DuckDBDriver implements Driver {
  readonly #config: DuckDBDialectConfig
  /** The pool each connection came from: it goes back there even if a reset replaced the pool meanwhile. */
  readonly #from = new WeakMap<KyselyConnection, DuckDBPool>()

  constructor(config: DuckDBDialectConfig) {
    this.#config = config
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const pool = this.#config.pool()
    const conn = new KyselyConnection(await pool.acquire(), this.#config)
    this.#from.set(conn, pool)
    return conn
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel || settings.accessMode) {
      // DuckDB has one isolation level (snapshot) and no per-transaction access mode.
      throw new Error('DuckDB transactions take no isolation level or access mode (DuckDB runs every one as snapshot).')
    }
    await connection.executeQuery({ sql: 'begin transaction', parameters: [] } as unknown as CompiledQuery)
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'commit', parameters: [] } as unknown as CompiledQuery)
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'rollback', parameters: [] } as unknown as CompiledQuery)
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as KyselyConnection
    const pool = this.#from.get(c) ?? this.#config.pool()
    pool.release(c.conn, c.broken)
  }

  /** The pool belongs to the sqlconn connection: `close()` and `reset()` end it, not `db.destroy()`. */
  async destroy(): Promise<void> {}
}

/** Statements Kysely builds that return rows only when they say `returning`. */
const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode'])

class KyselyConnection implements DatabaseConnection {
  broken = false

  constructor(
    readonly conn: DuckDBConnection,
    readonly config: DuckDBDialectConfig,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const { rows, changed } = await this.config.run(this.conn, compiled.sql, compiled.parameters)
      const node = compiled.query as { kind?: string; returning?: unknown } | undefined
      if (node?.kind && WRITES.has(node.kind)) {
        // DuckDB answers a write with one "Count" row; Kysely wants the count, and rows only for `returning`.
        if (!node.returning) return { rows: [], numAffectedRows: BigInt(changed) }
        return { rows: rows as R[], numAffectedRows: BigInt(rows.length) }
      }
      return { rows: rows as R[] }
    } catch (err) {
      this.broken = isBroken(err)
      throw err
    }
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      for await (const rows of this.config.stream(this.conn, compiled.sql, compiled.parameters, chunkSize)) {
        yield { rows: rows as R[] }
      }
    } catch (err) {
      this.broken = isBroken(err)
      throw err
    }
  }
}

function isBroken(err: unknown): boolean {
  const message = (err as { message?: unknown })?.message
  return typeof message === 'string' && /connection disconnected|closed/i.test(message)
}
