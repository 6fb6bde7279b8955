import {
  blobValue,
  type DuckDBDataChunk,
  type DuckDBMaterializedResult,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBConnection as NativeConnection,
  timestampValue,
} from '@duckdb/node-api'
import {
  type CompiledSql,
  type ConfigLayer,
  type NativeContext,
  type OptionSpec,
  type ResolvedConfig,
  type RowTable,
  SqlConnection,
  TableBuilder,
  withFileOption,
} from '@sqlconn/core'
import { DuckDBDialect } from './dialect.js'
import { isDisconnected, isLockError, isTransientDuckDBError } from './errors.js'
import { absolutePath, duckdbNativeConfig, pathFromUrl } from './native.js'
import { DUCKDB_OPTIONS, SETTING_NAMES } from './options.js'
import { DuckDBPool } from './pool.js'
import { appendChunk, readFields } from './types.js'

/** DuckDB's vectors hold 2048 rows: the capacity to start a streamed table with when chunkSize is larger. */
const VECTOR_SIZE = 2048

/** How long a reset keeps the old pool's instance open for the new pool to take over. */
const RESET_LINGER_MS = 5000

/**
 * DuckDB on @duckdb/node-api. `raw` is a {@link DuckDBPool}: the `DuckDBInstance` (shared with every
 * other connection to the same file in the process, through DuckDB's instance cache) and a few
 * `DuckDBConnection`s on it. `db` is Kysely on the same pool. Results are read column by column from
 * DuckDB's data chunks. Option names are DuckDB's.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export class DuckDBConnection<DB = any> extends SqlConnection<DuckDBPool, DB> {
  static override readonly typeName: string = 'duckdb'

  static override readonly options: readonly OptionSpec[] = DUCKDB_OPTIONS

  /** `DATABASE_URL` when it is a duckdb: URL. */
  static override nativeConfig(context: NativeContext): ConfigLayer {
    return duckdbNativeConfig(context)
  }

  protected override placeholder = (i: number): string => `$${i + 1}`

  /** The database this connection opens: an absolute file path, or ":memory:". */
  get path(): string {
    return this.config.get<string>('path')!
  }

  /**
   * `path` as DuckDB receives it: the file a `url` names (with the url's source), or the given path
   * made absolute, so `config` shows the file really opened.
   */
  protected override refineConfig(config: ResolvedConfig): ResolvedConfig {
    // `path` has a default: a url from any source beats it, and a url beats a path from the same source.
    return withFileOption(config, 'path', pathFromUrl, absolutePath)
  }

  /** The DuckDB settings given, as the strings `DuckDBInstance.create` takes. */
  get #settings(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const { name, value } of this.config.entries()) {
      if (SETTING_NAMES.has(name) && value !== undefined) out[name] = String(value)
    }
    return out
  }

  /** A pool on the file; the instance opens on the first query (DuckDB opens it asynchronously). */
  protected override connect(config: ResolvedConfig): DuckDBPool {
    return new DuckDBPool(this.name, this.path, this.#settings, config.get<number>('max') ?? 4)
  }

  /**
   * Closes the pool's connections. On `close()` the instance goes too (when no other connection
   * uses the file); on a reset it lingers for the new pool, which reuses it.
   */
  protected override async disconnect(raw: DuckDBPool): Promise<void> {
    await raw.close({ linger: this.closed ? 0 : RESET_LINGER_MS })
  }

  /**
   * The file (absolute) and the settings that can change a result identify the data (core keys each
   * in-memory database to its own instance, and a reopened one is a new, empty one).
   */
  protected override cacheIdentity(): Record<string, unknown> {
    return { file: this.path, settings: this.#settings }
  }

  /** Kysely on the pool of the moment, so a `db` the user keeps works after a reset. */
  protected override createDialect(): DuckDBDialect {
    return new DuckDBDialect({
      pool: () => this.raw,
      run: async (conn, sql, parameters) => {
        const result = await conn.run(sql, bindable(parameters))
        const table = await readTable(result)
        return { rows: table.toArray(), changed: result.rowsChanged }
      },
      stream: (conn, sql, parameters, chunkSize) => rowChunks(conn, sql, parameters, chunkSize),
    })
  }

  /** One statement on a pooled DuckDBConnection, its chunks read column by column into a table. */
  protected override async execute(query: CompiledSql, options: { signal?: AbortSignal }): Promise<RowTable> {
    const pool = this.raw
    const conn = await pool.acquire()
    let broken = false
    const interrupt = () => conn.interrupt()
    options.signal?.addEventListener('abort', interrupt, { once: true })
    try {
      return await readTable(await runStatement(conn, query.sql, bindable(query.parameters)))
    } catch (err) {
      broken = isDisconnected(err)
      throw err
    } finally {
      options.signal?.removeEventListener('abort', interrupt)
      pool.release(conn, broken)
    }
  }

  /**
   * DuckDB's streaming result on a connection of its own, read a data chunk at a time, so memory
   * holds about one `chunkSize` table. The connection goes back to the pool when the loop ends.
   */
  protected override async *executeStream(
    query: CompiledSql,
    chunkSize: number,
    signal?: AbortSignal,
  ): AsyncIterable<RowTable> {
    const pool = this.raw
    const conn = await pool.acquire()
    let broken = false
    let done = false
    try {
      const result = await conn.stream(query.sql, bindable(query.parameters))
      yield* tableChunks(result, chunkSize, signal)
      done = true
    } catch (err) {
      broken = isDisconnected(err)
      throw err
    } finally {
      // Left early: end DuckDB's pending result now rather than when it is garbage collected.
      if (!done && !broken) await settle(conn)
      pool.release(conn, broken)
    }
  }

  /** A lock held by another process, a connection closed under the query. */
  protected override isTransientError(error: unknown): boolean {
    return isTransientDuckDBError(error)
  }

  /** Another process holds the lock: reopening would not help, waiting and retrying does. */
  protected override needsReset(error: unknown): boolean {
    return !isLockError(error) && !isLockError((error as { cause?: unknown })?.cause)
  }
}

/** Prepared statements kept per pooled connection (the least recently used go first). */
const STATEMENTS_PER_CONNECTION = 32

/** Each pooled connection's prepared statements, by SQL text, most recently used last. */
const statements = new WeakMap<NativeConnection, Map<string, DuckDBPreparedStatement>>()

/**
 * Runs one `query()` statement on a pooled connection, its prepared statement kept for the next
 * run of the same SQL there. node-api's `run(sql, values)` makes three trips through libuv's thread
 * pool for every call (extract the statements, prepare the last, execute); a statement run before
 * on this connection takes one (execute). SQL holding several statements runs as node-api runs it,
 * every time. A statement whose run fails is dropped, so the next run prepares it afresh. The
 * connection's `closeSync()` destroys the statements it prepared.
 */
async function runStatement(
  conn: NativeConnection,
  sql: string,
  values: DuckDBValue[],
): Promise<DuckDBMaterializedResult> {
  let kept = statements.get(conn)
  let prepared = kept?.get(sql)
  if (prepared) {
    kept!.delete(sql)
    try {
      prepared.clearBindings()
      prepared.bind(values)
    } catch {
      // The statement went with its connection (closed under it): run as node-api runs any SQL, so
      // the error, and the reset it may call for, are the ones a fresh statement would give.
      prepared.destroySync()
      return conn.run(sql, values)
    }
  } else {
    const extracted = await conn.extractStatements(sql)
    if (extracted.count !== 1) return conn.run(sql, values)
    prepared = await extracted.prepare(0)
    try {
      prepared.bind(values)
    } catch (err) {
      prepared.destroySync()
      throw err
    }
  }
  let result: DuckDBMaterializedResult
  try {
    result = await prepared.run()
  } catch (err) {
    prepared.destroySync()
    throw err
  }
  if (!kept) {
    kept = new Map()
    statements.set(conn, kept)
  }
  kept.set(sql, prepared)
  if (kept.size > STATEMENTS_PER_CONNECTION) {
    const [oldest, statement] = kept.entries().next().value!
    kept.delete(oldest)
    statement.destroySync()
  }
  return result
}

/** The synchronous chunk access of a materialized result (what `run()` returns). */
interface MaterializedChunks {
  readonly chunkCount: number
  getChunk(index: number): DuckDBDataChunk
}

/**
 * Reads a whole result, chunk by chunk, into one table. A materialized result (`run()`'s) already
 * holds its chunks: they are taken by index, synchronously, where `fetchChunk()` would make a trip
 * through libuv's thread pool for each chunk and one more to learn there are no more.
 */
async function readTable(result: DuckDBResult): Promise<RowTable> {
  const types = result.columnTypes()
  const fields = readFields(result.columnNames(), types)
  const count = (result as { rowCount?: number }).rowCount
  const builder = new TableBuilder(fields, count ?? VECTOR_SIZE)
  if (types.length === 0) return builder.finish()
  const materialized = result as unknown as Partial<MaterializedChunks>
  if (typeof materialized.chunkCount === 'number' && typeof materialized.getChunk === 'function') {
    const n = materialized.chunkCount
    for (let c = 0; c < n; c++) {
      const chunk = materialized.getChunk(c)
      if (chunk.rowCount > 0) appendChunk(builder, chunk, types)
    }
    return builder.finish()
  }
  while (true) {
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) break
    appendChunk(builder, chunk, types)
  }
  return builder.finish()
}

/** Tables of `chunkSize` rows (the last may be shorter) from a streaming result. */
async function* tableChunks(result: DuckDBResult, chunkSize: number, signal?: AbortSignal): AsyncIterable<RowTable> {
  const types: readonly DuckDBType[] = result.columnTypes()
  if (types.length === 0) return
  const fields = readFields(result.columnNames(), types)
  const capacity = Math.min(chunkSize, VECTOR_SIZE * 8)
  let builder = new TableBuilder(fields, capacity)
  while (true) {
    signal?.throwIfAborted()
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) break
    const n = chunk.rowCount
    let at = 0
    while (at < n) {
      const take = Math.min(n - at, chunkSize - builder.numRows)
      appendChunk(builder, chunk, types, at, at + take)
      at += take
      if (builder.numRows === chunkSize) {
        yield builder.finish()
        builder = new TableBuilder(fields, capacity)
      }
    }
  }
  if (builder.numRows > 0) yield builder.finish()
}

/**
 * Ends a streaming result left unfinished: a pending result holds the connection's query open, and
 * closing the connection under it stalls DuckDB for seconds. A new statement on the connection ends it.
 */
async function settle(conn: NativeConnection): Promise<void> {
  try {
    conn.interrupt()
    await conn.run('select 1')
  } catch {
    // The connection is being dropped anyway.
  }
}

/** Row objects, `chunkSize` at a time, for Kysely's `.stream()`. */
async function* rowChunks(
  conn: NativeConnection,
  sql: string,
  parameters: readonly unknown[],
  chunkSize: number,
): AsyncIterable<unknown[]> {
  const result = await conn.stream(sql, bindable(parameters))
  for await (const table of tableChunks(result, chunkSize)) yield table.toArray()
}

/**
 * Parameters as @duckdb/node-api binds them. Numbers, bigints, strings, booleans and null bind as
 * they are; bytes become a BLOB and a Date a TIMESTAMP (UTC, as TIMESTAMP columns are read back).
 */
function bindable(params: readonly unknown[]): DuckDBValue[] {
  let out: unknown[] | undefined
  for (let i = 0; i < params.length; i++) {
    const v = params[i]
    let bound: unknown = v
    if (v === undefined) bound = null
    else if (v instanceof Uint8Array) bound = blobValue(v)
    else if (v instanceof Date) bound = timestampValue(BigInt(v.getTime()) * 1000n)
    if (bound !== v) {
      out ??= [...params]
      out[i] = bound
    }
  }
  return (out ?? params) as DuckDBValue[]
}
