import { createHash, randomUUID, scryptSync } from 'node:crypto'
import type { RetryPolicy } from 'cockatiel'
import type { CompiledQuery, Dialect, Kysely } from 'kysely'
import { type CacheOptions, type CacheStats, QueryCache, validateCacheOptions } from './cache/query-cache.js'
import { type CacheStatus, cacheStatus } from './cache/status.js'
import { BaseConnection } from './connection.js'
import { type Duration, toMilliseconds } from './duration.js'
import { ConnectionClosedError, ConnectionError, ParameterError, QueryError, SqlconnError } from './errors.js'
import { loadKysely } from './kysely.js'
import { objectId } from './object-id.js'
import { maskUrlPasswords, secretsIn, urlPasswords } from './options.js'
import { type CompiledSql, compileNamed, type Placeholder } from './params.js'
import { isConnectionRefused, RETRY_DEFAULTS, type RetryOptions, retryPolicy } from './retry.js'
import { secretsCacheDefaults } from './secrets.js'
import { type ArrowOptions, arrowField } from './table/arrow.js'
import { type Arrow, loadArrow } from './table/arrow-module.js'
import { type RowTable, recordBatchOf } from './table/table.js'
import type { Field } from './table/types.js'
import { traceQuery, traceStream } from './tracing.js'

/** Something Kysely can compile: the `sql` template tag's result or any query builder. */
export interface Compilable {
  /** Kysely's own: the SQL and parameters for a dialect. */
  compile(executorProvider?: unknown): CompiledQuery
}

/** Parameters: an array for the dialect's own placeholders, an object for `:name` placeholders. */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>

/** Options of `query()`. */
export interface QueryOptions {
  /** Values for the placeholders; ignored when the query is a Kysely query (it carries its own). */
  params?: Params
  /** How long the result stays cached: seconds or `'10m'`; `0` skips the cache. */
  ttl?: Duration | null
  /** `false` skips the cache for this call. */
  cache?: boolean
  /** Moves this column first and records it as the table's index (`schema.metadata.get('index')`). */
  indexCol?: string
  /** Aborts waiting (retries, backoff) and, where the driver can, the query. */
  signal?: AbortSignal
}

/** Options of `stream()`. */
export interface StreamOptions {
  /** Values for the placeholders, as in `query()`. */
  params?: Params
  /** Rows per RowTable chunk (default 10,000). */
  chunkSize?: number
  /** Stops reading (between chunks; the cursor is released). */
  signal?: AbortSignal
}

/** Options of `streamArrow()` and `streamArrowIPC()`. */
export interface ArrowStreamOptions extends ArrowOptions {
  /** Values for the placeholders, as in `query()`. */
  params?: Params
  /** Rows per RecordBatch (default 10,000). */
  batchSize?: number
  /** Stops reading (between batches; the cursor is released). */
  signal?: AbortSignal
}

/** The IPC stream's end marker: a continuation token and a zero length. */
const IPC_END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])

/** Bytes taken by the encapsulated IPC message at `offset`: marker, length, metadata and body. */
function ipcMessageLength(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset)
  const metadata = view.getInt32(4, true)
  // A schema message has no body; record batches are never measured here.
  return 8 + metadata
}

/**
 * A stream's Arrow fields from its first chunk. Every field is nullable: a later batch may hold the
 * first null (a NOT NULL column on a join's outer side); a column of unknown type so far is Utf8.
 */
function streamFields(a: Arrow, fields: readonly Field[], options: ArrowOptions): import('apache-arrow').Field[] {
  return fields.map((f) => arrowField(a, { ...f, type: f.type === 'null' ? 'utf8' : f.type, nullable: true }, options))
}

/** Options of a SQL connection besides the driver's own. */
export interface SqlConnectionOptions {
  /** Query-cache settings, or `false` to turn caching off for this connection. */
  cache?: CacheOptions | false
  /** Retry bounds for transient errors, or `false` for none. */
  retry?: RetryOptions | false
}

const SECRETS_CHECK_INTERVAL_MS = 1000

/** Option values that name an in-memory database, whose data no other connection can read. */
const IN_MEMORY = /:memory:|[?&]mode=memory(?:[&#]|$)/i

/** A value for an identity: plain data as it is, functions and class instances by identity. */
function byIdentity(value: unknown, depth = 0): unknown {
  if (typeof value === 'function') return `fn${objectId(value)}`
  if (value === null || typeof value !== 'object' || depth > 8) return value
  if (value instanceof Date) return value.toISOString()
  if (ArrayBuffer.isView(value)) {
    return `bytes:${createHash('sha256')
      .update(value as Uint8Array)
      .digest('base64url')}`
  }
  if (Array.isArray(value)) return value.map((v) => byIdentity(v, depth + 1))
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return `obj${objectId(value)}`
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, byIdentity(v, depth + 1)]))
}

/** Thrown inside an attempt to stop retrying once `retry.maxDuration` is spent; carries the last error. */
class RetryBudgetSpent extends Error {
  constructor(cause: unknown) {
    super('retry budget spent', { cause })
  }
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

/**
 * A SQL connection, after Streamlit's `SQLConnection`: `query()` returns a cached RowTable,
 * `stream()` reads in chunks, and `db` is a Kysely instance on the same driver object for
 * building queries, writes and transactions.
 *
 * An adapter implements `connect()`, `createDialect()`, `execute()`, `executeStream()` and,
 * for retries, `isTransientError()`.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export abstract class SqlConnection<Raw = unknown, DB = any> extends BaseConnection<Raw> {
  #db: Kysely<DB> | undefined
  #cache: QueryCache | false | undefined
  readonly #cacheOption: CacheOptions | false | undefined
  readonly #retryOption: RetryOptions | false | undefined
  #identity: string | undefined
  #lastSecretsCheck = 0

  /** How the dialect writes the n-th positional placeholder; `?` unless overridden. */
  protected placeholder: Placeholder = () => '?'
  /** Whether backslash escapes inside quoted strings (MySQL) when scanning for `:name`. */
  protected backslashEscapes = false

  /** @param name the connection's name @param options the driver's options plus `cache` and `retry` */
  constructor(name: string, options: Record<string, unknown> & SqlConnectionOptions = {}) {
    super(name, options)
    this.#cacheOption = options.cache
    this.#retryOption = options.retry
  }

  /** `retry` from code, else from the secrets section. */
  get #retrySettings(): RetryOptions {
    const options = this.#retryOption ?? (this.secrets.retry as RetryOptions | false | undefined)
    return options === false ? { maxAttempts: 0 } : (options ?? {})
  }

  /** Longest time a read may take, retries included. */
  get #maxDuration(): number {
    return this.#retrySettings.maxDuration ?? RETRY_DEFAULTS.maxDuration
  }

  /** The retry policy, built once. */
  get #retry(): RetryPolicy {
    if (!this.#policy) {
      this.#policy = retryPolicy(
        this.#retrySettings,
        (err) => this.#isTransient(err),
        (err) => this.isConnectionRefused(err),
      )
      this.#policy.onRetry((e) => {
        if ('error' in e) this.emit('retry', { attempt: e.attempt, error: e.error })
      })
    }
    return this.#policy
  }

  #policy: RetryPolicy | undefined

  /**
   * A Kysely dialect on the driver object, so `db` shares its pool or handle. Called once: the
   * dialect must reach the driver object through `this.raw` when it needs it (a small facade), so
   * a `db` the user keeps still works after a reset replaces the pool.
   */
  protected abstract createDialect(): Dialect

  /** Runs one statement and reads its rows into a RowTable (with core's TableBuilder). */
  protected abstract execute(query: CompiledSql, options: { signal?: AbortSignal }): Promise<RowTable> | RowTable

  /** Runs one statement and yields its rows in RowTable chunks of `chunkSize`, without loading them all. */
  protected abstract executeStream(query: CompiledSql, chunkSize: number, signal?: AbortSignal): AsyncIterable<RowTable>

  /** True for errors a reset and retry can cure (connection lost, server restarting, busy). */
  protected isTransientError(_error: unknown): boolean {
    return false
  }

  /**
   * True when the server refused a new connection (nothing listens: it is restarting). Such an
   * attempt costs a round trip and no server work, so it is retried after 250 ms at most, and a
   * read goes through as soon as the server is back. Adapters add the server's own refusals.
   */
  protected isConnectionRefused(error: unknown): boolean {
    return isConnectionRefused(error)
  }

  /**
   * True when a transient error should drop the driver object before the retry (a lost connection).
   * Errors a retry alone cures (SQLite's busy lock, held by another process) keep it.
   */
  protected needsReset(_error: unknown): boolean {
    return true
  }

  /** Kysely on the same driver object: query building, writes and transactions. It survives resets. */
  get db(): Kysely<DB> {
    if (this.closed) throw new ConnectionClosedError(this.name)
    // Kysely loads here, on first use: query('text') never imports it (see kysely.ts).
    this.#db ??= new (loadKysely().Kysely)<DB>({ dialect: this.createDialect() })
    return this.#db
  }

  protected override onSecretsChanged(): void {
    if (this.#cache) void this.#cache.close()
    this.#cache = undefined
    this.#identity = undefined
    this.#policy = undefined
  }

  protected override onReset(): void {
    this.#identity = undefined
  }

  /**
   * Runs a read and returns its rows as a RowTable, cached by default.
   *
   * @param query SQL text, Kysely's `sql` template, or a Kysely query builder
   * @example
   * const t = await conn.query('select * from pets where owner = :owner', { params: { owner: 'jane' }, ttl: '10m' })
   */
  async query<R extends object = Record<string, unknown>>(
    query: string | Compilable,
    options: QueryOptions = {},
  ): Promise<RowTable<R>> {
    // A span per call when the app has @opentelemetry/api (tracing.ts); otherwise a null check.
    const run = () => this.#query<R>(query, options)
    return traceQuery(this, this.connectionClass.typeName, query, options.params, run)
  }

  async #query<R extends object>(query: string | Compilable, options: QueryOptions): Promise<RowTable<R>> {
    this.#maybeCheckSecrets()
    const compiled = this.compile(query, options.params)
    const ttlMs = options.ttl === null ? undefined : toMilliseconds(options.ttl)
    const cache = options.cache === false || ttlMs === 0 ? false : this.#queryCache()
    const started = performance.now()
    let table: RowTable
    let hit = false
    if (cache) {
      const key = cache.key(this.identity, compiled.sql, compiled.parameters, options.indexCol ?? null)
      // The run may be shared with other callers: it must not stop when this caller's signal aborts.
      const shared = cache.getOrRun(key, ttlMs, () => this.#run(compiled, { indexCol: options.indexCol }))
      ;({ table, hit } = await abortable(shared, options.signal))
    } else {
      table = await abortable(this.#run(compiled, options), options.signal)
    }
    const durationMs = performance.now() - started
    const tier = cache ? cache.tier : undefined
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
    this.#maybeCheckSecrets()
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
      throw this.#wrap(err, compiled.sql)
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
  async *streamArrow(
    query: string | Compilable,
    options: ArrowStreamOptions = {},
  ): AsyncGenerator<import('apache-arrow').RecordBatch, void, undefined> {
    const a = loadArrow('SqlConnection.streamArrow()')
    let fields: import('apache-arrow').Field[] | undefined
    const chunkSize = options.batchSize ?? 10_000
    for await (const chunk of this.stream(query, { params: options.params, chunkSize, signal: options.signal })) {
      fields ??= streamFields(a, chunk.schema.fields, options)
      yield recordBatchOf(a, chunk, fields)
    }
    if (!fields) {
      // No rows, so no chunk named the columns: read them from the (empty) result itself.
      const empty = await this.query(query, { params: options.params, cache: false, signal: options.signal })
      yield recordBatchOf(a, empty.slice(0, 0), streamFields(a, empty.schema.fields, options))
    }
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
    const batches = this.streamArrow(query, options)
    let schemaSent = false
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = await batches.next()
            if (next.done) {
              controller.enqueue(IPC_END_OF_STREAM.slice())
              controller.close()
              return
            }
            const batch = next.value
            // One batch as a stream is [schema][batch][end]; the schema goes out once.
            const bytes = a.tableToIPC(new a.Table(batch.schema, batch), 'stream')
            const schemaLength = ipcMessageLength(bytes, 0)
            controller.enqueue(
              bytes.subarray(schemaSent ? schemaLength : 0, bytes.byteLength - IPC_END_OF_STREAM.length),
            )
            schemaSent = true
          } catch (err) {
            controller.error(err)
          }
        },
        async cancel() {
          await batches.return()
        },
      },
      { highWaterMark: 0 },
    )
  }

  /** Checks the database answers (`select 1`), with the same retry and reset as `query()`. */
  async ping(): Promise<void> {
    await this.query('select 1', { cache: false })
  }

  /**
   * What identifies the data this connection reads, for cache keys. By default: every resolved
   * option (functions and class instances by identity; secrets through a slow hash), plus this
   * instance and its driver object when `isPrivateTarget()` says no one else can read the same data.
   * Adapters override it to share more (the built-in ones key by host, database and user).
   */
  protected cacheIdentity(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    const secrets: unknown[] = []
    for (const o of this.config.entries()) {
      if (o.value === undefined) continue
      if (o.secret || (typeof o.value === 'object' && o.value !== null && secretsIn({ [o.name]: o.value }).length)) {
        secrets.push([o.name, byIdentity(o.value)])
        continue
      }
      if (typeof o.value === 'string') {
        out[o.name] = maskUrlPasswords(o.value)
        const passwords = urlPasswords(o.value)
        if (passwords.length) secrets.push([o.name, passwords])
      } else out[o.name] = byIdentity(o.value)
    }
    // Secrets can select the data (a token naming an account), so they count; through scrypt, as a
    // key's fast hash of a guessable password could be brute-forced by whoever reads the store.
    if (secrets.length) out['sqlconn:secrets'] = this.#slowDigest(JSON.stringify(secrets))
    if (this.isPrivateTarget()) out['sqlconn:instance'] = `${this.#instanceId}:${this.generation}`
    return out
  }

  /**
   * True when the data lives only in this connection's driver object (an in-memory database): its
   * cached results are then keyed to this instance and driver object, never served to another
   * connection or process. By default an option naming an in-memory database (`:memory:`,
   * `file::memory:`, `mode=memory`) or an empty required path makes it so. Adapters override it
   * when they know better, or override `cacheIdentity()` altogether.
   */
  protected isPrivateTarget(): boolean {
    const specs = this.connectionClass.options
    return this.config.entries().some((o) => {
      if (typeof o.value !== 'string') return false
      if (IN_MEMORY.test(o.value)) return true
      const spec = specs.find((s) => s.name === o.name)
      return o.value === '' && spec !== undefined && (Boolean(spec.required) || spec.group !== undefined)
    })
  }

  /**
   * scrypt of `text`, remembered for the last input: identities are recomputed after each reset. Its
   * cost (N = 4096, about 10 ms once per connection) makes guessing a password from a key slow.
   */
  #slowDigest(text: string): string {
    if (this.#secretDigest?.text !== text) {
      const digest = scryptSync(text, 'sqlconn cache identity', 24, { N: 1 << 12 }).toString('base64url')
      this.#secretDigest = { text, digest }
    }
    return this.#secretDigest.digest
  }

  #secretDigest: { text: string; digest: string } | undefined
  readonly #instanceId = randomUUID()

  /** The cache key's first part: the type and a hash of `cacheIdentity()` (no secret in clear). */
  protected get identity(): string {
    if (!this.#identity) {
      let values: Record<string, unknown>
      try {
        values = this.cacheIdentity()
      } catch (err) {
        // Adapters read their options here (a URL to parse): what they throw may quote one.
        throw this.redactError(err)
      }
      const stable = JSON.stringify(
        Object.keys(values)
          .sort()
          .map((k) => [k, values[k]]),
        // A function counts by identity: two parsers with one name may read values differently.
        (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? `fn${objectId(v)}` : v),
      )
      const digest = createHash('sha256').update(stable).digest('base64url')
      this.#identity = `${this.connectionClass.typeName}:${digest.slice(0, 32)}`
    }
    return this.#identity
  }

  /** Turns the query argument and params into SQL text with the dialect's placeholders. */
  protected compile(query: string | Compilable, params: Params | undefined): CompiledSql {
    if (typeof query !== 'string') {
      if (query === null || typeof (query as Compilable)?.compile !== 'function') {
        throw new ParameterError(
          'INVALID_PARAMETERS',
          'query() takes SQL text, a Kysely `sql` template or a Kysely query builder.',
        )
      }
      const c = query.compile(this.db)
      return { sql: c.sql, parameters: c.parameters }
    }
    if (params === undefined) return { sql: query, parameters: [] }
    if (Array.isArray(params)) return { sql: query, parameters: params }
    if (typeof params === 'object' && params !== null && Object.getPrototypeOf(params) === Object.prototype) {
      return compileNamed(query, params as Record<string, unknown>, this.placeholder, this.backslashEscapes)
    }
    throw new ParameterError(
      'INVALID_PARAMETERS',
      `params must be an array (for ${this.placeholder(0)} placeholders) or a plain object (for :name placeholders).`,
    )
  }

  /** Cache settings, key by key: code, then `[connections.<name>.cache]`, then the top-level `[cache]`. */
  #queryCache(): QueryCache | false {
    if (this.#cache === undefined) {
      const section = this.secrets.cache
      if (this.#cacheOption === false || section === false) this.#cache = false
      else {
        const layers = [
          validateCacheOptions(secretsCacheDefaults(), 'the [cache] table of the secrets files'),
          validateCacheOptions(
            (section as Record<string, unknown> | undefined) ?? {},
            `[connections.${this.name}.cache]`,
          ),
          validateCacheOptions((this.#cacheOption ?? {}) as Record<string, unknown>, 'the cache option in code'),
        ]
        const options: CacheOptions = Object.assign({}, ...layers)
        // `url` and `store` both name the backend: the highest layer giving either decides it, so a
        // store passed in code beats a [cache] url in the secrets file.
        const backend = layers.findLast((l) => l.url !== undefined || l.store !== undefined)
        if (backend) {
          options.url = backend.url
          options.store = backend.store
        }
        this.#cache = new QueryCache(options, {
          onError: (error) => this.emit('cacheError', { error: this.#redactError(error) }),
          onBreaker: (state) => this.emit('cacheBreaker', { state }),
        })
      }
    }
    return this.#cache
  }

  /**
   * A copy safe to hand to listeners: the message redacted, and no `cause` (a client's error may
   * carry the full URL in its properties). The store's own error object is left untouched.
   */
  #redactError(error: unknown): Error {
    const safe = new Error(this.redact(error instanceof Error ? error.message : String(error)))
    safe.name = error instanceof Error ? error.name : 'Error'
    return safe
  }

  /**
   * Where this connection's results are cached, whether that store answers now (a bounded listing
   * of this connection's keys) and how many entries it holds: what `sqlconn doctor` and
   * `sqlconn cache stats` print. Never throws for a store that is down; `answers` says so.
   */
  async cacheStatus(): Promise<CacheStatus> {
    const cache = this.#queryCache()
    return cacheStatus(cache, cache ? cache.prefix(this.identity) : '', (t) => this.redact(t))
  }

  /** Hits, misses, store errors and breaker state of this connection's query cache. */
  get cacheStats(): Readonly<CacheStats> | undefined {
    const cache = this.#queryCache()
    return cache ? { ...cache.stats } : undefined
  }

  async #run(compiled: CompiledSql, options: Pick<QueryOptions, 'indexCol' | 'signal'>): Promise<RowTable> {
    const policy = this.#retry
    const started = Date.now()
    try {
      const table = await policy.execute(async ({ signal }) => {
        const generation = this.generation
        try {
          return await this.execute(compiled, { signal })
        } catch (err) {
          if (!this.#isTransient(err)) throw err
          // Not awaited: the retry must not wait for the old pool to drain.
          if (this.needsReset(err)) void this.resetIfCurrent(generation, 'transient error')
          // Retries are bounded in time (checked here, on failure: no timer per query). No backoff
          // starts once the budget is spent, so a read fails at most one delay and one attempt late.
          if (Date.now() - started >= this.#maxDuration) throw new RetryBudgetSpent(err)
          throw err
        }
      }, options.signal)
      return options.indexCol ? this.#withIndex(table, options.indexCol) : table
    } catch (err) {
      if (err instanceof RetryBudgetSpent) {
        throw this.#wrap(
          new QueryError(
            'CONNECTION_FAILED',
            `Connection "${this.name}" did not answer within ${this.#maxDuration} ms (retry.maxDuration): ` +
              `${err.cause instanceof Error ? err.cause.message : String(err.cause)}\n  SQL: ${compiled.sql}`,
            compiled.sql,
            { cause: err.cause },
          ),
          compiled.sql,
        )
      }
      throw this.#wrap(err, compiled.sql, true)
    }
  }

  #isTransient(err: unknown): boolean {
    return this.isTransientError(err) || (err instanceof ConnectionError && this.isTransientError(err.cause))
  }

  #withIndex(table: RowTable, indexCol: string): RowTable {
    const names = table.schema.fields.map((f) => f.name)
    if (!names.includes(indexCol)) {
      throw new ParameterError(
        'INVALID_PARAMETERS',
        `indexCol "${indexCol}" is not a column of the result; its columns are ${names.join(', ')}.`,
        'indexCol',
      )
    }
    const metadata = new Map(table.schema.metadata)
    metadata.set('index', indexCol)
    // By position, not name: a result may repeat a column name.
    const at = names.indexOf(indexCol)
    return table.withMetadata(metadata, [at, ...names.map((_, j) => j).filter((j) => j !== at)])
  }

  /**
   * The error a user sees for `err`, redacted: the message, and the cause when the driver's own
   * error would show a secret (a server echoing a URL given as a user or database name).
   */
  #wrap(err: unknown, sql: string, retried = false): unknown {
    if (err instanceof SqlconnError) return this.redactError(err)
    if (err instanceof Error && err.name === 'AbortError') return err
    const message = err instanceof Error ? err.message : String(err)
    const transient = this.#isTransient(err)
    const what = transient
      ? `Connection "${this.name}" failed${retried ? ' after retries' : ''}: ${message}`
      : `Query on connection "${this.name}" failed: ${message}`
    return this.redactError(
      new QueryError(transient ? 'CONNECTION_FAILED' : 'QUERY_FAILED', `${what}\n  SQL: ${sql}`, sql, { cause: err }),
    )
  }

  #maybeCheckSecrets(): void {
    const now = Date.now()
    if (now - this.#lastSecretsCheck < SECRETS_CHECK_INTERVAL_MS) return
    this.#lastSecretsCheck = now
    try {
      this.checkSecrets()
    } catch {
      // A secrets file caught half-saved: keep the last good settings; connection() reports it.
    }
  }

  /**
   * Removes cached results from the store (for every app server sharing it): the one for `query`
   * and its `params` when given, else every result of this connection.
   */
  async clearCache(
    query?: string | Compilable,
    options: Pick<QueryOptions, 'params' | 'indexCol'> = {},
  ): Promise<void> {
    const cache = this.#queryCache()
    if (!cache) return
    if (query === undefined) {
      await cache.deletePrefix(cache.prefix(this.identity))
      return
    }
    const compiled = this.compile(query, options.params)
    await cache.delete(cache.key(this.identity, compiled.sql, compiled.parameters, options.indexCol ?? null))
  }

  /** Closes the driver object and releases a shared cache store (a Redis client) this connection used. */
  override async close(): Promise<void> {
    await super.close()
    if (this.#cache) await this.#cache.close()
  }
}
