import { toMilliseconds } from '../duration.js'
import type { RowTable } from '../table/table.js'
import { StoreGuard } from './guard.js'
import { resultDigest, tagDigest } from './keys.js'
import type { Entry } from './keyv-stores.js'
import { ServerLock } from './lock.js'
import { MemoryStore } from './memory-store.js'
import type { CacheEvents, CacheOptions, CacheStats } from './options.js'
import { RedisBytesStore } from './stores.js'
import { Tiers } from './tiers.js'

export type { CacheEvents, CacheOptions, CacheStats } from './options.js'
export { SHARED_STORE_DEFAULT_TTL, validateCacheOptions } from './options.js'

const inflight = new Map<string, Promise<RowTable>>()

/** What a query stores with its result: its tags as given (hashed only when a result is stored). */
export interface StoreOptions {
  readonly tags?: readonly string[]
}

/** Carries the expired table a failed refresh answers with (`grace`) through the shared run. */
class GraceServed extends Error {
  constructor(readonly table: RowTable) {
    super('served from grace')
  }
}

/**
 * The result cache of one connection: L1 in process memory in front of a shared store (tiers.ts),
 * single flight in the process and across servers, stale-while-revalidate and grace. A store that
 * is slow or down costs speed, never a result.
 */
export class QueryCache {
  readonly #options: CacheOptions
  readonly #namespace: string
  readonly #defaultTtl: number | undefined
  readonly #swr: number
  readonly #grace: number
  readonly #events: CacheEvents
  readonly #lock: ServerLock
  readonly #tiers: Tiers
  #closed = false
  readonly stats: CacheStats = {
    hits: 0,
    l1Hits: 0,
    l2Hits: 0,
    staleHits: 0,
    graceHits: 0,
    misses: 0,
    errors: 0,
    skipped: 0,
    breaker: 'closed',
    bus: 'off',
  }

  /** @param options cache settings @param events told about store failures, breaker changes and bus messages */
  constructor(options: CacheOptions = {}, events?: Partial<CacheEvents>) {
    this.#options = options
    this.#events = { onError: () => {}, onBreaker: () => {}, ...events }
    this.#namespace = options.namespace ?? 'sqlconn'
    this.#defaultTtl = toMilliseconds(options.ttl, 'cache.ttl')
    this.#swr = toMilliseconds(options.staleWhileRevalidate, 'cache.staleWhileRevalidate') ?? 0
    this.#grace = toMilliseconds(options.grace, 'cache.grace') ?? 0
    this.#lock = new ServerLock(options.lock)
    const guard = new StoreGuard(options, this.stats, this.#events)
    this.#tiers = new Tiers(options, this.#namespace, guard, Math.max(this.#swr, this.#grace), (m) =>
      this.#events.onBus?.(m),
    )
    // Read when asked: the bus goes down and comes back on its own, between store commands.
    const tiers = this.#tiers
    Object.defineProperty(this.stats, 'bus', { get: () => tiers.busState, enumerable: true })
  }

  /**
   * A key that identifies a result: connection identity, SQL, parameters, shaping options and the
   * scope (a user or session id), hashed: none of them is readable in the key.
   */
  key(
    identity: string,
    sql: string,
    parameters: readonly unknown[],
    shape: string | null,
    scope?: string | number,
  ): string {
    return `${this.prefix(identity)}${resultDigest(sql, parameters, shape, scope)}`
  }

  /** The prefix shared by every key of one connection identity. */
  prefix(identity: string): string {
    return `${this.#namespace}:${identity}:`
  }

  /** A tag as stored and sent on the bus: a hash under the namespace, never the tag itself. */
  tagHash(tag: string): string {
    return tagDigest(this.#namespace, tag)
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
    const shared = await this.#tiers.open()
    return { store: shared?.store ?? this.#tiers.l1, url: this.#options.url, shared: shared?.expires ?? false }
  }

  /** Whether writes through `conn.db` invalidate the tags named after the tables they write. */
  get invalidateOnWrite(): boolean {
    return this.#options.invalidateOnWrite === true
  }

  /** The memory tier (L1), if any. @internal */
  get memory(): MemoryStore | undefined {
    return this.#tiers.l1
  }

  /**
   * The cached table for `key`, or the result of `run` (stored for `ttlMs`). Concurrent misses of
   * one key share one `run`. A store that fails or is slow is reported and bypassed; with `grace`,
   * an expired entry answers when `run` fails.
   */
  async getOrRun(
    key: string,
    ttlMs: number | undefined,
    run: () => Promise<RowTable>,
    options: StoreOptions = {},
  ): Promise<{ table: RowTable; hit: boolean }> {
    const pending = inflight.get(key)
    if (pending) return { table: await pending, hit: true }
    const tiers = this.#tiers
    const now = Date.now()
    const l1 = tiers.l1?.get(key)
    let stale: Entry | undefined
    if (l1 && now > l1.keepUntil) tiers.l1!.delete(key)
    else if (l1) {
      if (l1.freshUntil >= now && tiers.coherent(l1, now)) {
        this.stats.hits++
        this.stats.l1Hits++
        return { table: l1.table, hit: true }
      }
      // Expired, or filled before the bus went down: a candidate for stale-while-revalidate or grace.
      stale = l1
    }
    const shared = this.#options.url || this.#options.store ? await tiers.open() : undefined
    if (shared) {
      const seen = tiers.invalidations
      const entry = await tiers.read(shared, key)
      if (entry && Date.now() <= entry.freshUntil) {
        this.stats.hits++
        if (shared.inMemory) this.stats.l1Hits++
        else this.stats.l2Hits++
        // An invalidation that arrived while reading may concern this entry: do not keep it.
        if (seen === tiers.invalidations) tiers.remember(key, entry)
        return { table: entry.table, hit: true }
      }
      if (entry && (!stale || entry.freshUntil > stale.freshUntil)) stale = entry
    }
    if (stale) return this.#serveStale(key, ttlMs, run, options, stale)
    const again = inflight.get(key)
    if (again) return { table: await again, hit: true }
    return this.#runAndStore(key, ttlMs, run, options, true)
  }

  /**
   * An expired entry: within `staleWhileRevalidate` it answers at once while one refresh runs in
   * the background; otherwise the query runs, and with `grace` the entry answers if that fails.
   */
  async #serveStale(
    key: string,
    ttlMs: number | undefined,
    run: () => Promise<RowTable>,
    options: StoreOptions,
    stale: Entry,
  ): Promise<{ table: RowTable; hit: boolean }> {
    const now = Date.now()
    if (stale.freshUntil < now && now <= stale.freshUntil + this.#swr) {
      this.stats.staleHits++
      if (!inflight.has(key)) this.#runAndStore(key, ttlMs, run, options).catch((e) => this.#events.onError(e))
      return { table: stale.table, hit: true }
    }
    const graceUntil = stale.freshUntil + this.#grace
    const withGrace = async () => {
      try {
        return await run()
      } catch (err) {
        if (this.#grace === 0 || Date.now() > graceUntil) throw err
        // Refreshing failed: the expired result answers, and the failure is reported, not swallowed.
        this.stats.graceHits++
        this.#events.onError(err)
        throw new GraceServed(stale.table)
      }
    }
    try {
      const fresh = await this.#runAndStore(key, ttlMs, withGrace, options)
      // The expired (or no longer trusted) entry was replaced by running the query: a miss.
      this.stats.misses++
      return fresh
    } catch (err) {
      if (err instanceof GraceServed) return { table: err.table, hit: true }
      throw err
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
    options: StoreOptions,
    shareAcrossServers = false,
  ): Promise<{ table: RowTable; hit: boolean }> {
    let hit = false
    const tiers = this.#tiers
    const shared = tiers.shared
    const redis = shared?.store instanceof RedisBytesStore ? shared.store : undefined
    const p = (async () => {
      if (shareAcrossServers && redis && shared) {
        const other = await this.#lock.waitForOther(redis, key, tiers.safe, () => tiers.read(shared, key))
        if (other) {
          hit = true
          tiers.remember(key, other)
          return other.table
        }
      }
      const table = await run()
      // Tags are hashed here, where a result is stored: a hit never pays for them.
      const tags = options.tags?.map((t) => this.tagHash(t)) ?? []
      await tiers.write(key, table, ttlMs ?? this.#defaultTtl, tags)
      return table
    })()
    // A grace answer is shared by the callers waiting on this run; the rejection carries it.
    const forWaiters = p.catch((err) => {
      if (err instanceof GraceServed) return err.table
      throw err
    })
    // Nobody may be waiting: a failure is this caller's to report, not an unhandled rejection.
    forWaiters.catch(() => {})
    inflight.set(key, forWaiters)
    try {
      const table = await p
      if (hit) {
        this.stats.hits++
        this.stats.l2Hits++
      } else if (shareAcrossServers) this.stats.misses++
      return { table, hit }
    } finally {
      inflight.delete(key)
      await this.#lock.release(redis, key, tiers.safe)
    }
  }

  /** Drops one key, in every process's memory tier and in the shared store. */
  async delete(key: string): Promise<void> {
    await this.#tiers.delete(key)
  }

  /** Drops every key that starts with `prefix` (one connection's results); returns how many. */
  async deletePrefix(prefix: string): Promise<number> {
    return this.#tiers.deletePrefix(prefix)
  }

  /**
   * Drops every entry carrying one of `tags` (as given to `getOrRun`): in this process's L1, in
   * every other process's L1 (over the bus) and in Redis. Returns how many entries were dropped.
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    if (!tags.length) return 0
    return this.#tiers.invalidateTags(tags.map((t) => this.tagHash(t)))
  }

  /** Releases a Redis store and bus this cache opened (shared ones close with their last user). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#tiers.close()
  }
}
