import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MysqlConnection } from '../src/index.js'
import { RecentSizes } from '../src/read.js'
import { useDatabase } from './helpers.js'

const database = useDatabase()
const ROWS = 20_000

describe('MySQL whole results', () => {
  let conn: MysqlConnection

  beforeAll(async () => {
    await database.admin('create table big (id int primary key, n int not null)')
    const values = Array.from({ length: ROWS }, (_, i) => [i + 1, ((i + 1) * 37) % 1000])
    for (let at = 0; at < ROWS; at += 5_000)
      await database.admin('insert into big values ?', [values.slice(at, at + 5_000)])
    conn = database.open()
  })

  afterAll(async () => {
    await conn.close()
  })

  it('reads every row of the same SQL as its result grows past 8,192 rows, stays large, moves while large and shrinks back', async () => {
    const sql = 'select id, n from big where id <= ? order by id'
    // Small results come whole through mysql2's callback; once this text has given a large one, the
    // next run is read as its rows arrive, into a table of the last run's size: the same size, more
    // rows (the table grows from there) and fewer (it is trimmed) must all give every row.
    for (const limit of [10, ROWS, ROWS, 10, 9_000, ROWS, 12_000, 10]) {
      const t = await conn.query<{ id: number; n: number }>(sql, { params: [limit], cache: false })
      expect(t.numRows).toBe(limit)
      const ids = t.getChild('id')!.toArray() as number[]
      expect(ids[0]).toBe(1)
      expect(ids[limit - 1]).toBe(limit)
      expect(ids.reduce((a, b) => a + b, 0)).toBe((limit * (limit + 1)) / 2)
      expect(t.get(limit - 1)).toEqual({ id: limit, n: (limit * 37) % 1000 })
    }
  })

  it('reports a SQL error of a text that last gave a large result, and the connection reads on', async () => {
    const sql = 'select id, n from big order by id limit ?'
    expect((await conn.query(sql, { params: [ROWS], cache: false })).numRows).toBe(ROWS)
    // mysql2 writes the values into the text: a negative LIMIT is a syntax error on the same SQL text.
    await expect(conn.query(sql, { params: [-1], cache: false })).rejects.toThrow(/syntax/i)
    expect((await conn.query(sql, { params: [ROWS], cache: false })).numRows).toBe(ROWS)
    expect((await conn.query(sql, { params: [3], cache: false })).toArray()).toEqual([
      { id: 1, n: 37 },
      { id: 2, n: 74 },
      { id: 3, n: 111 },
    ])
  })

  it('remembers the row count of a large result by its SQL text, and forgets it once the text gives a small one', () => {
    const sizes = new RecentSizes()
    sizes.record('select a', 100_000)
    sizes.record('select b', 10)
    expect(sizes.largeSize('select a')).toBe(100_000)
    expect(sizes.largeSize('select b')).toBeUndefined()
    sizes.record('select a', 9_000)
    expect(sizes.largeSize('select a')).toBe(9_000)
    sizes.record('select a', 8_192)
    expect(sizes.largeSize('select a')).toBeUndefined()
  })
})
