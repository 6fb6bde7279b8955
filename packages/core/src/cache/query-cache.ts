import { createHash, hash, randomUUID } from 'node:crypto'
import { serialize } from 'node:v8'
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type IPolicy,
  noop,
} from 'cockatiel'
import { type Deserialize, Keyv, type KeyvStoreAdapter, type Serialize } from 'keyv'
import { type Duration, toMilliseconds } from '../duration.js'
import { ConfigError, OptionalDependencyError } from '../errors.js'
import { didYouMean, maskUrlPasswords } from '../options.js'
import { decodeTable, encodeTable, estimateBytes, NotEncodableError } from '../table/codec.js'
import type { RowTable } from '../table/table.js'
import {
  acquireRedisStore,
  deleteByPrefix,
  holdingProcess,
  MemoryStore,
  RedisBytesStore,
  releaseRedisStore,
} from './stores.js'

/** Query-cache settings: `cache` in connection options, `[connections.<name>.cache]` or `[cache]` in secrets. */
export interface CacheOptions {
  /**
   * A Redis URL (`redis://`, `rediss://`): results are shared through @keyv/redis (an optional
   * peer dependency) by every app server that names it.
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
  /** Results larger than this many bytes (encoded, or estimated in memory) are not cached. */
  maxEntrySize?: number
  /** Milliseconds a store operation may take before it counts as failed (default 250). */
  timeout?: number
  /** Stop asking a failing store for a while: after `threshold` failures in a row, for `halfOpenAfter` ms. */
  breaker?: { threshold?: number; halfOpenAfter?: number } | false
  /** Serve an expired result for this long while one refresh runs in the background. */
  staleWhileRevalidate?: Duration
  /**
   * Across app servers sharing Redis, let one run a query the others are missing while they wait
   * for its result (default on with `url`): `wait` bounds the wait, `ttl` the lock's life.
   */
  lock?: boolean | { wait?: Duration; ttl?: Duration }
  /**
   * Whether tables are encoded to bytes. Defaults to false for in-memory Map-like stores (the table
   * object itself is kept) and true for every other store.
   */
  serialize?: boolean
}

/** Counters of one connection's cache, for an app's metrics. */
export interface CacheStats {
  hits: number
  /** Hits on an expired entry served while it is refreshed (`staleWhileRevalidate`). */
  staleHits: number
  misses: number
  /** Store operations that failed or timed out (the query went to the database). */
  errors: number
  /** Results not stored because they exceeded `maxEntrySize`. */
  skipped: number
  /** `closed` (store in use), `open` (store skipped after failures) or `half-open` (being tried again). */
  breaker: 'closed' | 'open' | 'half-open'
}

/** What a cache tells its connection. */
export interface CacheEvents {
  /** A store command failed or timed out; the query went to the database. */
  onError(error: unknown): void
  /** The circuit breaker changed state. */
  onBreaker(state: CacheStats['breaker']): void
}

const CACHE_KEYS = [
  'url',
  'store',
  'ttl',
  'namespace',
  'maxEntries',
  'maxEntrySize',
  'timeout',
  'breaker',
  'staleWhileRevalidate',
  'serialize',
  'lock',
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
  return options as CacheOptions
}

const DEFAULT_MAX_ENTRIES = 500

/**
 * How long an entry without a ttl (from the query or `cache.ttl`) lives in a shared store: one day.
 * A shared store outlives every process writing to it and evicts nothing by itself, so an entry
 * with no expiry (Redis PTTL -1) would stay forever once its query is no longer asked.
 */
export const SHARED_STORE_DEFAULT_TTL = '1d'
const SHARED_STORE_DEFAULT_TTL_MS = 24 * 60 * 60 * 1000
const inflight = new Map<string, Promise<RowTable>>()
let sharedMemory: { keyv: Keyv; store: MemoryStore } | undefined

/**
 * What is stored: in memory the entry object itself; in Redis bytes, the freshness time (float64)
 * followed by the encoded table; in other stores the same bytes as base64 text.
 */
type Mode = 'object' | 'buffer' | 'string'

interface MemoryEntry {
  readonly table: RowTable
  readonly freshUntil: number
}

/** keyv without a serializer: the store holds entry objects (or, for Redis, their bytes). */
function objectKeyv(store: unknown): Keyv {
  // sqlconn's keys carry their own namespace: keyv adds no prefix of its own.
  return new Keyv({
    store: store as KeyvStoreAdapter,
    serialize: undefined,
    deserialize: undefined,
    namespace: undefined,
    useKeyPrefix: false,
    // Store failures must reach the breaker as rejections, not be turned into misses.
    throwOnErrors: true,
  } as ConstructorParameters<typeof Keyv>[0])
}

function memoryKeyv(max: number): { keyv: Keyv; store: MemoryStore } {
  // The immutable RowTable itself is stored, so a hit costs one lookup.
  const store = new MemoryStore(max)
  return { keyv: objectKeyv(store), store }
}

// keyv's envelope for byte stores: the expiry, then our own encoded payload, without JSON around it.
const serializeEnvelope = ((data: { value?: unknown; expires?: number | null }) =>
  `${data.expires ?? ''}|${data.value as string}`) as Serialize
const deserializeEnvelope = ((text: string) => {
  const bar = text.indexOf('|')
  const expires = bar > 0 ? Number(text.slice(0, bar)) : undefined
  return { value: text.slice(bar + 1), expires }
}) as Deserialize

function encodeEntry(table: RowTable, freshUntil: number): Buffer {
  // encodeTable leaves 8 bytes in front for the freshness time: one allocation, one copy.
  const out = encodeTable(table, 8)
  out.writeDoubleLE(freshUntil, 0)
  return out
}

function decodeEntry(bytes: Buffer): MemoryEntry {
  return { freshUntil: bytes.readDoubleLE(0), table: decodeTable(bytes.subarray(8)) }
}

/** The store did not answer within `timeout`. */
class StoreTimeoutError extends Error {}

/**
 * `promise`, or a StoreTimeoutError after `ms`. A plain timer rather than cockatiel's timeout
 * policy: that one builds an AbortController and an AbortError on every call, a cost paid per hit.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(`Cache store did not answer within ${ms} ms`)), ms)
    promise.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}

function isPlainScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
}

/**
 * The result cache of one connection: keyv underneath; single-flight, a timeout and a circuit
 * breaker on top, so a store that is slow or down costs speed, never a result.
 */
export class QueryCache {
  readonly #options: CacheOptions
  readonly #namespace: string
  readonly #defaultTtl: number | undefined
  readonly #swr: number
  readonly #events: CacheEvents
  readonly #policy: IPolicy
  readonly #timeoutMs: number
  #keyv: Promise<{ keyv: Keyv; store: unknown; mode: Mode; shared: boolean }> | undefined
  #closed = false
  readonly stats: CacheStats = { hits: 0, staleHits: 0, misses: 0, errors: 0, skipped: 0, breaker: 'closed' }

  /** @param options cache settings @param events told about store failures and breaker changes */
  constructor(options: CacheOptions = {}, events?: Partial<CacheEvents>) {
    this.#options = options
    this.#events = { onError: () => {}, onBreaker: () => {}, ...events }
    this.#namespace = options.namespace ?? 'sqlconn'
    this.#defaultTtl = toMilliseconds(options.ttl, 'cache.ttl')
    this.#swr = toMilliseconds(options.staleWhileRevalidate, 'cache.staleWhileRevalidate') ?? 0
    this.#timeoutMs = options.timeout ?? 250
    if (options.breaker === false) {
      this.#policy = noop
    } else {
      const breaker = circuitBreaker(handleAll, {
        halfOpenAfter: options.breaker?.halfOpenAfter ?? 10_000,
        breaker: new ConsecutiveBreaker(options.breaker?.threshold ?? 5),
      })
      breaker.onStateChange((state) => {
        this.stats.breaker =
          state === CircuitState.Open || state === CircuitState.Isolated
            ? 'open'
            : state === CircuitState.HalfOpen
              ? 'half-open'
              : 'closed'
        this.#events.onBreaker(this.stats.breaker)
      })
      this.#policy = breaker
    }
  }

  #store(): Promise<{ keyv: Keyv; store: unknown; mode: Mode; shared: boolean }> {
    this.#keyv ??= (async () => {
      const o = this.#options
      let made: { keyv: Keyv; store: unknown; mode: Mode; shared: boolean }
      if (o.url) {
        // Connecting may take longer than one command should; it gets its own, longer bound.
        const connectTimeout = Math.max(o.timeout ?? 250, 2000)
        const store = await acquireRedisStore(o.url, connectTimeout)
        // The client's socket does not hold the process open (see acquireRedisStore); connecting does.
        await holdingProcess(store.connect(connectTimeout)).catch(() => undefined)
        made = { keyv: objectKeyv(store), store, mode: 'buffer', shared: true }
      } else if (o.store) {
        const inMemory = o.store instanceof Map || o.store instanceof MemoryStore
        const encode = o.serialize ?? !inMemory
        const keyv = encode ? this.#stringKeyv(o.store as KeyvStoreAdapter) : objectKeyv(o.store)
        made = { keyv, store: o.store, mode: encode ? 'string' : 'object', shared: !inMemory }
      } else if (o.maxEntries !== undefined) {
        made = { ...memoryKeyv(o.maxEntries), mode: 'object', shared: false }
      } else {
        sharedMemory ??= memoryKeyv(DEFAULT_MAX_ENTRIES)
        made = { ...sharedMemory, mode: 'object', shared: false }
      }
      made.keyv.on('error', () => {
        // Failures reach sqlconn as rejections (counted once there); keyv's event must not crash.
      })
      return made
    })()
    return this.#keyv
  }

  #stringKeyv(store: KeyvStoreAdapter): Keyv {
    return new Keyv({
      store,
      serialize: serializeEnvelope,
      deserialize: deserializeEnvelope,
      namespace: undefined,
      useKeyPrefix: false,
      throwOnErrors: true,
    } as ConstructorParameters<typeof Keyv>[0])
  }

  /** A key that identifies a result: connection identity, SQL, parameters and shaping options. */
  key(identity: string, sql: string, parameters: readonly unknown[], shape: string | null): string {
    let digest: string
    if (parameters.every(isPlainScalar)) {
      // The common case: JSON is exact for these values and several times cheaper than v8.serialize.
      digest = hash('sha256', `j${JSON.stringify([sql, parameters, shape])}`, 'base64url')
    } else {
      const h = createHash('sha256').update(`v${sql}\0${shape ?? ''}\0`)
      try {
        h.update(serialize(parameters))
      } catch {
        h.update(JSON.stringify(parameters, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))
      }
      digest = h.digest('base64url')
    }
    return `${this.prefix(identity)}${digest}`
  }

  /** The prefix shared by every key of one connection identity. */
  prefix(identity: string): string {
    return `${this.#namespace}:${identity}:`
  }

  /** The Redis URL results are shared through, if any (it may hold a password: mask it before printing). */
  get url(): string | undefined {
    return this.#options.url
  }

  /** Which kind of store this cache reads: `redis` (url), `memory` (a Map or the built-in LRU) or `custom`. */
  get tier(): 'memory' | 'redis' | 'custom' {
    const o = this.#options
    if (o.url) return 'redis'
    return !o.store || o.store instanceof Map || o.store instanceof MemoryStore ? 'memory' : 'custom'
  }

  /** The store object and the Redis URL it came from, for `cacheStatus()` (cache/status.ts). @internal */
  async storeInfo(): Promise<{ store: unknown; url: string | undefined; shared: boolean }> {
    const { store, shared } = await this.#store()
    return { store, url: this.#options.url, shared }
  }

  /**
   * The cached table for `key`, or the result of `run` (stored for `ttlMs`). Concurrent misses of
   * one key share one `run`. A store that fails or is slow is reported and bypassed.
   */
  async getOrRun(
    key: string,
    ttlMs: number | undefined,
    run: () => Promise<RowTable>,
  ): Promise<{ table: RowTable; hit: boolean }> {
    const pending = inflight.get(key)
    if (pending) return { table: await pending, hit: true }
    const entry = await this.#get(key)
    if (entry) {
      if (entry.freshUntil >= Date.now()) {
        this.stats.hits++
        return { table: entry.table, hit: true }
      }
      // Past its ttl but within staleWhileRevalidate: serve it, refresh once in the background.
      this.stats.staleHits++
      if (!inflight.has(key)) this.#runAndStore(key, ttlMs, run).catch((err) => this.#events.onError(err))
      return { table: entry.table, hit: true }
    }
    const again = inflight.get(key)
    if (again) return { table: await again, hit: true }
    return this.#runAndStore(key, ttlMs, run, true)
  }

  /**
   * Cross-process single flight: when another server holds the lock for `key`, wait for the result
   * it is computing. Returns undefined when this server should run the query itself (it took the
   * lock, locking is off or failing, or the wait ran out).
   */
  async #waitForOtherServer(key: string): Promise<MemoryEntry | undefined> {
    const lock = this.#options.lock ?? true
    if (lock === false) return undefined
    const { store } = await this.#storeOrUndefined()
    if (!(store instanceof RedisBytesStore)) return undefined
    const settings = typeof lock === 'object' ? lock : {}
    const lockTtl = toMilliseconds(settings.ttl, 'cache.lock.ttl') ?? 30_000
    const wait = toMilliseconds(settings.wait, 'cache.lock.wait') ?? 10_000
    const token = randomUUID()
    const taken = await this.#safe(() => store.lock(key, token, lockTtl))
    if (taken !== false) {
      // Ours (or Redis failed: run the query rather than wait on a store that is down).
      if (taken) this.#locks.set(key, token)
      return undefined
    }
    const deadline = Date.now() + wait
    for (let delay = 20; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
      await new Promise((r) => setTimeout(r, delay))
      const entry = await this.#get(key)
      if (entry) return entry
      // The holder finished without storing (failed, too large) or died: stop waiting.
      if ((await this.#safe(() => store.locked(key))) !== true) return undefined
    }
    return undefined
  }

  readonly #locks = new Map<string, string>()

  async #storeOrUndefined(): Promise<{ store: unknown }> {
    try {
      return await this.#store()
    } catch {
      return { store: undefined }
    }
  }

  /**
   * Runs the query once for every caller in this process (the in-flight promise is registered
   * before any await) and, with `shareAcrossServers`, first waits for a server already running it.
   */
  async #runAndStore(
    key: string,
    ttlMs: number | undefined,
    run: () => Promise<RowTable>,
    shareAcrossServers = false,
  ): Promise<{ table: RowTable; hit: boolean }> {
    let hit = false
    const p = (async () => {
      const shared = shareAcrossServers ? await this.#waitForOtherServer(key) : undefined
      if (shared) {
        hit = true
        return shared.table
      }
      const table = await run()
      await this.#set(key, table, ttlMs ?? this.#defaultTtl)
      return table
    })()
    inflight.set(key, p)
    try {
      const table = await p
      if (hit) this.stats.hits++
      else if (shareAcrossServers) this.stats.misses++
      return { table, hit }
    } finally {
      inflight.delete(key)
      const token = this.#locks.get(key)
      if (token) {
        this.#locks.delete(key)
        const { store } = await this.#storeOrUndefined()
        if (store instanceof RedisBytesStore) await this.#safe(() => store.unlock(key, token))
      }
    }
  }

  async #get(key: string): Promise<MemoryEntry | undefined> {
    const raw = await this.#safe(async () => (await this.#store()).keyv.get(key))
    if (raw === undefined || raw === null) return undefined
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      try {
        return decodeEntry(typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw)
      } catch (err) {
        // An entry this version cannot read (another format, corrupted): a miss, reported.
        this.#failed(err)
        return undefined
      }
    }
    return raw as MemoryEntry
  }

  /** Stores a result. Nothing here may fail the query: the database has already answered. */
  async #set(key: string, table: RowTable, ttlMs: number | undefined): Promise<void> {
    let value: MemoryEntry | Buffer | string
    let keyv: Keyv
    try {
      const store = await this.#store()
      keyv = store.keyv
      if (ttlMs === undefined && store.shared) ttlMs = SHARED_STORE_DEFAULT_TTL_MS
      const freshUntil = ttlMs === undefined ? Number.MAX_SAFE_INTEGER : Date.now() + ttlMs
      if (store.mode === 'object') value = { table, freshUntil }
      else {
        const bytes = encodeEntry(table, freshUntil)
        value = store.mode === 'buffer' ? bytes : bytes.toString('base64')
      }
    } catch (err) {
      if (err instanceof OptionalDependencyError) throw err
      // A value the format cannot keep exactly (a driver's class instance) is not cached at all.
      if (err instanceof NotEncodableError) this.stats.skipped++
      else this.#failed(err)
      return
    }
    const limit = this.#options.maxEntrySize
    if (limit !== undefined) {
      const size = typeof value === 'string' || Buffer.isBuffer(value) ? value.length : estimateBytes(table)
      if (size > limit) {
        this.stats.skipped++
        return
      }
    }
    const storeTtl = ttlMs === undefined ? undefined : ttlMs + this.#swr
    await this.#safe(() => keyv.set(key, value, storeTtl))
  }

  /** Drops one key. */
  async delete(key: string): Promise<void> {
    await this.#safe(async () => (await this.#store()).keyv.delete(key))
  }

  /** Drops every key that starts with `prefix` (one connection's results); returns how many. */
  async deletePrefix(prefix: string): Promise<number> {
    const { store } = await this.#store()
    return holdingProcess(deleteByPrefix(store, prefix))
  }

  /** Releases a Redis store this cache opened (shared stores close with their last user). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#options.url && this.#keyv) {
      await this.#keyv.catch(() => undefined)
      await releaseRedisStore(this.#options.url)
    }
  }

  async #safe<T>(op: () => Promise<T>): Promise<T | undefined> {
    try {
      // Loading @keyv/redis and the first connect are outside the per-command timeout.
      const { store } = await this.#store()
      // In memory nothing can hang or go down: no timeout, no breaker, no cost on a hit.
      if (store instanceof MemoryStore || store instanceof Map) return await op()
      return (await this.#policy.execute(() => withTimeout(op(), this.#timeoutMs))) as T
    } catch (err) {
      // A missing @keyv/redis is a setup mistake to fix, not an outage to ride out.
      if (err instanceof OptionalDependencyError) throw err
      this.#failed(err)
      return undefined
    }
  }

  #failed(err: unknown): void {
    // An open breaker skipping the store is the breaker working, not a new failure to report.
    if (err instanceof BrokenCircuitError) return
    this.stats.errors++
    this.#events.onError(err)
  }
}
