import type { CompiledQuery } from 'kysely'
import type { CacheOptions } from '../cache/query-cache.js'
import type { Duration } from '../duration.js'
import type { RetryOptions } from '../retry.js'
import type { ArrowOptions } from '../table/arrow.js'

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
  /**
   * Keeps this result apart for one user or session (a user id, a session id): part of the cache
   * key, hashed like the rest of it, never stored in clear.
   */
  scope?: string | number
  /** Names to invalidate this result by (`conn.invalidate({ tags })`); stored hashed. */
  tags?: readonly string[]
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

/** Options of a SQL connection besides the driver's own. */
export interface SqlConnectionOptions {
  /** Query-cache settings, or `false` to turn caching off for this connection. */
  cache?: CacheOptions | false
  /** Retry bounds for transient errors, or `false` for none. */
  retry?: RetryOptions | false
}
