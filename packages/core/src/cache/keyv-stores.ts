import type { Deserialize, Keyv, KeyvStoreAdapter, Serialize } from 'keyv'
import { lazyModule } from '../lazy.js'
import { decodeTable, encodeTable } from '../table/codec.js'
import type { RowTable } from '../table/table.js'

/** A cached result and what the cache needs to know about it. */
export interface Entry {
  readonly table: RowTable
  /** Served as fresh until then (ms since the epoch). */
  readonly freshUntil: number
  /** Hashes of the entry's tags (never the tags themselves). */
  readonly tags: readonly string[]
}

/** keyv, loaded with the first shared store: the memory-only cache never needs it. */
const keyvModule = lazyModule<typeof import('keyv')>('keyv')

/**
 * keyv on `store`, with sqlconn's own keys (keyv adds no prefix) and store failures thrown (so they
 * reach the breaker as rejections, not misses). `encoded`: values are this module's bytes as base64
 * text inside a small envelope; otherwise the store holds what it is given (entry objects, or bytes
 * for the Redis store, which keeps the ttl itself).
 */
export function keyvOn(store: unknown, encoded: boolean): Keyv {
  const { Keyv } = keyvModule.get()
  const keyv = new Keyv({
    store: store as KeyvStoreAdapter,
    serialize: encoded ? serializeEnvelope : undefined,
    deserialize: encoded ? deserializeEnvelope : undefined,
    namespace: undefined,
    useKeyPrefix: false,
    throwOnErrors: true,
  } as ConstructorParameters<typeof Keyv>[0])
  keyv.on('error', () => {
    // Failures reach sqlconn as rejections (counted once there); keyv's event must not crash.
  })
  return keyv
}

// keyv's envelope for text stores: the expiry, then our own encoded payload, without JSON around it.
const serializeEnvelope = ((data: { value?: unknown; expires?: number | null }) =>
  `${data.expires ?? ''}|${data.value as string}`) as Serialize
const deserializeEnvelope = ((text: string) => {
  const bar = text.indexOf('|')
  const expires = bar > 0 ? Number(text.slice(0, bar)) : undefined
  return { value: text.slice(bar + 1), expires }
}) as Deserialize

/**
 * An entry as bytes: the freshness time (float64), the byte length of the tag list (uint32, then
 * padding to 8), the tag hashes as JSON, padding to 8, then the encoded table.
 */
export function encodeEntry(entry: Entry): Buffer {
  const tags = entry.tags.length ? Buffer.from(JSON.stringify(entry.tags)) : undefined
  const head = 16 + pad8(tags?.length ?? 0)
  // encodeTable leaves `head` bytes in front: one allocation, one copy.
  const out = encodeTable(entry.table, head)
  out.writeDoubleLE(entry.freshUntil, 0)
  out.writeUInt32LE(tags?.length ?? 0, 8)
  tags?.copy(out, 16)
  return out
}

/** Reads what `encodeEntry` wrote (throws on another format: the caller counts it as a miss). */
export function decodeEntry(bytes: Buffer): Entry {
  const tagBytes = bytes.readUInt32LE(8)
  const tags = tagBytes ? (JSON.parse(bytes.toString('utf8', 16, 16 + tagBytes)) as string[]) : []
  return { freshUntil: bytes.readDoubleLE(0), tags, table: decodeTable(bytes.subarray(16 + pad8(tagBytes))) }
}

function pad8(n: number): number {
  return n + ((8 - (n % 8)) % 8)
}

/** The store did not answer within `timeout`. */
export class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError'
  readonly code = 'CACHE_TIMEOUT'
}

/**
 * `promise`, or a StoreTimeoutError after `ms`. A plain timer rather than cockatiel's timeout
 * policy: that one builds an AbortController and an AbortError on every call, a cost paid per hit.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
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
