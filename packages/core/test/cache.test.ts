import { describe, expect, it } from 'vitest'
import { QueryCache } from '../src/cache.js'
import { tableFromRows } from '../src/table/builder.js'

const table = tableFromRows([{ a: 1 }])

describe('QueryCache', () => {
  it('gives different keys for different SQL, params, shape or connection', () => {
    const c = new QueryCache()
    const base = c.key('sqlite:abc', 'select 1', [1], null)
    expect(c.key('sqlite:abc', 'select 1', [1], null)).toBe(base)
    expect(c.key('sqlite:abc', 'select 2', [1], null)).not.toBe(base)
    expect(c.key('sqlite:abc', 'select 1', ['1'], null)).not.toBe(base)
    expect(c.key('sqlite:abc', 'select 1', [1], 'id')).not.toBe(base)
    expect(c.key('sqlite:xyz', 'select 1', [1], null)).not.toBe(base)
  })

  it('keeps parameter values out of the key', () => {
    const c = new QueryCache()
    expect(c.key('id', 'select :p', ['hunter2'], null)).not.toContain('hunter2')
  })

  // The store below fails on purpose: it stands in for a cache server that is down.
  it('answers from the query when the store fails, and reports the failure', async () => {
    const errors: unknown[] = []
    const broken = {
      get: async () => {
        throw new Error('store down')
      },
      set: async () => {
        throw new Error('store down')
      },
      delete: async () => false,
      clear: async () => {},
    }
    const c = new QueryCache({ store: broken as never }, (e) => errors.push(e))
    let runs = 0
    const result = await c.getOrRun('k', undefined, async () => {
      runs++
      return table
    })
    expect(result).toEqual({ table, hit: false })
    expect(runs).toBe(1)
    expect(errors.length).toBeGreaterThanOrEqual(1)
  })

  it('bounds the in-memory store by maxEntries', async () => {
    const c = new QueryCache({ maxEntries: 2 })
    let runs = 0
    const run = async () => {
      runs++
      return table
    }
    await c.getOrRun('a', undefined, run)
    await c.getOrRun('b', undefined, run)
    await c.getOrRun('c', undefined, run)
    await c.getOrRun('a', undefined, run)
    expect(runs).toBe(4)
    await c.getOrRun('c', undefined, run)
    expect(runs).toBe(4)
  })
})
