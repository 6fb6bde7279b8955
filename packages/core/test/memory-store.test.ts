import { describe, expect, it } from 'vitest'
import { type MemoryEntry, MemoryStore } from '../src/cache/memory-store.js'
import { QueryCache } from '../src/cache/query-cache.js'
import { tableFromRows } from '../src/table/builder.js'

const table = tableFromRows([{ x: 1 }])

/** An entry of `bytes` bytes with `tags`. */
function entry(bytes: number, tags: string[] = []): MemoryEntry {
  return {
    table,
    freshUntil: Number.POSITIVE_INFINITY,
    tags,
    keepUntil: Number.POSITIVE_INFINITY,
    filledAt: 0,
    epoch: -1,
    bytes,
  }
}

describe('the in-memory store', () => {
  it('counts the bytes of exactly what it holds through replace, delete, tag drops and clear', () => {
    const m = new MemoryStore(10, 1000)
    m.set('a', entry(100))
    m.set('b', entry(200, ['t']))
    m.set('a', entry(300)) // replaced: its old size no longer counts
    expect([m.size, m.bytes]).toEqual([2, 500])
    expect(m.delete('a')).toBe(true)
    expect(m.delete('a')).toBe(false)
    expect([m.size, m.bytes]).toEqual([1, 200])
    expect(m.deleteTagged(new Set(['t']))).toBe(1)
    expect([m.size, m.bytes]).toEqual([0, 0])
    m.set('c', entry(0)) // an empty table still counts as 1 byte
    m.clear()
    expect([m.size, m.bytes]).toEqual([0, 0])
  })

  it('evicts the least recently read first; has() is not a read', () => {
    const m = new MemoryStore(2, 1000)
    m.set('a', entry(1))
    m.set('b', entry(1))
    m.get('a') // b is now the least recently used
    m.set('c', entry(1))
    expect([...m.keys()].sort()).toEqual(['a', 'c'])
    m.has('a') // not a use: a stays the least recently used
    m.set('d', entry(1))
    expect([...m.keys()].sort()).toEqual(['c', 'd'])
  })

  it('frees bytes for a new entry from the least recently used, and refuses one larger than the bound', () => {
    const m = new MemoryStore(0, 1000) // 0: no bound on the count
    m.set('a', entry(400))
    m.set('b', entry(400))
    m.set('c', entry(400)) // 1,200 > 1,000: a goes
    expect([...m.keys()]).toEqual(['b', 'c'])
    expect(m.set('huge', entry(1001))).toBe(false)
    expect(m.has('huge')).toBe(false)
    expect(m.bytes).toBe(800)
  })

  it('rejects a maxEntries that is not a whole number when the cache is built', () => {
    expect(() => new QueryCache({ maxEntries: -1 })).toThrow(TypeError)
    expect(() => new QueryCache({ maxEntries: 1.5 })).toThrow('max option must be a nonnegative integer')
    expect(() => new QueryCache({ maxEntries: 3 })).not.toThrow()
  })
})
