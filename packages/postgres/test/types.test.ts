import type { LogicalType } from '@sqlconn/core'
import { decimalText, expectArrowRoundTrip } from '@sqlconn/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PostgresConnection } from '../src/index.js'
import { admin, open, TEST_URL, useSchema } from './helpers.js'

const schema = useSchema()

// column, PostgreSQL type, logical type, a value (SQL), Arrow type name
const COLUMNS: readonly (readonly [string, string, LogicalType, string, string])[] = [
  ['c_bool', 'boolean', 'bool', 'true', 'Bool'],
  ['c_int2', 'smallint', 'int16', '-32768', 'Int16'],
  ['c_int4', 'integer', 'int32', '2147483647', 'Int32'],
  ['c_int8', 'bigint', 'int64', '-9223372036854775808', 'Int64'],
  ['c_float4', 'real', 'float32', '1.5', 'Float32'],
  ['c_float8', 'double precision', 'float64', '-2.25e300', 'Float64'],
  ['c_numeric', 'numeric(30,10)', 'decimal', '-12345678901234567890.0123456789', 'Decimal[30e+10]'],
  ['c_numeric_any', 'numeric', 'decimal', '1e-20', 'Utf8'],
  ['c_text', 'text', 'utf8', `'héllo, wörld'`, 'Utf8'],
  ['c_varchar', 'varchar(10)', 'utf8', `'short'`, 'Utf8'],
  ['c_bytea', 'bytea', 'binary', `'\\x00ff10'`, 'Binary'],
  ['c_date', 'date', 'date', `'2024-02-29'`, 'Date64<MILLISECOND>'],
  ['c_timestamp', 'timestamp', 'timestamp', `'2024-02-29 13:14:15.123456'`, 'Timestamp<MILLISECOND>'],
  ['c_timestamptz', 'timestamptz', 'timestamptz', `'2024-02-29 13:14:15.5+05:30'`, 'Timestamp<MILLISECOND, UTC>'],
  ['c_time', 'time', 'time', `'13:14:15'`, 'Utf8'],
  ['c_interval', 'interval', 'interval', `'1 year 2 days 03:04:05'`, 'Utf8'],
  ['c_json', 'json', 'json', `'{"a": [1, 2, {"b": null}]}'`, 'Utf8'],
  ['c_jsonb', 'jsonb', 'json', `'{"big": 12345678901234567890, "s": "x"}'`, 'Utf8'],
  ['c_uuid', 'uuid', 'uuid', `'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'`, 'Utf8'],
  ['c_int_array', 'integer[]', 'list', `'{1,2,NULL}'`, 'Utf8'],
  ['c_text_array', 'text[]', 'list', `'{"a b",c}'`, 'Utf8'],
  ['c_ts_array', 'timestamptz[]', 'list', `'{"2024-01-01 00:00:00+00"}'`, 'Utf8'],
  ['c_mood', 'mood', 'utf8', `'happy'`, 'Utf8'],
  ['c_mood_array', 'mood[]', 'list', `'{sad,happy}'`, 'Utf8'],
]

const SELECT = `select id, ${COLUMNS.map((c) => c[0]).join(', ')} from everything order by id`
let conn: PostgresConnection
let raw: pg.Client

beforeAll(async () => {
  await admin(`
    set search_path = ${schema.name};
    create type mood as enum ('sad', 'happy');
    create table everything (id int primary key, ${COLUMNS.map((c) => `${c[0]} ${c[1]}`).join(', ')});
    insert into everything values (1, ${COLUMNS.map((c) => c[3]).join(', ')});
    insert into everything (id) values (2);
  `)
  conn = open(schema.name, { cache: { store: new Map(), serialize: true } })
  raw = new pg.Client({ connectionString: TEST_URL, options: `-c search_path=${schema.name}` })
  await raw.connect()
})

afterAll(async () => {
  await raw?.end()
  await conn?.close()
})

describe('PostgreSQL types', () => {
  it("gives every value exactly as pg's own rows do, nulls included", async () => {
    const expected = (await raw.query(SELECT)).rows
    const t = await conn.query(SELECT, { cache: false })
    expect(t.numRows).toBe(2)
    expect(t.toArray()).toStrictEqual(expected)
  })

  it('maps each column to its logical type with the PostgreSQL type name as dbType', async () => {
    const t = await conn.query(SELECT, { cache: false })
    const fields = Object.fromEntries(t.schema.fields.map((f) => [f.name, [f.type, f.dbType]]))
    expect(fields.id).toEqual(['int32', 'int4'])
    for (const [name, , logical] of COLUMNS) expect([name, fields[name]![0]]).toEqual([name, logical])
    expect(fields.c_int8![1]).toBe('int8')
    expect(fields.c_timestamptz![1]).toBe('timestamptz')
    expect(fields.c_text_array![1]).toBe('text[]')
    expect(fields.c_mood![1]).toBe('mood')
    expect(fields.c_mood_array![1]).toBe('mood[]')
  })

  it('comes back from a byte-encoding cache with the same values and schema', async () => {
    const fresh = await conn.query(SELECT)
    const cached = await conn.query(SELECT)
    expect(cached).not.toBe(fresh)
    expect(cached.schema).toEqual(fresh.schema)
    // toEqual, not toStrictEqual: core's byte codec (v8 serialize) brings pg's PostgresInterval back
    // as a plain object with the same fields; every other value keeps its class.
    expect(cached.toArray()).toEqual(fresh.toArray())
    const { c_interval, ...rest } = cached.get(0)!
    const { c_interval: _, ...freshRest } = fresh.get(0)!
    expect(rest).toStrictEqual(freshRest)
  })

  it('converts each column to its Arrow type, and reads back the same through IPC and streamArrow()', async () => {
    await expectArrowRoundTrip(conn, SELECT, {
      id: 'Int32',
      ...Object.fromEntries(COLUMNS.map(([name, , , , arrowType]) => [name, arrowType])),
    })
  })

  it('writes numeric(p,s) as Decimal128 digit for digit with numeric::text', async () => {
    const t = await conn.query('select c_numeric, c_numeric::text as text from everything order by id', {
      cache: false,
    })
    const col = t.toArrow().getChild('c_numeric')!
    expect([...col].map((v) => (v === null ? null : decimalText(v as Uint32Array, 10)))).toEqual(
      t.getChild('text')!.toArray(),
    )
  })
})

describe('PostgreSQL dates and timestamps', () => {
  // Each value as pg reads it: zone-less values in the process's local time, infinity as a number.
  const VALUES = [
    `'2024-03-31 02:30:00'::timestamp`,
    `'1999-12-31 23:59:59.999999'::timestamp`,
    `'0050-06-01 12:00:00'::timestamp`,
    `'0044-03-15 12:00:00 BC'::timestamp`,
    `'infinity'::timestamp`,
    `'-infinity'::timestamptz`,
    `'2024-10-27 01:30:00.291+00'::timestamptz`,
    `'1900-01-01 00:00:00+05:53:28'::timestamptz`,
    `'2024-03-31'::date`,
    `'0099-12-31'::date`,
    `'infinity'::date`,
    `'10000-01-01'::date`,
  ]
  const sqlText = `select ${VALUES.map((v, i) => `${v} as v${i}`).join(', ')}`

  for (const tz of ['UTC', 'Europe/Berlin', 'America/Sao_Paulo', 'Asia/Kolkata']) {
    it(`reads them exactly as pg does with the process in ${tz}`, async () => {
      const saved = process.env.TZ
      process.env.TZ = tz
      try {
        const expected = (await raw.query(sqlText)).rows[0]
        const t = await conn.query(sqlText, { cache: false })
        expect(t.get(0)).toStrictEqual(expected)
      } finally {
        if (saved === undefined) delete process.env.TZ
        else process.env.TZ = saved
      }
    })
  }

  it('reads timestamptz exactly as pg does whatever the session time zone', async () => {
    const zoned = open(schema.name, { options: `-c search_path=${schema.name} -c TimeZone=Asia/Kathmandu` })
    const other = new pg.Client({ connectionString: TEST_URL, options: '-c TimeZone=Asia/Kathmandu' })
    await other.connect()
    try {
      const q = `select now() as now, '2001-02-03 04:05:06.789+01'::timestamptz as t, g as n
                 from generate_series(1, 3) g`
      const expected = (await other.query(q)).rows.map((r) => ({ ...r, now: undefined }))
      const t = await zoned.query(q, { cache: false })
      expect(t.toArray().map((r) => ({ ...r, now: undefined }))).toStrictEqual(expected)
    } finally {
      await other.end()
      await zoned.close()
    }
  })
})

describe('integer columns', () => {
  it('reads int2, int4 and oid values at their limits exactly as pg does', async () => {
    const q = `select v::int2 as i2, w::int4 as i4, o::oid as o
                 from (values (-32768, -2147483648, 0), (32767, 2147483647, 4294967295), (0, -7, 12),
                              (null, null, null)) as t(v, w, o)`
    const expected = (await raw.query(q)).rows
    const t = await conn.query(q, { cache: false })
    expect(t.toArray()).toStrictEqual(expected)
    expect(expected[1]).toEqual({ i2: 32767, i4: 2147483647, o: 4294967295 })
  })

  it('reads int4 with a parser set through pg.types.setTypeParser', async () => {
    const before = pg.types.getTypeParser(23)
    pg.types.setTypeParser(23, (s: string) => `int:${s}`)
    try {
      const t = await conn.query('select 42::int4 as n', { cache: false })
      expect(t.get(0)).toEqual({ n: 'int:42' })
    } finally {
      pg.types.setTypeParser(23, before)
    }
  })
})

describe('user-configured pg type parsers', () => {
  it('reads int8 and timestamps with parsers set through pg.types.setTypeParser', async () => {
    const before8 = pg.types.getTypeParser(20)
    const beforeTs = pg.types.getTypeParser(1114)
    pg.types.setTypeParser(20, BigInt)
    pg.types.setTypeParser(1114, (s: string) => `ts:${s}`)
    try {
      const t = await conn.query(`select 9007199254740993::int8 as n, '2024-01-02 03:04:05'::timestamp as at`, {
        cache: false,
      })
      expect(t.get(0)).toEqual({ n: 9007199254740993n, at: 'ts:2024-01-02 03:04:05' })
      expect(t.schema.fields.map((f) => f.type)).toEqual(['int64', 'timestamp'])
    } finally {
      pg.types.setTypeParser(20, before8)
      pg.types.setTypeParser(1114, beforeTs)
    }
  })

  it('uses the types option of the pool, like pg', async () => {
    const types = new (
      pg as unknown as {
        TypeOverrides: new () => pg.CustomTypesConfig & { setTypeParser: typeof pg.types.setTypeParser }
      }
    ).TypeOverrides()
    types.setTypeParser(1700, Number.parseFloat)
    types.setTypeParser(3802, (s: string) => ({ text: s }))
    const custom = open(schema.name, { types })
    try {
      const t = await custom.query(`select 1.25::numeric as d, '{"a":1}'::jsonb as j, 7::int8 as n`, { cache: false })
      expect(t.get(0)).toEqual({ d: 1.25, j: { text: '{"a": 1}' }, n: '7' })
    } finally {
      await custom.close()
    }
  })
})
