import { describe, expect, it } from 'vitest'
import { SqliteConnection } from '../src/index.js'
import { useSandbox } from './helpers.js'

useSandbox()

describe('SQLite decimal precision and scale', () => {
  it('gives a column declared DECIMAL(p,s) or NUMERIC(p,s) that precision and scale', async () => {
    const conn = new SqliteConnection('test', { filename: ':memory:' })
    conn.raw.exec(`
      create table prices (a decimal(10,2), b NUMERIC( 5 , 0 ), c decimal(12), d decimal, e numeric, f real, g text);
      insert into prices values (10.5, 3, 7, 1.5, 2, 0.5, 'x');
    `)
    const t = await conn.query('select a, b, c, d, e, f, g, a * 2 as h from prices', { cache: false })
    expect(t.schema.fields.map((f) => [f.name, f.precision, f.scale])).toEqual([
      ['a', 10, 2],
      ['b', 5, 0],
      ['c', 12, 0],
      ['d', undefined, undefined],
      ['e', undefined, undefined],
      ['f', undefined, undefined],
      ['g', undefined, undefined],
      ['h', undefined, undefined],
    ])
    expect(t.get(0)!.a).toBe(10.5)
    await conn.close()
  })

  it('carries precision and scale in stream() chunks', async () => {
    const conn = new SqliteConnection('test', { filename: ':memory:' })
    conn.raw.exec('create table prices (a decimal(10,2)); insert into prices values (1.25), (2.5);')
    for await (const chunk of conn.stream('select a from prices', { chunkSize: 1 })) {
      expect(chunk.schema.fields[0]).toMatchObject({ type: 'decimal', precision: 10, scale: 2 })
    }
    await conn.close()
  })
})
