import { readFileSync } from 'node:fs'
import { missingOptionRows } from '@sqlconn/core'
import { describe, expect, it } from 'vitest'
import { DOCUMENTED_OPTIONS } from '../src/options.js'

describe('docs/duckdb.md', () => {
  it('lists the options exactly as the declarations generate them', () => {
    const docs = readFileSync(new URL('../../../docs/duckdb.md', import.meta.url), 'utf8')
    expect(missingOptionRows(docs, DOCUMENTED_OPTIONS)).toEqual([])
  })
})
