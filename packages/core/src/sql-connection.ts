import type { Dialect, Kysely } from 'kysely'
import type { CacheStats } from './cache/query-cache.js'
import type { CacheStatus } from './cache/status.js'
import { BaseConnection } from './connection.js'
import { monotonicMs } from './duration.js'
import { ConnectionClosedError, ParameterError } from './errors.js'
import { loadKysely } from './kysely.js'
import type { CompiledSql, Placeholder } from './params.js'
import { isConnectionRefused } from './retry.js'
import { arrowBatches, ipcStream } from './sql/arrow-stream.js'
import { ConnectionCache } from './sql/cache.js'
import { compileQuery } from './sql/compile.js'
import { namesPrivateTarget, optionsIdentity, SlowDigest } from './sql/identity.js'
import type {
  ArrowStreamOptions,
  Compilable,
  Params,
  QueryOptions,
  SqlConnectionOptions,
  StreamOptions,
} from './sql/options.js'
import { RetryingReader } from './sql/retry-run.js'
import { loadArrow } from './table/arrow-module.js'
import type { RowTable } from './table/table.js'
import { traceQuery, traceStream } from './tracing.js'

export type * from './sql/options.js'

/**
 * A SQL connection, after Streamlit's `SQLConnection`: `query()` returns a cached RowTable,
 * `stream()` reads in chunks, and `db` is a Kysely instance on the same driver object for
 * building queries, writes and transactions.
 *
 * An adapter must implement `connect()`, `createDialect()`, `execute()` and `executeStream()`, and
 * may override `refineConfig()`, `disconnect()`, `onReset()`, `onSecretsChanged()`, `placeholder`,
 * `backslashEscapes`, `isTransientError()`, `isConnectionRefused()`, `needsReset()`,
 * `cacheIdentity()` and `isPrivateTarget()`. Each is documented in contract.ts (`SqlAdapterHooks`),
 * in the order an adapter author meets them.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export abstract class SqlConnection<Raw = unknown, DB = any> extends BaseConnection<Raw> {
  #db: Kysely<DB> | undefined
  readonly #cache: ConnectionCache
  readonly #reader: RetryingReader
  readonly #secretDigest = new SlowDigest()

  /** How the dialect writes the n-th positional placeholder; `?` unless overridden (`QueryHooks`, contract.ts). */
  protected placeholder: Placeholder = () => '?'
  /** Whether backslash escapes inside quoted strings (MySQL) when scanning for `:name` (`QueryHooks`). */
  protected backslashEscapes = false

  /** @param name the connection's name @param options the driver's options plus `cache` and `retry` */
  constructor(name: string, options: Record<string, unknown> & SqlConnectionOptions = {}) {
    super(name, options)
    // The helpers reach the adapter's hooks through these closures, so overrides apply.
    this.#cache = new ConnectionCache(
      {
        name,
        typeName: () => this.connectionClass.typeName,
        secrets: () => this.secrets,
        cacheIdentity: () => this.cacheIdentity(),
        isPrivateTarget: () => this.isPrivateTarget(),
        generation: () => this.generation,
        redact: (text) => this.redact(text),
        redactError: (error) => this.redactError(error),
        onError: (error) => this.emit('cacheError', { error }),
        onBreaker: (state) => this.emit('cacheBreaker', { state }),
        onInvalidated: (latencyMs) => this.emit('cacheInvalidated', { latencyMs }),
      },
      options.cache,
    )
    this.#reader = new RetryingReader(
      {
        name,
        secrets: () => this.secrets,
        generation: () => this.generation,
        execute: (query, opts) => this.execute(query, opts),
        isTransientError: (error) => this.isTransientError(error),
        isConnectionRefused: (error) => this.isConnectionRefused(error),
        needsReset: (error) => this.needsReset(error),
        resetIfCurrent: (generation, reason) => this.resetIfCurrent(generation, reason),
        onRetry: (attempt, error) => this.emit('retry', { attempt, error }),
        redactError: (error) => this.redactError(error),
      },
      options.retry,
    )
  }

  /** A Kysely dialect on the driver object, called once (`QueryHooks.createDialect`, contract.ts). */
  protected abstract createDialect(): Dialect

  /** Runs one statement into a RowTable (`QueryHooks.execute`, contract.ts). */
  protected abstract execute(query: CompiledSql, options: { signal?: AbortSignal }): Promise<RowTable> | RowTable

  /** Runs one statement, yielding RowTable chunks of `chunkSize` (`QueryHooks.executeStream`, contract.ts). */
  protected abstract executeStream(query: CompiledSql, chunkSize: number, signal?: AbortSignal): AsyncIterable<RowTable>

  /** True for errors a reset and retry can cure; none by default (`TransientErrorHooks`, contract.ts). */
  protected isTransientError(_error: unknown): boolean {
    return false
  }

  /** True when the server refused a new connection: retried soon (`TransientErrorHooks`, contract.ts). */
  protected isConnectionRefused(error: unknown): boolean {
    return isConnectionRefused(error)
  }

  /** True when a transient error drops the driver object before the retry (`TransientErrorHooks`). */
  protected needsReset(_error: unknown): boolean {
    return true
  }

  /** Kysely on the same driver object: query building, writes and transactions. It survives resets. */
  get db(): Kysely<DB> {
    if (this.closed) throw new ConnectionClosedError(this.name)
    // Kysely loads here, on first use: query('text') never imports it (see kysely.ts).
    // The plugin is cheap when invalidateOnWrite is off (one check per query), so it is always there.
    this.#db ??= new (loadKysely().Kysely)<DB>({ dialect: this.createDialect(), plugins: [this.#cache.writePlugin()] })
    return this.#db
  }

  protected override onSecretsChanged(): void {
    this.#cache.drop()
    this.#reader.forget()
  }

  protected override onReset(): void {
    this.#cache.forgetIdentity()
  }

  /**
   * Runs a read and returns its rows as a RowTable, cached by default.
   *
   * @param query SQL text, Kysely's `sql` template, or a Kysely query builder
   * @example
   * const t = await conn.query('select * from pets where owner = :owner', { params: { owner: 'jane' }, ttl: '10m' })
   */
  query<R extends object = Record<string, unknown>>(
    query: string | Compilable,
    options: QueryOptions = {},
  ): Promise<RowTable<R>> {
    // A span per call when the app has @opentelemetry/api (tracing.ts); otherwise a null check and
    // #query's own promise (not async here: one promise less per read).
    try {
      const run = (compiled?: CompiledSql) => this.#query<R>(query, options, compiled)
      return traceQuery(this, this.connectionClass.typeName, query, options.params, run)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  async #query<R extends object>(
    query: string | Compilable,
    options: QueryOptions,
    traced: CompiledSql | undefined,
  ): Promise<RowTable<R>> {
    this.maybeCheckSecrets()
    // Tracing has compiled a builder already, for the span's text.
    const compiled = traced ?? this.compile(query, options.params)
    const started = monotonicMs()
    // The cache decides whether to read through it (sql/cache.ts); a miss runs the retried read.
    const { table, hit, tier } = await this.#cache.read(compiled, options, (c, o) => this.#reader.runIndexed(c, o))
    const durationMs = monotonicMs() - started
    this.emit('query', { sql: compiled.sql, cached: hit, durationMs, rows: table.numRows, tier })
    return table as RowTable<R>
  }

  /**
   * Reads a result in RowTable chunks of `chunkSize` rows, holding only one chunk at a time.
   * Breaking out of the loop releases the driver's cursor. Streams are not cached or retried.
   */
  stream<R extends object = Record<string, unknown>>(
    query: string | Compilable,
    options: StreamOptions = {},
  ): AsyncGenerator<RowTable<R>, void, undefined> {
    return traceStream(this, this.connectionClass.typeName, query, options.params, this.#stream<R>(query, options))
  }

  async *#stream<R extends object>(
    query: string | Compilable,
    options: StreamOptions,
  ): AsyncGenerator<RowTable<R>, void, undefined> {
    this.maybeCheckSecrets()
    const compiled = this.compile(query, options.params)
    const chunkSize = options.chunkSize ?? 10_000
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new ParameterError('INVALID_PARAMETERS', `chunkSize must be a positive integer, got ${chunkSize}.`)
    }
    try {
      for await (const chunk of this.executeStream(compiled, chunkSize, options.signal)) {
        // Leaving the loop here runs the adapter's cleanup, which releases the cursor.
        options.signal?.throwIfAborted()
        yield chunk as RowTable<R>
      }
    } catch (err) {
      throw this.#reader.wrap(err, compiled.sql)
    }
  }

  /**
   * Reads a result as apache-arrow `RecordBatch`es of `batchSize` rows from a server-side cursor.
   * Every batch has one schema, taken from the declared column types when the first rows arrive
   * (a column whose type no batch can tell, such as SQLite's `select null`, is Utf8); an empty result
   * gives one empty batch so a reader still learns the columns.
   *
   * @example
   * for await (const batch of conn.streamArrow('select * from events', { batchSize: 50_000 })) total += batch.numRows
   */
  streamArrow(
    query: string | Compilable,
    options: ArrowStreamOptions = {},
  ): AsyncGenerator<import('apache-arrow').RecordBatch, void, undefined> {
    return arrowBatches(this, query, options)
  }

  /**
   * The result as a web `ReadableStream` of Arrow IPC stream bytes
   * (`application/vnd.apache.arrow.stream`), read batch by batch as the consumer pulls, so an HTTP
   * response of any size holds one batch in memory. Cancelling the stream releases the cursor.
   *
   * @example
   * return new Response(conn.streamArrowIPC('select * from orders'), {
   *   headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
   * })
   */
  streamArrowIPC(query: string | Compilable, options: ArrowStreamOptions = {}): ReadableStream<Uint8Array> {
    const a = loadArrow('SqlConnection.streamArrowIPC()')
    return ipcStream(a, this.streamArrow(query, options))
  }

  /** Checks the database answers (`select 1`), with the same retry and reset as `query()`. */
  async ping(): Promise<void> {
    await this.query('select 1', { cache: false })
  }

  /** What identifies the data read, for cache keys: every resolved option by default (`CacheIdentityHooks`). */
  protected cacheIdentity(): Record<string, unknown> {
    return optionsIdentity(this.config, (text) => this.#secretDigest.of(text))
  }

  /** True when the data lives only in this driver object, an in-memory database (`CacheIdentityHooks`). */
  protected isPrivateTarget(): boolean {
    return namesPrivateTarget(this.config, this.connectionClass.options)
  }

  /** The cache key's first part: the type and a hash of `cacheIdentity()` (no secret in clear). */
  protected get identity(): string {
    return this.#cache.identity
  }

  /** Turns the query argument and params into SQL text with the dialect's placeholders. */
  protected compile(query: string | Compilable, params: Params | undefined): CompiledSql {
    return compileQuery(query, params, () => this.db, this.placeholder, this.backslashEscapes)
  }

  /**
   * Where this connection's results are cached, whether that store answers now (a bounded listing
   * of this connection's keys) and how many entries it holds: what `sqlconn doctor` and
   * `sqlconn cache stats` print. Never throws for a store that is down; `answers` says so.
   */
  async cacheStatus(): Promise<CacheStatus> {
    return this.#cache.status()
  }

  /** Hits, misses, store errors and breaker state of this connection's query cache. */
  get cacheStats(): Readonly<CacheStats> | undefined {
    return this.#cache.stats
  }

  /**
   * Drops every cached result tagged with one of `tags` (`query(sql, { tags })`): in this process,
   * in every app server's memory tier (over the Redis bus) and in Redis. Resolves once Redis has
   * dropped them and the bus message is sent.
   *
   * @example
   * await conn.query('select * from orders', { tags: ['orders'] })
   * await conn.invalidate({ tags: ['orders'] }) // after a write to orders
   */
  async invalidate(what: { tags: readonly string[] }): Promise<void> {
    await this.#cache.invalidate(what.tags)
  }

  /**
   * Removes cached results from the store (for every app server sharing it): the one for `query`
   * and its `params` (and `scope`) when given, else every result of this connection.
   */
  async clearCache(
    query?: string | Compilable,
    options: Pick<QueryOptions, 'params' | 'indexCol' | 'scope'> = {},
  ): Promise<void> {
    const compile = query === undefined ? undefined : () => this.compile(query, options.params)
    await this.#cache.clear(compile, options.indexCol, options.scope)
  }

  /** Closes the driver object and releases a shared cache store (a Redis client) this connection used. */
  override async close(): Promise<void> {
    await super.close()
    await this.#cache.close()
  }
}
