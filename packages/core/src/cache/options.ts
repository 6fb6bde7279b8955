import type { KeyvStoreAdapter } from 'keyv'
import type { Duration } from '../duration.js'
import { ConfigError } from '../errors.js'
import { didYouMean } from '../options.js'
import { maskUrlPasswords } from '../redact.js'

/** A size in bytes: a number, or text such as `'256MB'`, `'512KB'`, `'1GB'` (powers of 1024). */
export type ByteSize = number | `${number}${'B' | 'KB' | 'MB' | 'GB'}` | string

/** Query-cache settings: `cache` in connection options, `[connections.<name>.cache]` or `[cache]` in secrets. */
export interface CacheOptions {
  /**
   * A Redis URL (`redis://`, `rediss://`): results are shared through @keyv/redis (an optional
   * peer dependency) by every app server that names it, with a memory tier (L1) in each process.
   */
  url?: string
  /**
   * Any keyv store (a Map-like object or a keyv storage adapter). Defaults to one process-wide
   * in-memory LRU shared by every connection.
   */
  store?: KeyvStoreAdapter | Map<unknown, unknown>
  /**
   * Default ttl of a query that gives none. Unset: until evicted in memory, and
   * `SHARED_STORE_DEFAULT_TTL` (1 day) in a shared store (Redis, any other keyv store), so results
   * nobody asks for again do not fill it.
   */
  ttl?: Duration
  /** Prefix of every key (default `sqlconn`). */
  namespace?: string
  /** Entries kept by an in-memory store of this connection's own (default: the shared one, 500). */
  maxEntries?: number
  /**
   * Bytes of column storage the in-memory store (or the L1 in front of Redis) may hold before it
   * evicts the least recently used (default `'256MB'`). Given here, the connection gets a memory
   * store of its own instead of the process-wide one.
   */
  maxSize?: ByteSize
  /** Results larger than this many bytes (encoded, or estimated in memory) are not cached. */
  maxEntrySize?: number
  /** Milliseconds a store operation may take before it counts as failed (default 250). */
  timeout?: number
  /** Stop asking a failing store for a while: after `threshold` failures in a row, for `halfOpenAfter` ms. */
  breaker?: { threshold?: number; halfOpenAfter?: number } | false
  /** Serve an expired result for this long while one refresh runs in the background. */
  staleWhileRevalidate?: Duration
  /**
   * Keep an expired result this much longer, and serve it when refreshing it fails (the database
   * or the store is down). Each such read is reported through `cacheError` and `stats.graceHits`.
   */
  grace?: Duration
  /**
   * Across app servers sharing Redis, let one run a query the others are missing while they wait
   * for its result (default on with `url`): `wait` bounds the wait, `ttl` the lock's life.
   */
  lock?: boolean | { wait?: Duration; ttl?: Duration }
  /**
   * The invalidation bus between app servers sharing Redis (default on with `url`): clears reach
   * every process's L1 over Redis pub/sub. While it is down (or `false`), an L1 entry is trusted for
   * `fallbackTtl` (default 5 s) after it was filled, then read again from Redis.
   */
  bus?: boolean | { fallbackTtl?: Duration }
  /**
   * Whether tables are encoded to bytes. Defaults to false for in-memory Map-like stores (the table
   * object itself is kept) and true for every other store.
   */
  serialize?: boolean
  /**
   * Writes through `conn.db` (Kysely insert, update, delete, merge) invalidate the tag named after
   * the table they write (default false).
   */
  invalidateOnWrite?: boolean
}

/** Counters of one connection's cache, for an app's metrics. */
export interface CacheStats {
  /** Every hit: `l1Hits + l2Hits` (and results shared by a concurrent identical miss). */
  hits: number
  /** Hits answered by this process's memory (the only tier without a shared store). */
  l1Hits: number
  /** Hits read from the shared store (Redis, a custom keyv store). */
  l2Hits: number
  /** Hits on an expired entry served while it is refreshed (`staleWhileRevalidate`). */
  staleHits: number
  /** Expired entries served because refreshing them failed (`grace`). */
  graceHits: number
  /** Reads the query answered: nothing usable was cached, or an expired (or no longer trusted) entry was refreshed. */
  misses: number
  /** Store operations that failed or timed out (the query went to the database). */
  errors: number
  /** Results not stored because they exceeded `maxEntrySize`. */
  skipped: number
  /** `closed` (store in use), `open` (store skipped after failures) or `half-open` (being tried again). */
  breaker: 'closed' | 'open' | 'half-open'
  /** The invalidation bus now: `up`, `down` (L1 entries live `bus.fallbackTtl`), or `off` (no Redis, `bus: false`, closed). */
  bus: 'up' | 'down' | 'off'
}

/** What a cache tells its connection. */
export interface CacheEvents {
  /** A store command failed or timed out (the query went to the database), or a grace entry was served. */
  onError(error: unknown): void
  /** The circuit breaker changed state. */
  onBreaker(state: CacheStats['breaker']): void
  /** An invalidation arrived over the bus (`at`: when it was sent; `from`: the sender's bus id). */
  onBus?(message: { readonly from: string; readonly at: number }): void
}

const CACHE_KEYS = [
  'url',
  'store',
  'ttl',
  'namespace',
  'maxEntries',
  'maxSize',
  'maxEntrySize',
  'timeout',
  'breaker',
  'staleWhileRevalidate',
  'grace',
  'serialize',
  'lock',
  'bus',
  'invalidateOnWrite',
]

/** Checks cache settings from code or a secrets file: unknown keys get a did-you-mean. */
export function validateCacheOptions(options: Record<string, unknown>, source: string): CacheOptions {
  for (const key of Object.keys(options)) {
    if (!CACHE_KEYS.includes(key)) {
      throw new ConfigError(
        'UNKNOWN_OPTION',
        `cache.${key}`,
        `Unknown cache option "${key}" (from ${source}).${didYouMean(key, CACHE_KEYS)} Known: ${CACHE_KEYS.join(', ')}.`,
      )
    }
  }
  if (options.url !== undefined) {
    let ok = false
    try {
      const url = new URL(String(options.url))
      ok = (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== ''
    } catch {}
    if (!ok) {
      throw new ConfigError(
        'INVALID_OPTION',
        'cache.url',
        `cache.url must be a redis:// or rediss:// URL with a host, got ${maskUrlPasswords(String(options.url))} (from ${source}).`,
      )
    }
  }
  if (options.maxSize !== undefined) parseBytes(options.maxSize as ByteSize, `cache.maxSize (from ${source})`)
  return options as CacheOptions
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

/** Bytes from a number or `'256MB'`-style text (KB, MB, GB are powers of 1024). */
export function parseBytes(value: ByteSize, what = 'cache.maxSize'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.floor(value)
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value) : null
  if (!m || Number(m[1]) <= 0) {
    throw new ConfigError(
      'INVALID_OPTION',
      'cache.maxSize',
      `${what} must be a positive number of bytes or text like '256MB', '512KB', '1GB'; got ${JSON.stringify(value)}.`,
    )
  }
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!)
}

/** Entries kept by the process-wide memory store. */
export const DEFAULT_MAX_ENTRIES = 500
/** Bytes of column storage kept by a memory store (the process-wide one, or an L1) by default. */
export const DEFAULT_MAX_SIZE = '256MB'

/**
 * How long an entry without a ttl (from the query or `cache.ttl`) lives in a shared store: one day.
 * A shared store outlives every process writing to it and evicts nothing by itself, so an entry
 * with no expiry (Redis PTTL -1) would stay forever once its query is no longer asked.
 */
export const SHARED_STORE_DEFAULT_TTL = '1d'
/** `SHARED_STORE_DEFAULT_TTL` in milliseconds. */
export const SHARED_STORE_DEFAULT_TTL_MS = 24 * 60 * 60 * 1000
/** How long an L1 entry is trusted while the invalidation bus is down. */
export const BUS_FALLBACK_TTL_MS = 5000
