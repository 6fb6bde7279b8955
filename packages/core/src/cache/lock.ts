import { toMilliseconds } from '../duration.js'
import { nodeCrypto } from '../node-crypto.js'
import type { CacheOptions } from './options.js'
import type { RedisBytesStore } from './stores.js'

/** Runs a store command through the cache's timeout and breaker; undefined when it failed. */
export type Safe = <T>(op: () => Promise<T>) => Promise<T | undefined>

/**
 * Cross-process single flight for app servers sharing Redis: the first server missing a key takes
 * `<key>:lock` (`SET NX PX`), the others poll for the result it stores instead of running the query.
 */
export class ServerLock {
  readonly #enabled: boolean
  readonly #ttlMs: number
  readonly #waitMs: number
  readonly #held = new Map<string, string>()

  /** @param setting the `lock` cache option */
  constructor(setting: CacheOptions['lock']) {
    const lock = setting ?? true
    const settings = typeof lock === 'object' ? lock : {}
    this.#enabled = lock !== false
    this.#ttlMs = toMilliseconds(settings.ttl, 'cache.lock.ttl') ?? 30_000
    this.#waitMs = toMilliseconds(settings.wait, 'cache.lock.wait') ?? 10_000
  }

  /**
   * When another server holds the lock for `key`, waits for the result it is computing (read with
   * `read`). Returns undefined when this server should run the query itself: it took the lock,
   * locking is off or failing, or the wait ran out.
   */
  async waitForOther<T>(
    store: RedisBytesStore,
    key: string,
    safe: Safe,
    read: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    if (!this.#enabled) return undefined
    const token = nodeCrypto().randomUUID()
    const taken = await safe(() => store.lock(key, token, this.#ttlMs))
    if (taken !== false) {
      // Ours (or Redis failed: run the query rather than wait on a store that is down).
      if (taken) this.#held.set(key, token)
      return undefined
    }
    const deadline = Date.now() + this.#waitMs
    for (let delay = 20; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
      await new Promise((r) => setTimeout(r, delay))
      const entry = await read()
      if (entry) return entry
      // The holder finished without storing (failed, too large) or died: stop waiting.
      if ((await safe(() => store.locked(key))) !== true) return undefined
    }
    return undefined
  }

  /** Releases the lock for `key` if this server took it. */
  async release(store: RedisBytesStore | undefined, key: string, safe: Safe): Promise<void> {
    const token = this.#held.get(key)
    if (!token) return
    this.#held.delete(key)
    if (store) await safe(() => store.unlock(key, token))
  }
}
