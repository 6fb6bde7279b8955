import { createHash, hash } from 'node:crypto'
import { serialize } from 'node:v8'
import { type Deserialize, Keyv, type KeyvStoreAdapter, type Serialize } from 'keyv'
import { LRUCache } from 'lru-cache'
import { type Duration, toMilliseconds } from './duration.js'
import { decodeTable, encodeTable } from './table/codec.js'
import type { RowTable } from './table/table.js'

/** Query-cache settings: `cache` in connection options or `[connections.<name>.cache]` in secrets. */
export interface CacheOptions {
  /**
   * Any keyv store (a `@keyv/redis` store for a fleet of servers, a Map-like object). Defaults to
   * one process-wide in-memory LRU shared by every connection.
   */
  store?: KeyvStoreAdapter | Map<unknown, unknown>
  /** Default ttl of a query that gives none; unset means until evicted. */
  ttl?: Duration
  /** Prefix of every key. */
  namespace?: string
  /** Entries kept by the default in-memory store (default 500). */
  maxEntries?: number
  /**
   * Whether tables are encoded to bytes before storing. Defaults to false for in-memory Map-like
   * stores (the table object itself is kept) and true for every other store.
   */
  serialize?: boolean
}

const DEFAULT_MAX_ENTRIES = 500
const inflight = new Map<string, Promise<RowTable>>()
let sharedMemory: Keyv<RowTable> | undefined

/**
 * A bounded Map-like store for keyv. keyv passes a ttl number as set()'s third argument, which
 * lru-cache reads as an options object; keyv tracks expiry itself, so the ttl is not forwarded.
 */
class MemoryStore {
  readonly #lru: LRUCache<string, object>

  constructor(max: number) {
    this.#lru = new LRUCache({ max })
  }

  get(key: string): object | undefined {
    return this.#lru.get(key)
  }

  set(key: string, value: object): boolean {
    this.#lru.set(key, value)
    return true
  }

  delete(key: string): boolean {
    return this.#lru.delete(key)
  }

  has(key: string): boolean {
    return this.#lru.has(key)
  }

  clear(): void {
    this.#lru.clear()
  }
}

function memoryKeyv(max: number): Keyv<RowTable> {
  // No serializer: the immutable RowTable itself is stored, so a hit costs one lookup.
  return new Keyv<RowTable>({
    store: new MemoryStore(max) as unknown as KeyvStoreAdapter,
    serialize: undefined,
    deserialize: undefined,
  })
}

/** The result cache of one connection: keyv underneath, single-flight on top. */
export class QueryCache {
  readonly #keyv: Keyv<RowTable>
  readonly #namespace: string
  readonly defaultTtl: number | undefined
  #onError: (err: unknown) => void = () => {}

  /** @param options cache settings @param onError told about store failures, which never fail a query */
  constructor(options: CacheOptions = {}, onError?: (err: unknown) => void) {
    if (onError) this.#onError = onError
    this.#namespace = options.namespace ?? 'sqlconn'
    this.defaultTtl = toMilliseconds(options.ttl, 'cache.ttl')
    const store = options.store
    if (!store) {
      if (options.maxEntries === undefined) {
        sharedMemory ??= memoryKeyv(DEFAULT_MAX_ENTRIES)
        this.#keyv = sharedMemory
      } else this.#keyv = memoryKeyv(options.maxEntries)
    } else {
      const inMemory = store instanceof Map || store instanceof MemoryStore
      const encode = options.serialize ?? !inMemory
      this.#keyv = new Keyv<RowTable>({
        store: store as KeyvStoreAdapter,
        serialize: encode ? (serializeEntry as Serialize) : undefined,
        deserialize: encode ? (deserializeEntry as Deserialize) : undefined,
      })
    }
    this.#keyv.on('error', (err: unknown) => this.#onError(err))
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
    return `${this.#namespace}:${identity}:${digest}`
  }

  /**
   * The cached table for `key`, or the result of `run` (stored for `ttlMs`). Concurrent misses of
   * one key share one `run`. A store that fails is reported and bypassed.
   */
  async getOrRun(
    key: string,
    ttlMs: number | undefined,
    run: () => Promise<RowTable>,
  ): Promise<{ table: RowTable; hit: boolean }> {
    const pending = inflight.get(key)
    if (pending) return { table: await pending, hit: true }
    const cached = await this.#safe(() => this.#keyv.get(key))
    if (cached) return { table: cached, hit: true }
    const again = inflight.get(key)
    if (again) return { table: await again, hit: true }
    const p = run()
    inflight.set(key, p)
    try {
      const table = await p
      await this.#safe(() => this.#keyv.set(key, table, ttlMs ?? this.defaultTtl))
      return { table, hit: false }
    } finally {
      inflight.delete(key)
    }
  }

  /** Drops one key. */
  async delete(key: string): Promise<void> {
    await this.#safe(() => this.#keyv.delete(key))
  }

  async #safe<T>(op: () => Promise<T>): Promise<T | undefined> {
    try {
      return await op()
    } catch (err) {
      this.#onError(err)
      return undefined
    }
  }
}

function isPlainScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
}

function serializeEntry(data: { value?: unknown; expires?: number | null }): string {
  const value = data.value as RowTable | undefined
  const body = value ? encodeTable(value).toString('base64') : ''
  return JSON.stringify({ t: body, e: data.expires ?? null })
}

function deserializeEntry(text: string): { value?: RowTable; expires?: number } | undefined {
  const parsed = JSON.parse(text) as { t: string; e: number | null }
  return {
    value: parsed.t ? decodeTable(Buffer.from(parsed.t, 'base64')) : undefined,
    expires: parsed.e ?? undefined,
  }
}
