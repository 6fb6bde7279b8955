import { monotonicMs } from '../duration.js'
import { maskUrlPasswords } from '../redact.js'
import { MemoryStore } from './memory-store.js'
import type { QueryCache } from './query-cache.js'

/** Where a connection's query results are cached and whether that store answers, as `sqlconn doctor` shows it. */
export interface CacheStatus {
  /** `off` (caching disabled), `memory` (this process only), `redis` or `custom` (a keyv store given in code). */
  readonly kind: 'off' | 'memory' | 'redis' | 'custom'
  /** A readable name: the Redis URL with its password masked, `in-process LRU`, or the store's class. */
  readonly store: string
  /** True when a listing of this connection's keys came back within the timeout. */
  readonly answers: boolean
  /** How long that listing took. */
  readonly latencyMs: number | undefined
  /** How many cached results this connection has in the store, when the store can list its keys. */
  readonly entries: number | undefined
  /** Why the store did not answer (no secret in it). */
  readonly error: string | undefined
}

interface Scanning {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>
}

/** Counts the keys starting with `prefix`; undefined when the store cannot list keys. */
async function countByPrefix(store: unknown, prefix: string): Promise<number | undefined> {
  if (store instanceof MemoryStore || store instanceof Map) {
    let n = 0
    for (const key of (store as Map<string, unknown>).keys()) if (typeof key === 'string' && key.startsWith(prefix)) n++
    return n
  }
  const withClient = store as { getClient?: () => Promise<Scanning>; client?: Scanning }
  const client = withClient.getClient ? await withClient.getClient() : withClient.client
  if (!client || typeof client.scanIterator !== 'function') return undefined
  let n = 0
  // Cache keys are base64url and ':' only, so the prefix holds no glob characters.
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    n += Array.isArray(batch) ? batch.length : 1
  }
  return n
}

/** Probes `cache` by listing the keys under `prefix`, bounded by `timeoutMs`. */
export async function cacheStatus(
  cache: QueryCache | false,
  prefix: string,
  redact: (text: string) => string,
  timeoutMs = 2000,
): Promise<CacheStatus> {
  if (!cache) {
    return { kind: 'off', store: 'off', answers: false, latencyMs: undefined, entries: undefined, error: undefined }
  }
  const started = monotonicMs()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  // Named before the store is reached, so a store that never answers is still named.
  const kind: CacheStatus['kind'] = cache.tier
  let store =
    kind === 'redis' ? maskUrlPasswords(cache.url ?? '') : kind === 'memory' ? 'in-process LRU' : 'custom store'
  try {
    const info = await Promise.race([cache.storeInfo(), timeout])
    if (kind === 'custom') store = (info.store as object)?.constructor?.name ?? store
    const entries = await Promise.race([countByPrefix(info.store, prefix), timeout])
    return { kind, store, answers: true, latencyMs: monotonicMs() - started, entries, error: undefined }
  } catch (err) {
    const error = redact(maskUrlPasswords(err instanceof Error ? err.message : String(err)))
    return { kind, store, answers: false, latencyMs: undefined, entries: undefined, error }
  } finally {
    clearTimeout(timer)
  }
}
