import { type CacheOptions, type CacheStats, QueryCache, validateCacheOptions } from '../cache/query-cache.js'
import { type CacheStatus, cacheStatus } from '../cache/status.js'
import { WriteInvalidationPlugin } from '../cache/write-invalidation.js'
import { toMilliseconds } from '../duration.js'
import { SqlconnError } from '../errors.js'
import { nodeCrypto } from '../node-crypto.js'
import type { CompiledSql } from '../params.js'
import { secretsCacheDefaults } from '../secrets.js'
import type { RowTable } from '../table/table.js'
import { identityKey } from './identity.js'
import type { QueryOptions } from './options.js'
import { abortable } from './retry-run.js'

/** What a connection's cache needs from it; SqlConnection passes closures over its protected hooks. */
export interface CacheHost {
  /** The connection's name, for `[connections.<name>.cache]`. */
  readonly name: string
  /** The connection type's short name: a key's first part. */
  typeName(): string
  /** The connection's `[connections.<name>]` section. */
  secrets(): Readonly<Record<string, unknown>>
  /** The values that identify the data read: the connection's `cacheIdentity()`. */
  cacheIdentity(): Record<string, unknown>
  /** The connection's `isPrivateTarget()`: its results are then keyed to this instance and driver object. */
  isPrivateTarget(): boolean
  /** The connection's reset count: a private target's driver object after a reset is a new target. */
  generation(): number
  /** The connection's `redact()`. */
  redact(text: string): string
  /** The connection's `redactError()`. */
  redactError<E>(error: E): E
  /** The store failed (the query went to the database), or a refresh failed and grace answered; redacted. */
  onError(error: Error): void
  /** The store's circuit breaker changed state. */
  onBreaker(state: 'closed' | 'open' | 'half-open'): void
  /** An invalidation arrived over the Redis bus, `latencyMs` after it was sent. */
  onInvalidated(latencyMs: number): void
}

/** One read's outcome: the table, whether it came from the cache, and which cache was asked. */
export interface CachedRead {
  table: RowTable
  hit: boolean
  tier: QueryCache['tier'] | undefined
}

/**
 * The cache side of a SqlConnection's query path, in one place: settings layered from code and the
 * secrets files, the identity every key starts with, cached reads, clearing, stats and status.
 */
export class ConnectionCache {
  readonly #host: CacheHost
  readonly #option: CacheOptions | false | undefined
  #cache: QueryCache | false | undefined
  #identity: string | undefined
  /** Keys a private target's results to this connection instance; made with its first identity (node:crypto loads only for the cache). */
  #instanceId: string | undefined

  /** @param option the `cache` option given in code */
  constructor(host: CacheHost, option: CacheOptions | false | undefined) {
    this.#host = host
    this.#option = option
  }

  /** Cache settings, key by key: code, then `[connections.<name>.cache]`, then the top-level `[cache]`. */
  get store(): QueryCache | false {
    if (this.#cache === undefined) {
      const section = this.#host.secrets().cache
      if (this.#option === false || section === false) this.#cache = false
      else {
        const layers = [
          validateCacheOptions(secretsCacheDefaults(), 'the [cache] table of the secrets files'),
          validateCacheOptions(
            (section as Record<string, unknown> | undefined) ?? {},
            `[connections.${this.#host.name}.cache]`,
          ),
          validateCacheOptions((this.#option ?? {}) as Record<string, unknown>, 'the cache option in code'),
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
          onError: (error) => this.#host.onError(this.#redactError(error)),
          onBreaker: (state) => this.#host.onBreaker(state),
          onBus: (message) => this.#host.onInvalidated(Date.now() - message.at),
        })
      }
    }
    return this.#cache
  }

  /** The cache key's first part: the type and a hash of `cacheIdentity()` (no secret in clear). */
  get identity(): string {
    if (!this.#identity) {
      let values: Record<string, unknown>
      try {
        values = this.#identityValues()
      } catch (err) {
        // Adapters read their options here (a URL to parse): what they throw may quote one.
        throw this.#host.redactError(err)
      }
      this.#identity = identityKey(this.#host.typeName(), values)
    }
    return this.#identity
  }

  /** `cacheIdentity()`, plus this instance and its driver object when no one else can read the data. */
  #identityValues(): Record<string, unknown> {
    const out = this.#host.cacheIdentity()
    if (!this.#host.isPrivateTarget()) return out
    this.#instanceId ??= nodeCrypto().randomUUID()
    return { ...out, 'sqlconn:instance': `${this.#instanceId}:${this.#host.generation()}` }
  }

  /** Computes the identity again on next use (after a reset: an in-memory target is a new one). */
  forgetIdentity(): void {
    this.#identity = undefined
  }

  /** Drops the store and the identity: the secrets section changed, so may the settings. */
  drop(): void {
    if (this.#cache) void this.#cache.close()
    this.#cache = undefined
    this.#identity = undefined
  }

  /**
   * `run`'s result, from the cache when `options` allow it and it holds one. Concurrent identical
   * misses share one run, so the run never gets this caller's signal; the caller stops waiting on it.
   */
  async read(
    compiled: CompiledSql,
    options: QueryOptions,
    run: (compiled: CompiledSql, options: Pick<QueryOptions, 'indexCol' | 'signal'>) => Promise<RowTable>,
  ): Promise<CachedRead> {
    const ttlMs = options.ttl === null ? undefined : toMilliseconds(options.ttl)
    const cache = options.cache === false || ttlMs === 0 ? false : this.store
    if (!cache) return { table: await abortable(run(compiled, options), options.signal), hit: false, tier: undefined }
    const key = cache.key(this.identity, compiled.sql, compiled.parameters, options.indexCol ?? null, options.scope)
    const shared = cache.getOrRun(key, ttlMs, () => run(compiled, { indexCol: options.indexCol }), {
      tags: options.tags,
    })
    const { table, hit } = await abortable(shared, options.signal)
    return { table, hit, tier: cache.tier }
  }

  /** Drops every result tagged with one of `tags`, in every process's memory tier and in Redis. */
  async invalidate(tags: readonly string[]): Promise<void> {
    const cache = this.store
    if (!cache || !tags.length) return
    try {
      await cache.invalidateTags(tags)
    } catch (err) {
      throw this.#host.redactError(err)
    }
  }

  /**
   * The Kysely plugin `conn.db` carries: with `invalidateOnWrite`, a write invalidates the tags
   * named after its tables. A failed invalidation is reported as `cacheError`; the write stands.
   */
  writePlugin(): WriteInvalidationPlugin {
    return new WriteInvalidationPlugin({
      enabled: () => {
        const cache = this.store
        return cache !== false && cache.invalidateOnWrite
      },
      invalidate: async (tags) => {
        try {
          await this.invalidate(tags)
        } catch (err) {
          this.#host.onError(this.#redactError(err))
        }
      },
    })
  }

  /** Removes the result of `compile()` with `indexCol` and `scope`, or every result when no query is given. */
  async clear(
    compile: (() => CompiledSql) | undefined,
    indexCol: string | undefined,
    scope?: string | number,
  ): Promise<void> {
    const cache = this.store
    if (!cache) return
    if (compile === undefined) {
      await cache.deletePrefix(cache.prefix(this.identity))
      return
    }
    const compiled = compile()
    await cache.delete(cache.key(this.identity, compiled.sql, compiled.parameters, indexCol ?? null, scope))
  }

  /** Where results are cached, whether that store answers now and how many entries it holds. */
  async status(): Promise<CacheStatus> {
    const cache = this.store
    return cacheStatus(cache, cache ? cache.prefix(this.identity) : '', (t) => this.#host.redact(t))
  }

  /** Hits, misses, store errors and breaker state; undefined when caching is off. */
  get stats(): Readonly<CacheStats> | undefined {
    const cache = this.store
    return cache ? { ...cache.stats } : undefined
  }

  /** Releases a shared store (a Redis client) once the connection closes. */
  async close(): Promise<void> {
    if (this.#cache) await this.#cache.close()
  }

  /**
   * A copy safe to hand to listeners: the message redacted, and no `cause` (a client's error may
   * carry the full URL in its properties). The store's own error object is left untouched.
   */
  #redactError(error: unknown): Error {
    // A refresh that failed (served from grace) is the query's own error, the one a caller would
    // get: kept whole, its class, code and driverCode say what failed. A store's errors are not
    // sqlconn's and may quote the Redis URL: only their name and masked message are passed on.
    if (error instanceof SqlconnError) return this.#host.redactError(error)
    const safe = new Error(this.#host.redact(error instanceof Error ? error.message : String(error)))
    safe.name = error instanceof Error ? error.name : 'Error'
    return safe
  }
}
