import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { beforeAll, describe, expect, it } from 'vitest'
import { useDatabase } from './helpers.js'

const database = useDatabase()

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

// 200,000 rows from a 1,000-row table joined with itself: no server settings needed.
const ROWS = 200_000
// Each row carries 500 characters of text: held at once, the rows would take over 100 MB.
const BIG = `select a.n * 1000 + b.n as id, concat(repeat('x', 490), a.n, '-', b.n) as label, now(3) as at
  from thousand a cross join thousand b where a.n < 200 order by a.n, b.n`

beforeAll(async () => {
  await database.admin('create table thousand (n int primary key)')
  const values = Array.from({ length: 1000 }, (_, i) => `(${i})`).join(',')
  await database.admin(`insert into thousand values ${values}`)
})

describe('MySQL streams', () => {
  it('streams 200,000 rows in chunks while the heap stays bounded', async () => {
    const conn = database.open()
    let rows = 0
    let chunks = 0
    let lastId = -1
    gc()
    const before = process.memoryUsage().heapUsed
    let retained = 0
    for await (const chunk of conn.stream(BIG, { chunkSize: 5000 })) {
      rows += chunk.numRows
      chunks++
      lastId = chunk.getChild('id')!.get(chunk.numRows - 1) as number
      if (chunks % 10 === 0) {
        gc()
        retained = Math.max(retained, process.memoryUsage().heapUsed - before)
      }
    }
    expect(rows).toBe(ROWS)
    expect(chunks).toBe(ROWS / 5000)
    expect(lastId).toBe(199_999)
    // Only the chunks in flight are held (a few MB); all the rows would hold over 100 MB.
    expect(retained).toBeLessThan(24 * 1024 * 1024)
    await conn.close()
  })

  it('releases its connection when the loop breaks early, so the pool keeps working', async () => {
    const conn = database.open({ connectionLimit: 1 })
    for await (const chunk of conn.stream(BIG, { chunkSize: 100 })) {
      expect(chunk.numRows).toBe(100)
      break
    }
    // With one connection in the pool, this would wait forever if the stream kept it.
    const t = await conn.query('select count(*) as n from thousand', { cache: false })
    expect(Number(t.get(0)!.n)).toBe(1000)
    const pool = conn.raw as unknown as { _allConnections: { length: number } }
    expect(pool._allConnections.length).toBe(1)
    await conn.close()
  })

  it('reports a SQL error in a stream and keeps the pool working', async () => {
    const conn = database.open({ connectionLimit: 1 })
    const err = await (async () => {
      for await (const _ of conn.stream('select * from no_such_table')) {
        // no rows
      }
    })().catch((e: unknown) => e)
    expect((err as Error).message).toContain('select * from no_such_table')
    expect((await conn.query('select 1 as one', { cache: false })).get(0)).toEqual({ one: 1 })
    await conn.close()
  })
})
