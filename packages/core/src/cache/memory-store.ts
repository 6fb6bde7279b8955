import type { LRUCache } from 'lru-cache'
import { lazyModule } from '../lazy.js'
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

/** lru-cache, loaded with the first memory store: a process that caches nothing never needs it. */
const lruCache = lazyModule<typeof import('lru-cache')>('lru-cache')

/**
 * The in-memory store: an LRU bounded by entry count and by the bytes of the tables it holds (their
 * column storage as the codec measures it), so a few huge results cannot take the process down.
 * Tables are kept as they are: a hit is one lookup, no copy.
 */
export class MemoryStore {
  readonly #lru: LRUCache<string, MemoryEntry>

  /** @param max entries kept @param maxSize bytes kept; the least recently used go first */
  constructor(max: number, maxSize: number) {
    const { LRUCache } = lruCache.get()
    this.#lru = new LRUCache<string, MemoryEntry>({ max, maxSize, sizeCalculation: (e) => Math.max(1, e.bytes) })
  }

  /** The size to give `set`: the table's column storage. */
  static sizeOf(table: Entry['table']): number {
    return estimateBytes(table)
  }

  /** The entry, marking it recently used. */
  get(key: string): MemoryEntry | undefined {
    return this.#lru.get(key)
  }

  /** Stores an entry, evicting the least recently used past either bound; false when it alone is too large. */
  set(key: string, entry: MemoryEntry): boolean {
    if (entry.bytes > this.#lru.maxSize) {
      this.#lru.delete(key)
      return false
    }
    this.#lru.set(key, entry)
    return true
  }

  /** Drops an entry. */
  delete(key: string): boolean {
    return this.#lru.delete(key)
  }

  /** Whether an entry is held. */
  has(key: string): boolean {
    return this.#lru.has(key)
  }

  /** Drops every entry. */
  clear(): void {
    this.#lru.clear()
  }

  /** Every key, for clearing one connection's entries. */
  keys(): IterableIterator<string> {
    return this.#lru.keys()
  }

  /** Drops every entry carrying one of `tags` (hashes); returns how many. */
  deleteTagged(tags: ReadonlySet<string>): number {
    let n = 0
    for (const [key, entry] of [...this.#lru.entries()]) {
      if (entry.tags.some((t) => tags.has(t))) {
        this.#lru.delete(key)
        n++
      }
    }
    return n
  }

  /** Bytes held now (the sum of the entries' sizes). */
  get bytes(): number {
    return this.#lru.calculatedSize
  }

  /** Entries held now. */
  get size(): number {
    return this.#lru.size
  }
}
