import type { Field } from '@sqlconn/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { useDatabase } from './helpers.js'

const database = useDatabase()

beforeAll(async () => {
  await database.admin(`create table prices (
    id int primary key,
    p10_2 decimal(10,2) not null,
    p4_4 decimal(4,4),
    p10_0 decimal(10,0),
    p38_10u decimal(38,10) unsigned,
    p65_30 decimal(65,30),
    f double
  )`)
  await database.admin(
    `insert into prices values (1, -12345678.90, 0.1234, 9999999999, 1234567890123456789012345678.0123456789,
      -12345678901234567890123456789012345.123456789012345678901234567890, 1.5)`,
  )
})

function byName(fields: readonly Field[]): Record<string, Field> {
  return Object.fromEntries(fields.map((f) => [f.name, f]))
}

describe('MySQL decimal precision and scale', () => {
  it('gives DECIMAL(p,s) columns their declared precision and scale, signed or unsigned', async () => {
    const conn = database.open()
    const t = await conn.query('select p10_2, p4_4, p10_0, p38_10u, p65_30 from prices', { cache: false })
    const sizes = t.schema.fields.map((f) => [f.name, f.precision, f.scale])
    expect(sizes).toEqual([
      ['p10_2', 10, 2],
      ['p4_4', 4, 4],
      ['p10_0', 10, 0],
      ['p38_10u', 38, 10],
      ['p65_30', 65, 30],
    ])
    expect(t.get(0)!.p10_2).toBe('-12345678.90')
  })

  it('gives no precision or scale to columns that are not DECIMAL', async () => {
    const conn = database.open()
    const f = byName((await conn.query('select id, f, 1.5e0 as g from prices', { cache: false })).schema.fields)
    for (const name of ['id', 'f', 'g']) {
      expect(f[name]!.precision).toBeUndefined()
      expect(f[name]!.scale).toBeUndefined()
    }
  })

  it('keeps precision and scale when decimalNumbers reads the values as numbers', async () => {
    const conn = database.open({ decimalNumbers: true })
    const t = await conn.query('select p10_2 from prices', { cache: false })
    expect(t.schema.fields[0]).toMatchObject({ type: 'decimal', precision: 10, scale: 2, nullable: false })
    expect(t.get(0)!.p10_2).toBe(-12345678.9)
  })

  it('keeps precision and scale in a cached table', async () => {
    const conn = database.open({ cache: { store: new Map(), serialize: true } })
    const first = await conn.query('select p10_2, p4_4 from prices', { ttl: 60 })
    const again = await conn.query('select p10_2, p4_4 from prices', { ttl: 60 })
    expect(conn.cacheStats?.hits).toBe(1)
    expect(again.schema.fields).toEqual(first.schema.fields)
    expect(byName(again.schema.fields).p4_4).toMatchObject({ precision: 4, scale: 4 })
  })
})

describe('MySQL column types of a repeated query', () => {
  it('types a column by its current definition when the table changes between two reads', async () => {
    await database.admin('create table reshaped (id int primary key, v int not null, doc json)')
    await database.admin(`insert into reshaped values (1, 7, '{"a":1}')`)
    const conn = database.open()
    const before = await conn.query('select * from reshaped', { cache: false })
    expect(before.schema.fields.map((f) => [f.name, f.type, f.dbType])).toEqual([
      ['id', 'int32', 'INT'],
      ['v', 'int32', 'INT'],
      ['doc', 'json', 'JSON'],
    ])
    await database.admin('alter table reshaped modify v decimal(6,2) null')
    const after = await conn.query('select * from reshaped', { cache: false })
    expect(after.schema.fields[1]).toMatchObject({ name: 'v', type: 'decimal', dbType: 'DECIMAL(6,2)', nullable: true })
    expect(after.toArray()).toEqual([{ id: 1, v: '7.00', doc: { a: 1 } }])
  })

  it('keeps JSON as text on a repeated query, so changing a value read leaves the table as it was', async () => {
    await database.admin('create table json_runs (doc json)')
    await database.admin(`insert into json_runs values ('{"k":[1,2]}')`)
    const conn = database.open()
    await conn.query('select doc from json_runs', { cache: false })
    const again = await conn.query('select doc from json_runs', { cache: false })
    const doc = again.get(0)!.doc as { k: number[] }
    doc.k.push(3)
    expect(again.get(0)!.doc).toEqual({ k: [1, 2] })
  })
})
