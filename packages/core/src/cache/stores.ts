import { OptionalDependencyError } from '../errors.js'
import { exportsOf, importFromProject } from '../load.js'
import { maskUrlPasswords } from '../redact.js'
import { MemoryStore } from './memory-store.js'

/** The surface of node-redis's client that sqlconn uses. */
export interface RedisLike {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>
  unlink(keys: string[]): Promise<number>
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<string | null>
  exists(key: string): Promise<number>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  publish(channel: string, message: string): Promise<number>
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
  duplicate(options?: object): RedisLike & { unref(): void }
  on(event: string, listener: (...args: unknown[]) => void): unknown
  isOpen?: boolean
  isReady?: boolean
  connect?(): Promise<unknown>
  destroy?(): void
}

// Deletes the lock only if it is still ours (it may have expired and been taken by another server).
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

// Adds an entry's key to each of its tag sets, which live as long as their longest-lived entry.
const TAG = `for _, tag in ipairs(KEYS) do
  redis.call('sadd', tag, ARGV[1])
  local ttl = redis.call('pttl', tag)
  if ttl == -1 or ttl < tonumber(ARGV[2]) then redis.call('pexpire', tag, ARGV[2]) end
end
return 1`

// Deletes every entry listed in the tag sets, and the sets; returns how many entries were deleted.
const INVALIDATE = `local n = 0
for _, tag in ipairs(KEYS) do
  local keys = redis.call('smembers', tag)
  for i = 1, #keys, 500 do n = n + redis.call('unlink', unpack(keys, i, math.min(i + 499, #keys))) end
  redis.call('unlink', tag)
end
return n`

/** The surface of @keyv/redis's KeyvRedis that sqlconn uses. */
interface KeyvRedisLike {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, ttl?: number): Promise<void>
  delete(key: string): Promise<boolean>
  clear(): Promise<void>
  getClient(): Promise<RedisLike>
  disconnect(force?: boolean): Promise<void>
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

/**
 * A keyv store holding raw bytes in Redis: @keyv/redis on a client that returns Buffers, so an
 * encoded table travels as bytes (no base64) and Redis keeps the ttl itself.
 */
export class RedisBytesStore {
  /** @param redis the @keyv/redis adapter @param client its client without the Buffer mapping (for SCAN) */
  constructor(
    readonly redis: KeyvRedisLike,
    readonly client: RedisLike,
  ) {}

  /** The stored bytes in keyv's entry shape; Redis expires keys itself, so there is no `expires`. */
  async get(key: string): Promise<{ value: Buffer; expires: undefined } | undefined> {
    const value = await this.redis.get(key)
    return Buffer.isBuffer(value) ? { value, expires: undefined } : undefined
  }

  /** Stores the bytes with a `PX` expiry of `ttl` ms. */
  async set(key: string, entry: { value: Buffer }, ttl?: number): Promise<boolean> {
    await this.redis.set(key, entry.value, ttl)
    return true
  }

  /** Deletes one key. */
  async delete(key: string): Promise<boolean> {
    return this.redis.delete(key)
  }

  /** Deletes what @keyv/redis considers its keys. */
  async clear(): Promise<void> {
    await this.redis.clear()
  }

  /**
   * Takes the lock that lets one app server run a query that several are missing. True when taken;
   * it expires after `ttlMs` in case its holder dies.
   */
  async lock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const client = await this.getClient()
    return (await client.set(`${key}:lock`, token, { NX: true, PX: ttlMs })) === 'OK'
  }

  /** Releases a lock taken with `lock`, if it is still held with `token`. */
  async unlock(key: string, token: string): Promise<void> {
    const client = await this.getClient()
    await client.eval(UNLOCK, { keys: [`${key}:lock`], arguments: [token] })
  }

  /** Lists `key` in the sets of `tagKeys` (kept at least `ttlMs`), so invalidating a tag finds it. */
  async tag(key: string, tagKeys: readonly string[], ttlMs: number): Promise<void> {
    const client = await this.getClient()
    await client.eval(TAG, { keys: [...tagKeys], arguments: [key, String(Math.max(1, Math.ceil(ttlMs)))] })
  }

  /** Deletes every entry listed in the sets of `tagKeys`, and the sets; returns how many entries. */
  async invalidate(tagKeys: readonly string[]): Promise<number> {
    const client = await this.getClient()
    return Number(await client.eval(INVALIDATE, { keys: [...tagKeys], arguments: [] }))
  }

  /** Whether another server still holds the lock for `key`. */
  async locked(key: string): Promise<boolean> {
    const client = await this.getClient()
    return (await client.exists(`${key}:lock`)) === 1
  }

  /**
   * Connects the client within `timeoutMs`, on a timer cleared once connected. @keyv/redis bounds
   * its own connect with a timer it never clears, which kept a finished script alive for that long;
   * connected here first, it skips that.
   */
  async connect(timeoutMs: number): Promise<void> {
    const client = this.client
    if (!client.isOpen && typeof client.connect === 'function') {
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          client.connect(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`Redis did not connect within ${timeoutMs} ms`)), timeoutMs)
          }),
        ])
      } catch (err) {
        // Stop the client's reconnect loop (its timers would hold a finished script open), as
        // @keyv/redis does after a failed connect; the next command connects again.
        try {
          client.destroy?.()
        } catch {}
        throw err
      } finally {
        clearTimeout(timer)
      }
    }
    await this.redis.getClient()
  }

  /** The connected client, for listing keys (its replies are strings). */
  async getClient(): Promise<RedisLike> {
    await this.redis.getClient()
    return this.client
  }
}

/**
 * `promise`, keeping the process alive until it settles. The Redis client's socket is unref'd (an
 * idle cache must not keep a script from ending), so a command awaited with no other handle open
 * would otherwise let the process exit before its reply. Commands bounded by `withTimeout` are
 * already held by its timer.
 */
export function holdingProcess<T>(promise: Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1 << 30)
  return promise.finally(() => clearInterval(hold))
}

interface SharedRedis {
  store: Promise<RedisBytesStore>
  users: number
}

const redisStores = new Map<string, SharedRedis>()

async function importOptional(name: string, feature: string): Promise<Record<string, unknown>> {
  try {
    return exportsOf(await importFromProject(name))
  } catch (err) {
    throw new OptionalDependencyError(name, feature, { cause: err })
  }
}

// RESP3's blob-string type ('$'): mapped to Buffer so values come back as bytes.
const RESP_BLOB_STRING = 36

/**
 * The Redis store for `url`, shared by every connection that names the same URL and disconnected
 * when the last of them releases it.
 */
export function acquireRedisStore(url: string, connectTimeoutMs: number): Promise<RedisBytesStore> {
  let shared = redisStores.get(url)
  if (!shared) {
    const store = importOptional('@keyv/redis', `A Redis query cache (${maskUrlPasswords(url)})`).then((mod) => {
      // Through require.resolve (NODE_PATH, CommonJS builds) `default` is module.exports, not the class.
      const cjs = mod.default as Record<string, unknown> | undefined
      const KeyvRedis = (
        typeof mod.default === 'function' ? mod.default : (mod.KeyvRedis ?? cjs?.default ?? cjs?.KeyvRedis)
      ) as new (
        client: unknown,
        options: object,
      ) => KeyvRedisLike
      const createClient = mod.createClient as (options: object) => RedisLike & {
        withTypeMapping(mapping: object): unknown
        unref(): void
      }
      const plain = createClient({ url })
      // An idle cache must not keep a script from ending (it never calls closeAll()): the socket is
      // unref'd, and sqlconn holds the process itself while it awaits a command (holdingProcess and
      // the per-command timeout timer in query-cache.ts). Long-running servers have handles of their own.
      plain.unref()
      const client = plain.withTypeMapping({ [RESP_BLOB_STRING]: Buffer })
      // Errors are thrown to sqlconn (which falls back to the database) instead of being swallowed.
      const redis = new KeyvRedis(client, {
        throwOnConnectError: true,
        throwOnErrors: true,
        connectionTimeout: connectTimeoutMs,
        useUnlink: true,
      })
      redis.on('error', () => {})
      return new RedisBytesStore(redis, plain)
    })
    shared = { store, users: 0 }
    redisStores.set(url, shared)
  }
  shared.users++
  return shared.store
}

/** Releases a store from `acquireRedisStore`; the last user disconnects it. */
export async function releaseRedisStore(url: string): Promise<void> {
  const shared = redisStores.get(url)
  if (!shared) return
  shared.users--
  if (shared.users > 0) return
  redisStores.delete(url)
  try {
    await holdingProcess((async () => (await shared.store).redis.disconnect(true))())
  } catch {}
}

/** Deletes every key starting with `prefix` from a store; returns how many were deleted. */
export async function deleteByPrefix(store: unknown, prefix: string): Promise<number> {
  if (store instanceof MemoryStore || store instanceof Map) {
    let n = 0
    for (const key of [...(store as Map<string, unknown>).keys()]) {
      if (typeof key === 'string' && key.startsWith(prefix)) {
        store.delete(key)
        n++
      }
    }
    return n
  }
  const withClient = store as { getClient?: () => Promise<RedisLike>; client?: RedisLike }
  const client = withClient.getClient ? await withClient.getClient() : withClient.client
  if (client && typeof client.scanIterator === 'function') {
    let n = 0
    // Cache keys are base64url and ':' only, so the prefix holds no glob characters.
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      const keys = Array.isArray(batch) ? batch : [batch]
      if (keys.length) n += await client.unlink(keys)
    }
    return n
  }
  throw new TypeError('This cache store cannot list its keys, so entries cannot be cleared by connection.')
}
