import { estimateBytes } from '../table/codec.js'
import type { Entry } from './keyv-stores.js'

/** An entry held in process memory (the memory-only cache, or the L1 in front of Redis). */
export interface MemoryEntry extends Entry {
  /** Dropped after this time: the ttl plus `staleWhileRevalidate` or `grace`, whichever is longer. */
  readonly keepUntil: number
  /** When it was put in memory, and the bus epoch then (-1: no bus), to bound it while the bus is down. */
  readonly filledAt: number
  readonly epoch: number
  /** The table's column storage, in bytes. */
  readonly bytes: number
}

/**
 * The in-memory store: an LRU bounded by entry count and by the bytes of the tables it holds (their
 * column storage as the codec measures it), so a few huge results cannot take the process down.
 * Tables are kept as they are: a hit is one lookup, no copy.
 *
 * A Map in recency order (least recently used first; a hit moves its entry to the end) rather than
 * lru-cache: it needs only these bounds, and loading lru-cache (its module, and the perf_hooks its
 * clock loads) was a cost every one-shot process with a cached read paid at start-up.
 */
export class MemoryStore {
  readonly #entries = new Map<string, MemoryEntry>()
  readonly #max: number
  readonly #maxSize: number
  #bytes = 0

  /** @param max entries kept (0: no count bound) @param maxSize bytes kept; the least recently used go first */
  constructor(max: number, maxSize: number) {
    // lru-cache's checks, with its messages: a bad cache.maxEntries fails when the cache is built, as it did.
    if (max !== 0 && !(Number.isInteger(max) && max > 0))
      throw new TypeError('max option must be a nonnegative integer')
    if (!(Number.isInteger(maxSize) && maxSize > 0))
      throw new TypeError('maxSize must be a positive integer if specified')
    this.#max = max
    this.#maxSize = maxSize
  }

  /** The size to give `set`: the table's column storage. */
  static sizeOf(table: Entry['table']): number {
    return estimateBytes(table)
  }

  /** The entry, marking it recently used. */
  get(key: string): MemoryEntry | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    }
    return entry
  }

  /** Stores an entry, evicting the least recently used past either bound; false when it alone is too large. */
  set(key: string, entry: MemoryEntry): boolean {
    this.delete(key)
    const size = sizeOf(entry)
    if (size > this.#maxSize) return false
    // Make room first, so the new entry is never the one evicted.
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes + size <= this.#maxSize && (this.#max === 0 || this.#entries.size < this.#max)) break
      this.#entries.delete(oldest)
      this.#bytes -= sizeOf(old)
    }
    this.#entries.set(key, entry)
    this.#bytes += size
    return true
  }

  /** Drops an entry. */
  delete(key: string): boolean {
    const entry = this.#entries.get(key)
    if (entry === undefined) return false
    this.#entries.delete(key)
    this.#bytes -= sizeOf(entry)
    return true
  }

  /** Whether an entry is held (not a use: its recency stays). */
  has(key: string): boolean {
    return this.#entries.has(key)
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  /** Every key, for clearing one connection's entries. */
  keys(): IterableIterator<string> {
    return this.#entries.keys()
  }

  /** Drops every entry carrying one of `tags` (hashes); returns how many. */
  deleteTagged(tags: ReadonlySet<string>): number {
    let n = 0
    for (const [key, entry] of [...this.#entries]) {
      if (entry.tags.some((t) => tags.has(t))) {
        this.delete(key)
        n++
      }
    }
    return n
  }

  /** Bytes held now (the sum of the entries' sizes). */
  get bytes(): number {
    return this.#bytes
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size
  }
}

/** An entry's size against `maxSize`: its bytes, at least 1 (an empty table still takes a slot). */
function sizeOf(entry: MemoryEntry): number {
  return Math.max(1, entry.bytes)
}
