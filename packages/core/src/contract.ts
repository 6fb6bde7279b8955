import type { BaseConnection } from './connection.js'
import type { ResolvedConfig } from './resolved-config.js'

/**
 * The adapter contract: every type an adapter author implements, reads or may override, in the order
 * an author meets them.
 */

// --- 1. Declaring options -------------------------------------------------------------------------

/** The JS type an option takes. `'any'` accepts whatever the driver accepts (objects, functions). */
export type OptionType = 'string' | 'number' | 'boolean' | 'object' | 'any'

/**
 * One option of a connection type, declared once: it drives validation, masking, the docs'
 * options table and, later, the CLI's `doctor`.
 */
export interface OptionSpec {
  /** The driver's own name for it (`filename`, `connectionString`, `uri`). */
  readonly name: string
  readonly type: OptionType
  /** Must be given; `{ unless: [...] }` when one of those options may stand in for it. */
  readonly required?: boolean | { readonly unless: readonly string[] }
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

/** What kind of source a resolved value came from. */
export type SourceKind = 'kwargs' | 'secrets' | 'native' | 'default'

/**
 * Where a resolved value came from, as data, decided once by core: adapters compare `rank`s and
 * read `kind`, never the label's text.
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
  readonly kind: SourceKind
  readonly values: Readonly<Record<string, unknown>>
  /** Per-key origin (`secrets: /app/.sqlconn/secrets.toml`, `env PGHOST`); falls back to `kind`. */
  readonly origins?: Readonly<Record<string, string>>
}

/** One resolved option, with where it came from. */
export interface ResolvedOption {
  readonly name: string
  readonly value: unknown
  /** The source's label (`origin.label`), as `config` prints it. */
  readonly source: string
  /** The source as data: kind, rank and label. */
  readonly origin: ValueSource
  readonly secret: boolean
}

// --- 2. The connection class's static side and the native configuration --------------------------

/** What an adapter may read from the data source's own configuration. */
export interface NativeContext {
  readonly env: NodeJS.ProcessEnv
  readonly home: string
  readonly cwd: string
}

/**
 * The data source's own configuration, as layers highest first. An adapter returns one layer, or
 * several when its sources outrank one another (`DATABASE_URL` over `PGHOST`): core ranks each.
 */
export type NativeLayers = ConfigLayer | readonly ConfigLayer[]

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
