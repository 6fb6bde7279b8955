/**
 * The adapter contract: every type and hook an adapter implements, reads or may override, in the
 * order an adapter author meets them. docs/writing-an-adapter.md follows the same order with a
 * whole working adapter; the classes (`BaseConnection` in connection.ts, `SqlConnection` in
 * sql-connection.ts) carry the code, this file says what an adapter owes them.
 *
 * 1. Declaring the type and its options: `ConnectionClass` (the static side: `typeName`, `options`,
 *    `nativeConfig()`) and `OptionSpec` (shared roles such as host or password: `declareOptions()`,
 *    option-roles.ts).
 * 2. Where values come from: `ConfigLayer`, `NativeContext`, `NativeLayers`, `ValueSource`; the
 *    resolved config (`ResolvedConfig`, resolved-config.ts) and its helpers (`withUrlParts()`,
 *    `partOf()`, `isGiven()` in precedence.ts; for embedded databases named by a file,
 *    `fileFromUrl()` and `withFileOption()` in file-url.ts).
 * 3. The connection class's hooks: `ConnectionHooks`, with the protected helpers BaseConnection
 *    gives an adapter.
 * 4. Running SQL: `CompiledSql`, `Placeholder` and `QueryHooks` (the dialect, `execute`, `executeStream`).
 * 5. Results: what `TableBuilder` (table/builder.ts) takes per column: `FieldInit`, `LogicalType`,
 *    `TimeUnit`, `Decode`.
 * 6. Transient errors: `TransientErrorHooks`, and for drivers with a pool of network connections
 *    the pool helpers (`DrainablePool`, `DrainOptions`; `endWhenIdle()`, `isNetworkErrorCode()` in
 *    pool.ts) and the messages for a connection that could not be opened (`describeConnectFailure()`
 *    in connect-failure.ts).
 * 7. Cache identity: `CacheIdentityHooks`.
 * 8. Events: `ConnectionEvents`.
 * 9. Proving it: `describeConformance()` from `@sqlconn/core/testing` (its options: testing/options.ts).
 *
 * `SqlAdapterHooks` gathers every hook of a SQL adapter. An adapter never ranks sources, builds the
 * native context or redacts by itself: core does, and hands it the results.
 */
import type { Dialect } from 'kysely'
import type { BaseConnection } from './connection.js'
import type { ResolvedConfig } from './resolved-config.js'
import type { RowTable } from './table/table.js'

// --- 1. Declaring the type and its options -------------------------------------------------------

/** The JS type an option takes. `'any'` accepts whatever the driver accepts (objects, functions). */
export type OptionType = 'string' | 'number' | 'boolean' | 'object' | 'any'

/**
 * One option of a connection type, declared once: it drives validation, masking, the docs'
 * options table and, later, the CLI's `doctor`.
 */
export interface OptionSpec {
  /** The driver's own name for it (`filename`, `connectionString`, `uri`). */
  readonly name: string
  /** The JS type its value must have; strings from secrets and the environment are coerced to it. */
  readonly type: OptionType
  /** Must be given; `{ unless: [...] }` when one of those options may stand in for it. */
  readonly required?: boolean | { readonly unless: readonly string[] }
  /** The value when no source gives one (ranked below every source); the driver's own default. */
  readonly default?: unknown
  /** Masked wherever a config is printed, and kept out of errors. */
  readonly secret?: boolean
  /** One line for the docs and error messages. */
  readonly description: string
  /** Other names accepted for it (Kysely's `database` for SQLite's `filename`). */
  readonly aliases?: readonly string[]
  /**
   * Options in the same group describe one thing (a path or a URL): the highest-precedence source
   * that gives any of them gives the whole group, so a `url` in code beats a `filename` in secrets.
   */
  readonly group?: string
  /** Where the data source's own configuration may supply it (`PGHOST`, `~/.pgpass`). */
  readonly native?: readonly string[]
}

/** The static side of a connection class: its declared options and native configuration. */
export interface ConnectionClass<C extends BaseConnection = BaseConnection> {
  new (name: string, options?: Record<string, unknown>): C
  /** The short type name (`sqlite`), used in messages and cache keys. */
  readonly typeName: string
  /** Every option the type accepts, declared once. */
  readonly options: readonly OptionSpec[]
  /**
   * Values from the data source's own configuration (env variables, files), below code and
   * secrets: one layer, or several highest first. `given` holds what code and secrets say (no
   * defaults), for a configuration that depends on them; it is undefined when only the secrets
   * to mask are wanted.
   */
  nativeConfig(context: NativeContext, given?: ResolvedConfig): NativeLayers
}

// --- 2. Where values come from -------------------------------------------------------------------

/** What kind of source a resolved value came from. */
export type SourceKind = 'kwargs' | 'secrets' | 'native' | 'default'

/**
 * Where a resolved value came from, as data, decided once by core. Adapters never weigh it
 * themselves: `withUrlParts()` applies the one URL-vs-options rule and `isGiven()` says whether the
 * user gave the value; the label's text is only for showing.
 */
export interface ValueSource {
  readonly kind: SourceKind
  /**
   * How strongly the value binds: its source's place in the precedence order, 0 the highest. The
   * layers are numbered in the order given (kwargs 0, secrets 1, then each layer of the data
   * source's own configuration), then one place for values that configuration gives once the rest
   * is known (a password file), then the declared defaults.
   */
  readonly rank: number
  /** How it is shown: `kwargs`, `secrets: /app/.sqlconn/secrets.toml`, `env PGHOST`, `default`. */
  readonly label: string
  /** The option that stood for it, when it was taken from another one (a URL's part: `connectionString`). */
  readonly via?: string
}

/** A set of values from one source; `origins` refines the label per key (a file path, a variable name). */
export interface ConfigLayer {
  /** What kind of source it is: an adapter's `nativeConfig()` returns `native` layers. */
  readonly kind: SourceKind
  /** The values by option name (or alias); `undefined` ones are skipped, unknown names ignored in native layers. */
  readonly values: Readonly<Record<string, unknown>>
  /** Per-key origin (`secrets: /app/.sqlconn/secrets.toml`, `env PGHOST`); falls back to `kind`. */
  readonly origins?: Readonly<Record<string, string>>
}

/** What an adapter may read from the data source's own configuration. */
export interface NativeContext {
  /** The process's environment (`PGHOST`, `DATABASE_URL`). */
  readonly env: NodeJS.ProcessEnv
  /** The user's home directory (`~/.pgpass`, `~/.my.cnf`). */
  readonly home: string
  /** The working directory, against which relative paths resolve. */
  readonly cwd: string
}

/**
 * The data source's own configuration, as layers highest first. An adapter returns one layer, or
 * several when its sources outrank one another (`DATABASE_URL` over `PGHOST`): core ranks each.
 */
export type NativeLayers = ConfigLayer | readonly ConfigLayer[]

/** One resolved option, with where it came from. */
export interface ResolvedOption {
  /** The option's declared name (an alias resolves to it). */
  readonly name: string
  /** The value, coerced to the declared type; unmasked (this is what the driver receives). */
  readonly value: unknown
  /** The source's label (`origin.label`), as `config` prints it. */
  readonly source: string
  /** The source as data: kind, rank and label. */
  readonly origin: ValueSource
  /** Masked when printed: declared `secret`, or named like a secret. */
  readonly secret: boolean
}

// --- 3. The connection class's hooks -------------------------------------------------------------

/**
 * The hooks of `BaseConnection`, in the order they run: `refineConfig()` once the config is resolved,
 * `connect()` on first use, `onReset()` and `disconnect()` on every reset and at `close()`. Only
 * `connect()` must be written; the others have defaults. They are `protected` on the class (an
 * adapter writes `protected override connect(...)`).
 *
 * What BaseConnection gives an adapter to call (protected unless said): `config` and `raw` (public),
 * `nativeContext` (the context the config was resolved with), `connectionClass` (the static side),
 * `closed` (public; tells a `disconnect()` at `close()` from one at a reset), `generation` with
 * `resetIfCurrent(generation, reason)` (reset once for concurrent failures of one driver object),
 * `emit(event, ...)` (one of `ConnectionEvents`), `redact(text)` and `redactError(error)` (remove
 * this connection's secrets from a message or from one of sqlconn's errors built from option values).
 */
export interface ConnectionHooks<Raw = unknown> {
  /**
   * Adjusts the resolved config once every source is known, keeping each value's source: split a
   * URL into the options it stands for (`withUrlParts`), look up a password file for the final host
   * and user (`config.withFound`). `context` is the one the config was resolved with. Ranks are
   * decided by core: an adapter compares them, never the labels. Default: the config as it is.
   */
  refineConfig?(config: ResolvedConfig, context: NativeContext): ResolvedConfig
  /**
   * Creates the driver object (a database handle, a pool) from the resolved config. The one
   * method an adapter must implement; it runs lazily, on first use and after each reset. It is
   * synchronous: a driver that opens asynchronously gets a small object that opens it on first use.
   */
  connect(config: ResolvedConfig): Raw
  /**
   * Releases a driver object made by `connect()`, on every reset and at `close()`. The default calls
   * its `end()`, `close()` or `destroy()`.
   */
  disconnect?(raw: Raw): Promise<void>
  /**
   * Drops what was built on the driver object (a Kysely instance, statement caches). Called on every
   * reset; an override calls `super.onReset()`.
   */
  onReset?(): void
  /**
   * Called when this connection's secrets section changed; drops what was built from it. An override
   * calls `super.onSecretsChanged()`.
   */
  onSecretsChanged?(): void
}

// --- 4. Running SQL ------------------------------------------------------------------------------

/** A statement ready for the driver: SQL text with the dialect's placeholders and its values. */
export interface CompiledSql {
  /** The SQL text, with the dialect's positional placeholders. */
  readonly sql: string
  /** The values, in placeholder order. */
  readonly parameters: readonly unknown[]
}

/** How a dialect writes the n-th (0-based) positional placeholder: `?` or `$1`. */
export type Placeholder = (index: number) => string

/**
 * The hooks of `SqlConnection` that run statements. `createDialect()`, `execute()` and
 * `executeStream()` must be written; `placeholder` and `backslashEscapes` have defaults. An adapter
 * may call `compile(query, params)` (the SQL and its values for the dialect), `db` and `identity`
 * (the cache key's first part).
 */
export interface QueryHooks {
  /**
   * A Kysely dialect on the driver object, so `db` shares its pool or handle. Called once: the
   * dialect must reach the driver object through `this.raw` when it needs it (a small facade), so
   * a `db` the user keeps still works after a reset replaces the pool. Load Kysely's classes with
   * `loadKysely()`, so a `query('text')` never imports Kysely.
   */
  createDialect(): Dialect
  /** Runs one statement and reads its rows into a RowTable (with core's `TableBuilder`). */
  execute(query: CompiledSql, options: { signal?: AbortSignal }): Promise<RowTable> | RowTable
  /**
   * Runs one statement and yields its rows in RowTable chunks of `chunkSize`, without loading them
   * all. Breaking out of the loop must release the driver's cursor (`for...of` over the driver's
   * iterator does, or `try`/`finally`).
   */
  executeStream(query: CompiledSql, chunkSize: number, signal?: AbortSignal): AsyncIterable<RowTable>
  /** How the dialect writes the n-th positional placeholder; `?` unless overridden (`$1` for PostgreSQL). */
  placeholder?: Placeholder
  /** Whether backslash escapes inside quoted strings (MySQL) when scanning for `:name`; default false. */
  backslashEscapes?: boolean
}

// --- 5. Results: what TableBuilder takes per column ----------------------------------------------

/**
 * Logical column types, named after Apache Arrow's. They say what a column *is*; the values a
 * user reads are still the driver's own (pg's int8 is a string, SQLite's DATETIME is text).
 */
export type LogicalType =
  | 'null'
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'decimal'
  | 'utf8'
  | 'binary'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'json'
  | 'uuid'
  | 'list'
  | 'struct'
  | 'map'
  | 'unknown'

/** The unit a timestamp is stored in by the database (DuckDB's TIMESTAMP_S, _MS, TIMESTAMP, _NS). */
export type TimeUnit = 's' | 'ms' | 'us' | 'ns'

/** See `FieldInit.decode`. */
export type Decode = 'json' | 'epoch-ms' | 'int64-text' | 'ticks'

/** What an adapter knows about a column before reading it. */
export interface FieldInit {
  name: string
  /** Logical type; when omitted it is inferred from the values. */
  type?: LogicalType
  nullable?: boolean
  /** The database's own type name. */
  dbType?: string
  /** For `decimal` columns: declared precision and scale (`numeric(12,2)` is 12 and 2); exported to Arrow as Decimal128. */
  precision?: number
  /** See `precision`. */
  scale?: number
  /**
   * For `timestamp`/`timestamptz` columns: the unit the database keeps them in (Arrow's Timestamp
   * unit). For `time` columns held as ticks: their unit (exported as Arrow's Time64 for `us` and `ns`;
   * a `time` without a unit stays Utf8 text). For `interval` columns of `{ months, days, micros }`
   * (`unit: 'us'`) or `{ months, days, nanos }` (`'ns'`): exported as Arrow's Interval(MONTH_DAY_NANO).
   */
  unit?: TimeUnit
  /** For `list` (one element field), `struct` (its fields) and `map` (key and value fields) columns. */
  children?: FieldInit[]
  /**
   * How the appended values relate to what a user reads, so costly values are built on read:
   * - `'json'`: JSON text, kept as text and parsed when read (the driver's parsed value, lazily);
   * - `'epoch-ms'`: numbers of milliseconds since the epoch, read back as Dates;
   * - `'int64-text'`: integers as decimal text (pg's int8), held in a BigInt64Array and read back
   *   as the same text;
   * - `'ticks'`: the database's own 64-bit integers (bigints, or in bulk through
   *   `ColumnBuilder.appendInt64s`) counting the field's `unit` since the epoch (`timestamp`,
   *   `timestamptz`: read back as Dates, truncated to the millisecond) or since midnight (`time`: read
   *   back as text, `'10:11:12.345678'`). Held exact, so Arrow and the cache keep every digit.
   */
  decode?: Decode
}

// --- 6. Transient errors and pools ---------------------------------------------------------------

/**
 * Which errors core retries. A read that fails with a transient error is retried with backoff, with
 * a reset of the driver object in between unless `needsReset()` says a retry alone cures it. SQL
 * errors are never transient.
 */
export interface TransientErrorHooks {
  /** True for errors a reset and retry can cure (connection lost, server restarting, busy). Default: none. */
  isTransientError?(error: unknown): boolean
  /**
   * True when the server refused a new connection (nothing listens: it is restarting). Such an
   * attempt costs a round trip and no server work, so it is retried after 250 ms at most, and a
   * read goes through as soon as the server is back. Default: `ECONNREFUSED`; adapters add the
   * server's own refusals (PostgreSQL's `57P03`, starting up).
   */
  isConnectionRefused?(error: unknown): boolean
  /**
   * True when a transient error should drop the driver object before the retry (a lost connection).
   * Errors a retry alone cures (SQLite's busy lock, held by another process) keep it. Default: true.
   */
  needsReset?(error: unknown): boolean
}

/**
 * A pool being let go, as `endWhenIdle()` sees it: the adapter answers these from its driver's pool
 * (which usually has no public counts, so the adapter reads them where its driver keeps them).
 */
export interface DrainablePool {
  /** True when nobody waits for a connection and every connection is back in the pool. */
  idle(): boolean
  /** True when the pool has ended already (the user ended it through `raw`): nothing to wait for. */
  ended?(): boolean
  /**
   * Fails the callers still queued for a connection once the grace period is over, with an error
   * the adapter counts as transient (so the read is retried on the new pool instead of hanging).
   */
  failWaiting?(): void
  /** Ends the pool; resolves (or rejects, which counts the same) when it has ended. */
  end(): Promise<void>
}

/** How `endWhenIdle()` waits. */
export interface DrainOptions {
  /** How often the pool is checked for idleness, ms (default 50). */
  poll?: number
  /** How long the pool may keep connections checked out before it is ended anyway, ms (default 30,000). */
  grace?: number
  /**
   * How long `end()` may take once called, ms (default: no bound): a driver whose sockets are dead
   * may never call back.
   */
  endTimeout?: number
}

// --- 7. Cache identity ---------------------------------------------------------------------------

/** What identifies the data a connection reads, for the keys of its cached results. */
export interface CacheIdentityHooks {
  /**
   * What identifies the data this connection reads, for cache keys. By default: every resolved
   * option (functions and class instances by identity; secrets through a slow hash). Adapters
   * override it to share more (the built-in ones key by file, or host, database and user). Whatever
   * it returns, a target `isPrivateTarget()` accepts is keyed to this instance and driver object too.
   */
  cacheIdentity?(): Record<string, unknown>
  /**
   * True when the data lives only in this connection's driver object (an in-memory database): its
   * cached results are then keyed to this instance and driver object, never served to another
   * connection or process. By default an option naming an in-memory database (`:memory:`,
   * `file::memory:`, `mode=memory`) or an empty required path makes it so. Adapters override it
   * when they know better.
   */
  isPrivateTarget?(): boolean
}

/** Every hook of a SQL adapter: what `SqlConnection` calls on it, and what it may override. */
export type SqlAdapterHooks<Raw = unknown> = ConnectionHooks<Raw> &
  QueryHooks &
  TransientErrorHooks &
  CacheIdentityHooks

// --- 8. Events -----------------------------------------------------------------------------------

/** Events a connection emits, for logs and metrics. */
export interface ConnectionEvents {
  /** A read failed with a transient error and will be retried after a reset. */
  retry: [{ attempt: number; error: unknown }]
  /** The driver object was dropped (stale connection, rotated secrets, explicit reset). */
  reset: [{ reason: string }]
  /**
   * A query finished: `cached` when it came from the cache; `tier` names the cache looked in
   * (`memory`, `redis`, `custom`), undefined when the call skipped the cache.
   */
  query: [{ sql: string; cached: boolean; durationMs: number; rows: number; tier?: 'memory' | 'redis' | 'custom' }]
  /** The cache store failed; the query went to the database instead. */
  cacheError: [{ error: unknown }]
  /** The cache's circuit breaker changed state (`open`: the store is skipped after failures). */
  cacheBreaker: [{ state: 'closed' | 'open' | 'half-open' }]
  /** An invalidation from an app server (this one included) arrived over the Redis bus, `latencyMs` after it was sent. */
  cacheInvalidated: [{ latencyMs: number }]
}
