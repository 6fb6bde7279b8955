import type { Keyv } from 'keyv'
import { toMilliseconds } from '../duration.js'
import { CacheUnavailableError, ConfigError } from '../errors.js'
import { NotEncodableError } from '../table/codec.js'
import type { RowTable } from '../table/table.js'
import { acquireBus, type Bus, type BusMessage, releaseBus } from './bus.js'
import type { StoreGuard } from './guard.js'
import { decodeEntry, type Entry, encodeEntry, keyvOn, withTimeout } from './keyv-stores.js'
import { type MemoryEntry, MemoryStore } from './memory-store.js'
import {
  BUS_FALLBACK_TTL_MS,
  type CacheOptions,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_SIZE,
  parseBytes,
  SHARED_STORE_DEFAULT_TTL_MS,
} from './options.js'
import { acquireRedisStore, deleteByPrefix, holdingProcess, RedisBytesStore, releaseRedisStore } from './stores.js'

let sharedMemory: MemoryStore | undefined

/** L2: a shared store reached through keyv. `mode`: what it holds (entry objects, bytes, base64 text). */
export interface Shared {
  readonly keyv: Keyv
  readonly store: unknown
  readonly mode: 'object' | 'buffer' | 'string'
  /** Entries without a ttl get SHARED_STORE_DEFAULT_TTL: the store outlives every process. */
  readonly expires: boolean
  /** A Map given as `store`: nothing to time out or break. */
  readonly inMemory: boolean
  readonly bus: Bus | undefined
}

/**
 * Where results are kept: L1 in process memory (bounded by entries and bytes), and with a shared
 * store L2 behind it (Redis, whose bus keeps every process's L1 coherent, or a custom keyv store,
 * then the only tier). Reads and writes of L2 go through the guard: a store that fails is a miss.
 */
export class Tiers {
  /** L1 (undefined when a custom keyv store is the only tier). */
  readonly l1: MemoryStore | undefined
  /** L2 once opened, for the synchronous hit path. */
  shared: Shared | undefined
  /** Bumped by every invalidation: an L2 read that overlaps one does not fill L1. */
  invalidations = 0
  readonly #fallbackTtl: number
  readonly #keep: number
  #unlisten: (() => void) | undefined
  #closed = false

  /** @param keepMs how long past its ttl an entry is kept (`staleWhileRevalidate`, `grace`) */
  constructor(
    readonly options: CacheOptions,
    readonly namespace: string,
    readonly guard: StoreGuard,
    keepMs: number,
    onBus: (message: BusMessage) => void,
  ) {
    const o = options
    this.#keep = keepMs
    const bus = o.bus
    this.#fallbackTtl =
      (typeof bus === 'object' ? toMilliseconds(bus.fallbackTtl, 'cache.bus.fallbackTtl') : undefined) ??
      BUS_FALLBACK_TTL_MS
    if (o.store && !o.url) this.l1 = undefined
    else if (o.maxEntries !== undefined || o.maxSize !== undefined) {
      this.l1 = new MemoryStore(o.maxEntries ?? DEFAULT_MAX_ENTRIES, parseBytes(o.maxSize ?? DEFAULT_MAX_SIZE))
    } else {
      sharedMemory ??= new MemoryStore(DEFAULT_MAX_ENTRIES, parseBytes(DEFAULT_MAX_SIZE))
      this.l1 = sharedMemory
    }
    this.#onBus = (m) => {
      this.invalidations++
      const l1 = this.l1
      if (l1) {
        for (const key of m.keys ?? []) l1.delete(key)
        for (const prefix of m.prefixes ?? []) void deleteByPrefix(l1, prefix)
        if (m.tags?.length) l1.deleteTagged(new Set(m.tags))
      }
      onBus(m)
    }
  }

  readonly #onBus: (message: BusMessage) => void
  #open: Promise<Shared | undefined> | undefined

  /** L2, opened on first use (connecting to Redis and subscribing to the bus); undefined for memory only. */
  open(): Promise<Shared | undefined> {
    this.#open ??= this.#connect().then((s) => {
      this.shared = s
      return s
    })
    return this.#open
  }

  async #connect(): Promise<Shared | undefined> {
    const o = this.options
    if (o.url) {
      // Connecting may take longer than one command should; it gets its own, longer bound.
      const connectTimeout = Math.max(o.timeout ?? 250, 2000)
      const store = await acquireRedisStore(o.url, connectTimeout)
      // The client's socket does not hold the process open (see acquireRedisStore); connecting does.
      await holdingProcess(store.connect(connectTimeout)).catch(() => undefined)
      let bus: Bus | undefined
      if (o.bus !== false) {
        bus = await holdingProcess(acquireBus(o.url, store.client, `${this.namespace}:bus`, connectTimeout))
        this.#unlisten = bus.listen(this.#onBus)
      }
      return { keyv: keyvOn(store, false), store, mode: 'buffer', expires: true, inMemory: false, bus }
    }
    if (o.store) {
      const inMemory = o.store instanceof Map
      const encode = o.serialize ?? !inMemory
      return {
        keyv: keyvOn(o.store, encode),
        store: o.store,
        mode: encode ? 'string' : 'object',
        expires: !inMemory,
        inMemory,
        bus: undefined,
      }
    }
    return undefined
  }

  /** A store command on L2 through the guard (timeout, breaker); undefined when it failed. */
  safe = async <T>(op: () => Promise<T>): Promise<T | undefined> => {
    const shared = await this.open()
    return this.guard.run(op, !shared || shared.inMemory)
  }

  /** The invalidation bus as it is now: `off` without one (no Redis, `bus: false`, not opened yet). */
  get busState(): 'up' | 'down' | 'off' {
    const bus = this.#closed ? undefined : this.shared?.bus
    return bus ? (bus.up ? 'up' : 'down') : 'off'
  }

  /**
   * An L1 entry in front of Redis may be served when the bus has been up since it was filled, or
   * for `bus.fallbackTtl` after it was filled: the bound on serving an entry cleared elsewhere.
   */
  coherent(entry: MemoryEntry, now: number): boolean {
    if (!this.options.url) return true
    const bus = this.shared?.bus
    if (bus?.up && entry.epoch === bus.epoch) return true
    return now - entry.filledAt < this.#fallbackTtl
  }

  /** Reads L2 (decoding bytes); undefined on a miss, a failure or an entry of another format. */
  async read(shared: Shared, key: string): Promise<Entry | undefined> {
    const raw = await this.safe(() => shared.keyv.get(key))
    if (raw === undefined || raw === null) return undefined
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      try {
        return decodeEntry(typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw)
      } catch (err) {
        // An entry this version cannot read (another format, corrupted): a miss, reported.
        this.guard.failed(err)
        return undefined
      }
    }
    const entry = raw as Entry
    return entry.tags ? entry : { ...entry, tags: [] }
  }

  /**
   * Puts an entry into L1 (in front of Redis, or as the only tier); false when it is too large.
   * `bytes`: the table's size when the caller has measured it already (measuring walks text columns).
   */
  remember(key: string, entry: Entry, bytes?: number): boolean {
    const l1 = this.l1
    if (!l1) return false
    const bus = this.shared?.bus
    return l1.set(key, {
      ...entry,
      keepUntil: entry.freshUntil + this.#keep,
      filledAt: Date.now(),
      epoch: bus?.up ? bus.epoch : -1,
      bytes: bytes ?? MemoryStore.sizeOf(entry.table),
    })
  }

  /** Stores a result in every tier. Never throws: the database has already answered. */
  async write(key: string, table: RowTable, ttlMs: number | undefined, tags: readonly string[]): Promise<void> {
    const shared = await this.open()
    const stats = this.guard.stats
    if (ttlMs === undefined && shared?.expires) ttlMs = SHARED_STORE_DEFAULT_TTL_MS
    const entry: Entry = { table, freshUntil: ttlMs === undefined ? Number.MAX_SAFE_INTEGER : Date.now() + ttlMs, tags }
    const limit = this.options.maxEntrySize
    let value: Entry | Buffer | string = entry
    try {
      if (shared && shared.mode !== 'object') {
        const bytes = encodeEntry(entry)
        value = shared.mode === 'buffer' ? bytes : bytes.toString('base64')
      }
    } catch (err) {
      // A value the format cannot keep exactly (a driver's class instance) is not cached at all.
      if (err instanceof NotEncodableError) stats.skipped++
      else this.guard.failed(err)
      return
    }
    // Measured once when the value is the table itself: the limit and L1 both need it.
    const tableBytes = typeof value === 'string' || Buffer.isBuffer(value) ? undefined : MemoryStore.sizeOf(table)
    const size = tableBytes ?? (value as string | Buffer).length
    if (limit !== undefined && size > limit) {
      stats.skipped++
      return
    }
    if (!this.remember(key, entry, tableBytes) && !shared) stats.skipped++
    if (!shared) return
    const keepMs = ttlMs === undefined ? undefined : ttlMs + this.#keep
    await this.safe(() => shared.keyv.set(key, value, keepMs))
    const redis = shared.store
    if (tags.length && redis instanceof RedisBytesStore) {
      const tagKeys = tags.map((t) => this.#tagKey(t))
      await this.safe(() => redis.tag(key, tagKeys, keepMs ?? SHARED_STORE_DEFAULT_TTL_MS))
    }
  }

  #tagKey(tagHash: string): string {
    return `${this.namespace}:tags:${tagHash}`
  }

  /** Drops one key, in every process's L1 and in the shared store. */
  async delete(key: string): Promise<void> {
    this.invalidations++
    this.l1?.delete(key)
    const shared = await this.open()
    if (!shared) return
    await this.safe(() => shared.keyv.delete(key))
    await this.#broadcast(shared, { keys: [key] })
  }

  /** Drops every key that starts with `prefix`; returns how many the shared store (else L1) dropped. */
  async deletePrefix(prefix: string): Promise<number> {
    this.invalidations++
    const local = this.l1 ? await deleteByPrefix(this.l1, prefix) : 0
    const shared = await this.open()
    if (!shared) return local
    const n = await holdingProcess(deleteByPrefix(shared.store, prefix))
    await this.#broadcast(shared, { prefixes: [prefix] })
    return n
  }

  /** Drops every entry carrying one of `tags` (hashes) in every tier and, over the bus, every process. */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    this.invalidations++
    const local = this.l1?.deleteTagged(new Set(tags)) ?? 0
    const shared = await this.open()
    if (!shared) return local
    const redis = shared.store
    if (!(redis instanceof RedisBytesStore)) {
      throw new ConfigError(
        'INVALID_OPTION',
        'cache.store',
        'Tags need the built-in memory cache or Redis (cache.url): a custom keyv store cannot list the entries of a tag.',
      )
    }
    // Redis first, then the bus: a process refilling from Redis after the message finds nothing old.
    // Bounded like a connect: a Redis that is down must not hang the caller (its client queues commands).
    const bound = Math.max(this.options.timeout ?? 250, 2000)
    const n = await holdingProcess(withTimeout(redis.invalidate(tags.map((t) => this.#tagKey(t))), bound)).catch(
      (err: unknown) => {
        throw new CacheUnavailableError(`Invalidating ${tags.length} tag(s)`, { cause: err })
      },
    )
    await this.#broadcast(shared, { tags })
    return n
  }

  async #broadcast(shared: Shared, message: Omit<BusMessage, 'from' | 'at'>): Promise<void> {
    const bus = shared.bus
    if (bus) await this.safe(() => bus.publish(message))
  }

  /** Stops listening to the bus and releases the Redis client and bus (shared ones close with their last user). */
  async close(): Promise<void> {
    this.#closed = true
    const url = this.options.url
    if (!url || !this.#open) return
    const shared = await this.#open.catch(() => undefined)
    this.#unlisten?.()
    if (shared?.bus) releaseBus(url, shared.bus.channel)
    // Released even when opening failed: acquireRedisStore counted this user.
    await releaseRedisStore(url)
  }
}
