import path from 'node:path'
import { connection } from '@sqlconn/core'
import { describe, expect, it } from 'vitest'
import { SqliteConnection } from '../src/index.js'
import { useSandbox } from './helpers.js'

useSandbox()

describe("better-sqlite3's own options", () => {
  it('hands verbose (a function) to better-sqlite3, which calls it with each statement', async () => {
    const seen: unknown[] = []
    const conn = new SqliteConnection('t', { filename: ':memory:', verbose: (sql: unknown) => seen.push(sql) })
    try {
      await conn.query('select 42 as answer', { cache: false })
      expect(seen).toContain('select 42 as answer')
    } finally {
      await conn.close()
    }
  })

  it('gives the same instance for the same verbose function, another for another function', async () => {
    const log = () => {}
    const first = await connection('sqlite', { filename: 'a.db', verbose: log })
    expect(await connection('sqlite', { filename: 'a.db', verbose: log })).toBe(first)
    expect(await connection('sqlite', { filename: 'a.db', verbose: () => {} })).not.toBe(first)
  })

  it('still names an unknown option with a suggestion', () => {
    expect(() => new SqliteConnection('t', { filename: ':memory:', verbos: () => {} }).config).toThrow(
      /Did you mean "verbose"/,
    )
  })
})

describe('config shows the file better-sqlite3 opens', () => {
  it("shows a url's file as filename, with the url's source", async () => {
    const conn = new SqliteConnection('t', { url: 'sqlite:///data/app.db' })
    expect(conn.config.get('filename')).toBe(path.join(process.cwd(), 'data', 'app.db'))
    expect(conn.config.source('filename')).toBe('kwargs (url)')
  })

  it('shows a relative filename made absolute, as opened', async () => {
    const conn = new SqliteConnection('t', { filename: 'shop.db' })
    try {
      expect(conn.config.get('filename')).toBe(conn.raw.name)
      expect(conn.raw.name).toBe(path.join(process.cwd(), 'shop.db'))
    } finally {
      await conn.close()
    }
  })
})
