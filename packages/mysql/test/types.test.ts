import { decimalText, expectArrowRoundTrip } from '@sqlconn/core/testing'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useDatabase } from './helpers.js'

const database = useDatabase()

// Every MySQL type, with the logical type, the MySQL type name (dbType) and the Arrow type it maps to.
const COLUMNS = [
  ['b', 'tinyint(1)', 'bool', 'TINYINT(1)', 'Bool', '1'],
  ['ti', 'tinyint', 'int8', 'TINYINT', 'Int8', '-128'],
  ['tu', 'tinyint unsigned', 'uint8', 'TINYINT UNSIGNED', 'Uint8', '255'],
  ['si', 'smallint', 'int16', 'SMALLINT', 'Int16', '-32768'],
  ['su', 'smallint unsigned', 'uint16', 'SMALLINT UNSIGNED', 'Uint16', '65535'],
  ['mi', 'mediumint', 'int32', 'MEDIUMINT', 'Int32', '-8388608'],
  ['i', 'int', 'int32', 'INT', 'Int32', '-2147483648'],
  ['iu', 'int unsigned', 'uint32', 'INT UNSIGNED', 'Uint32', '4294967295'],
  ['bi', 'bigint', 'int64', 'BIGINT', 'Int64', '-9007199254740991'],
  ['bu', 'bigint unsigned', 'uint64', 'BIGINT UNSIGNED', 'Uint64', '9007199254740991'],
  ['f', 'float', 'float32', 'FLOAT', 'Float32', '1.5'],
  ['d', 'double', 'float64', 'DOUBLE', 'Float64', '-2.25e100'],
  ['dc', 'decimal(10,2)', 'decimal', 'DECIMAL(10,2)', 'Decimal[10e+2]', '12345678.90'],
  ['dn', 'decimal(12,4)', 'decimal', 'DECIMAL(12,4)', 'Decimal[12e+4]', '-0.0005'],
  [
    'du',
    'decimal(38,10) unsigned',
    'decimal',
    'DECIMAL(38,10) UNSIGNED',
    'Decimal[38e+10]',
    '1234567890123456789012345678.0123456789',
  ],
  ['ch', 'char(3)', 'utf8', 'CHAR', 'Utf8', "'abc'"],
  ['vc', 'varchar(20)', 'utf8', 'VARCHAR', 'Utf8', "'héllo ☃'"],
  ['tx', 'text', 'utf8', 'TEXT', 'Utf8', "'a longer text'"],
  ['bn', 'binary(3)', 'binary', 'BINARY', 'Binary', "x'00ff10'"],
  ['vb', 'varbinary(8)', 'binary', 'VARBINARY', 'Binary', "x'deadbeef'"],
  ['bl', 'blob', 'binary', 'BLOB', 'Binary', "x'0102030405'"],
  ['dt', 'date', 'date', 'DATE', 'Date64<MILLISECOND>', "'2024-02-29'"],
  ['dtt', 'datetime(3)', 'timestamp', 'DATETIME', 'Timestamp<MILLISECOND>', "'2024-02-29 13:14:15.678'"],
  ['ts', 'timestamp(3) null', 'timestamptz', 'TIMESTAMP', 'Timestamp<MILLISECOND, UTC>', "'2024-03-01 01:02:03.456'"],
  ['tm', 'time', 'time', 'TIME', 'Utf8', "'-838:59:59'"],
  ['yr', 'year', 'uint16', 'YEAR', 'Uint16', '2024'],
  ['js', 'json', 'json', 'JSON', 'Utf8', `'{"a": [1, 2.5, "x"], "b": null, "c": {"d": true}}'`],
  ['en', "enum('red','green')", 'utf8', 'ENUM', 'Utf8', "'green'"],
  ['st', "set('x','y','z')", 'utf8', 'SET', 'Utf8', "'x,z'"],
  ['bt', 'bit(5)', 'binary', 'BIT(5)', 'Binary', "b'10101'"],
] as const

const SELECT = `select id, ${COLUMNS.map((c) => c[0]).join(', ')} from every_type order by id`

/** The rows mysql2 itself returns (object rows, default options unless given). */
async function mysql2Rows(sql: string, options: mysql.ConnectionOptions = {}): Promise<unknown[]> {
  const raw = await mysql.createConnection({ uri: database.url, ...options })
  try {
    const [rows] = await raw.query(sql)
    return (rows as object[]).map((r) => ({ ...r }))
  } finally {
    await raw.end()
  }
}

beforeAll(async () => {
  await database.admin(
    `create table every_type (id int primary key, ${COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`,
  )
  await database.admin(`insert into every_type values (1, ${COLUMNS.map((c) => c[5]).join(', ')})`)
  await database.admin('insert into every_type (id) values (2)')
})

describe('MySQL types', () => {
  const conn = () => database.open()
  let shared: ReturnType<typeof conn>
  beforeAll(() => {
    shared = conn()
  })
  afterAll(async () => {
    await shared.close()
  })

  it('types every column from its metadata, with the MySQL type name as dbType', async () => {
    const t = await shared.query(SELECT, { cache: false })
    expect(t.schema.fields.slice(1).map((f) => [f.name, f.type, f.dbType])).toEqual(
      COLUMNS.map(([name, , type, dbType]) => [name, type, dbType]),
    )
    expect(t.schema.fields[0]).toMatchObject({ name: 'id', type: 'int32', dbType: 'INT', nullable: false })
    expect(t.schema.fields[1]!.nullable).toBe(true)
  })

  it("keeps mysql2's own values: decimal strings, Dates, parsed JSON, Buffers, nulls", async () => {
    const t = await shared.query(SELECT, { cache: false })
    const expected = await mysql2Rows(SELECT)
    expect(t.toArray()).toEqual(expected)
    const row = t.get(0)!
    expect(row.dc).toBe('12345678.90')
    expect(row.dtt).toEqual(new Date(2024, 1, 29, 13, 14, 15, 678))
    expect(row.js).toEqual({ a: [1, 2.5, 'x'], b: null, c: { d: true } })
    expect(row.bl).toEqual(Buffer.from([1, 2, 3, 4, 5]))
    expect(Object.values(t.get(1)!).slice(1)).toEqual(COLUMNS.map(() => null))
  })

  it('parses JSON each time a value is read, so changing one leaves the table as it was', async () => {
    const t = await shared.query('select js from every_type order by id', { cache: false })
    const column = t.getChild('js')!
    const value = column.get(0) as { a: unknown[] }
    expect(value).toEqual({ a: [1, 2.5, 'x'], b: null, c: { d: true } })
    value.a.push('changed')
    expect(column.get(0)).toEqual({ a: [1, 2.5, 'x'], b: null, c: { d: true } })
    expect(column.get(0)).not.toBe(column.get(0))
  })

  it('gives back the same table from a byte-encoding cache store', async () => {
    const cached = database.open({ cache: { store: new Map(), serialize: true } })
    try {
      const fresh = await cached.query(SELECT)
      const again = await cached.query(SELECT)
      expect(again).not.toBe(fresh)
      expect(again.toArray()).toEqual(fresh.toArray())
      expect(again.schema).toEqual(fresh.schema)
    } finally {
      await cached.close()
    }
  })

  it('converts to Arrow with an Arrow type per column, and reads back the same through IPC and streamArrow()', async () => {
    await expectArrowRoundTrip(shared, SELECT, {
      id: 'Int32',
      ...Object.fromEntries(COLUMNS.map(([name, , , , arrowType]) => [name, arrowType])),
    })
  })

  it("writes DECIMAL(p,s) as Decimal128 digit for digit with the server's text", async () => {
    const t = await shared.query('select dn, cast(dn as char) as text from every_type order by id', { cache: false })
    const col = t.toArrow().getChild('dn')!
    expect([...col].map((v) => (v === null ? null : decimalText(v as Uint32Array, 4)))).toEqual(
      t.getChild('text')!.toArray(),
    )
  })

  it('reads BIGINT as mysql2 does with supportBigNumbers and bigNumberStrings', async () => {
    await database.admin('create table big (v bigint unsigned, s bigint)')
    await database.admin('insert into big values (18446744073709551615, -9223372036854775808), (1, 2)')
    const options = { supportBigNumbers: true, bigNumberStrings: true }
    const conn = database.open(options)
    const t = await conn.query('select v, s from big order by v desc', { cache: false })
    expect(t.toArray()).toEqual(await mysql2Rows('select v, s from big order by v desc', options))
    expect(t.get(0)).toEqual({ v: '18446744073709551615', s: '-9223372036854775808' })
    await conn.close()
  })

  it('reads DECIMAL as numbers with decimalNumbers and dates as text with dateStrings', async () => {
    const options = { decimalNumbers: true, dateStrings: true }
    const conn = database.open(options)
    const sql = 'select dc, dt, dtt, ts from every_type order by id'
    const t = await conn.query(sql, { cache: false })
    expect(t.toArray()).toEqual(await mysql2Rows(sql, options))
    expect(t.get(0)).toMatchObject({ dc: 12345678.9, dt: '2024-02-29', dtt: '2024-02-29 13:14:15.678' })
    await conn.close()
  })

  it("builds Dates in the connection's timezone", async () => {
    const conn = database.open({ timezone: 'Z' })
    const t = await conn.query(
      "select dtt, cast('2024-01-01 00:00:00' as datetime) as midnight from every_type where id = 1",
      {
        cache: false,
      },
    )
    expect(t.get(0)).toEqual({
      dtt: new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 678)),
      midnight: new Date(Date.UTC(2024, 0, 1)),
    })
    await conn.close()
  })

  it('keeps JSON as text with jsonStrings', async () => {
    const conn = database.open({ jsonStrings: true })
    const t = await conn.query('select js from every_type where id = 1', { cache: false })
    expect(typeof t.get(0)!.js).toBe('string')
    expect(JSON.parse(t.get(0)!.js as string)).toEqual({ a: [1, 2.5, 'x'], b: null, c: { d: true } })
    await conn.close()
  })

  it('returns an empty table for a statement without rows', async () => {
    const t = await shared.query('update every_type set vc = vc where id = 0', { cache: false })
    expect(t.numRows).toBe(0)
    expect(t.numCols).toBe(0)
  })
})

describe('MySQL params', () => {
  let conn: ReturnType<typeof database.open>
  beforeAll(() => {
    conn = database.open()
  })
  afterAll(async () => {
    await conn.close()
  })

  it('binds ? params, escaped by mysql2', async () => {
    const t = await conn.query('select ? as s, ? as n, ? as d, ? as b', {
      params: ["it's \\ here", 42, new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), Buffer.from([1, 2])],
      cache: false,
    })
    expect(t.get(0)).toMatchObject({ s: "it's \\ here", n: 42, b: Buffer.from([1, 2]) })
  })

  it('binds :name params, skipping :words inside backslash-escaped string literals', async () => {
    const t = await conn.query("select 'it\\'s :not a param' as lit, :id as id, :name as name", {
      params: { id: 7, name: 'Ann' },
      cache: false,
    })
    expect(t.get(0)).toEqual({ lit: "it's :not a param", id: 7, name: 'Ann' })
  })

  it('expands an array param into a list, as mysql2 does', async () => {
    const t = await conn.query('select id from every_type where en in (:colors) order by id', {
      params: { colors: ['green', 'blue'] },
      cache: false,
    })
    expect(t.getChild('id')!.toArray()).toEqual([1])
  })

  it('reads rows chosen by a :name param from a table', async () => {
    const t = await conn.query('select id from every_type where id = :id or vc = :vc order by id', {
      params: { id: 2, vc: 'héllo ☃' },
      cache: false,
    })
    expect(t.getChild('id')!.toArray()).toEqual([1, 2])
  })
})
