import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { ConfigError, connection, QueryError } from '@sqlconn/core'
import { expectArrowRoundTrip, recordEvents, until } from '@sqlconn/core/testing'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { DuckDBConnection, DuckDBLockError, pathFromUrl } from '../src/index.js'
import { lockInAnotherProcess, useSandbox } from './helpers.js'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** One row of every DuckDB type the adapter maps, and a row of nulls. */
const EVERY_TYPE = `
  select * from (values
    (1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT,
     170141183460469231731687303715884105727::HUGEINT, 340282366920938463463374607431768211455::UHUGEINT,
     5::UTINYINT, 6::USMALLINT, 7::UINTEGER, 18446744073709551615::UBIGINT,
     12.50::DECIMAL(10,2), 1234567890123456789012345678.1234567890::DECIMAL(38,10), 1.5::DOUBLE, 2.5::FLOAT,
     'hé'::VARCHAR, '\\xAA\\xBB'::BLOB, true, DATE '2024-03-05', TIME '10:11:12.345678',
     TIMESTAMP '2024-03-05 06:07:08.123456', TIMESTAMP_S '2024-03-05 06:07:08', TIMESTAMP_MS '2024-03-05 06:07:08.123',
     TIMESTAMP_NS '2024-03-05 06:07:08.123456789', TIMESTAMPTZ '2024-03-05 06:07:08.123456+00',
     INTERVAL '1 month 2 days 3 seconds', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, 'b'::ENUM('a', 'b'),
     [1, 2, NULL], {'a': 1, 'b': 'x'}, MAP {'k': 1.5}, '{"a":[1,2]}'::JSON),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
  ) t(i8, i16, i32, i64, h, uh, u8, u16, u32, u64, d, d38, f64, f32, s, b, bo, dt, t, ts, ts_s, ts_ms, ts_ns, tstz,
      iv, u, e, l, st, m, j)`

const AT_MS = Date.parse('2024-03-05T06:07:08.123Z')

describe('DuckDB types through query()', () => {
  useSandbox()

  it('gives each column its logical type, DuckDB type name, decimal precision and timestamp unit', async () => {
    const conn = new DuckDBConnection('types')
    const t = await conn.query(EVERY_TYPE, { cache: false })
    const shape = Object.fromEntries(
      t.schema.fields.map((f) => [
        f.name,
        [f.type, f.dbType, f.precision, f.scale, f.unit].filter((x) => x !== undefined),
      ]),
    )
    expect(shape).toEqual({
      i8: ['int8', 'TINYINT'],
      i16: ['int16', 'SMALLINT'],
      i32: ['int32', 'INTEGER'],
      i64: ['int64', 'BIGINT'],
      h: ['decimal', 'HUGEINT', 38, 0],
      uh: ['decimal', 'UHUGEINT', 38, 0],
      u8: ['uint8', 'UTINYINT'],
      u16: ['uint16', 'USMALLINT'],
      u32: ['uint32', 'UINTEGER'],
      u64: ['uint64', 'UBIGINT'],
      d: ['decimal', 'DECIMAL(10,2)', 10, 2],
      d38: ['decimal', 'DECIMAL(38,10)', 38, 10],
      f64: ['float64', 'DOUBLE'],
      f32: ['float32', 'FLOAT'],
      s: ['utf8', 'VARCHAR'],
      b: ['binary', 'BLOB'],
      bo: ['bool', 'BOOLEAN'],
      dt: ['date', 'DATE'],
      t: ['time', 'TIME', 'us'],
      ts: ['timestamp', 'TIMESTAMP', 'us'],
      ts_s: ['timestamp', 'TIMESTAMP_S', 's'],
      ts_ms: ['timestamp', 'TIMESTAMP_MS', 'ms'],
      ts_ns: ['timestamp', 'TIMESTAMP_NS', 'ns'],
      tstz: ['timestamptz', 'TIMESTAMP WITH TIME ZONE', 'us'],
      iv: ['interval', 'INTERVAL', 'us'],
      u: ['uuid', 'UUID'],
      e: ['utf8', "ENUM('a', 'b')"],
      l: ['list', 'INTEGER[]'],
      st: ['struct', 'STRUCT("a" INTEGER, "b" VARCHAR)'],
      m: ['map', 'MAP(VARCHAR, DECIMAL(2,1))'],
      j: ['json', 'JSON'],
    })
    expect(t.schema.fields.find((f) => f.name === 'st')!.children!.map((c) => [c.name, c.type])).toEqual([
      ['a', 'int32'],
      ['b', 'utf8'],
    ])
    await conn.close()
  })

  it("reads @duckdb/node-api's JS values, with decimals and times as exact text", async () => {
    const conn = new DuckDBConnection('types')
    const t = await conn.query(EVERY_TYPE, { cache: false })
    expect(t.get(0)).toEqual({
      i8: 1,
      i16: 2,
      i32: 3,
      i64: 4n,
      h: 170141183460469231731687303715884105727n,
      uh: 340282366920938463463374607431768211455n,
      u8: 5,
      u16: 6,
      u32: 7,
      u64: 18446744073709551615n,
      d: '12.50',
      d38: '1234567890123456789012345678.1234567890',
      f64: 1.5,
      f32: 2.5,
      s: 'hé',
      b: Buffer.from([0xaa, 0xbb]),
      bo: true,
      dt: new Date('2024-03-05T00:00:00Z'),
      t: '10:11:12.345678',
      ts: new Date(AT_MS),
      ts_s: new Date(AT_MS - 123),
      ts_ms: new Date(AT_MS),
      ts_ns: new Date(AT_MS),
      tstz: new Date(AT_MS),
      iv: { months: 1, days: 2, micros: 3_000_000n },
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      e: 'b',
      l: [1, 2, null],
      st: { a: 1, b: 'x' },
      m: [{ key: 'k', value: '1.5' }],
      j: '{"a":[1,2]}',
    })
    expect(Object.values(t.get(1)!).every((v) => v === null)).toBe(true)
    await conn.close()
  })

  it('maps every type to its Arrow type, through toArrow(), IPC bytes and streamArrow()', async () => {
    const conn = new DuckDBConnection('types')
    // Columns whose values Arrow holds as numbers or text, compared value for value by the suite.
    await expectArrowRoundTrip(
      conn,
      `select i8, i16, i32, i64, u8, u16, u32, u64, d, d38, f64, f32, s, b, bo, dt, t, ts, ts_s, ts_ms, ts_ns, tstz, iv, u, e, j from (${EVERY_TYPE})`,
      {
        i8: 'Int8',
        i16: 'Int16',
        i32: 'Int32',
        i64: 'Int64',
        u8: 'Uint8',
        u16: 'Uint16',
        u32: 'Uint32',
        u64: 'Uint64',
        d: 'Decimal[10e+2]',
        d38: 'Decimal[38e+10]',
        f64: 'Float64',
        f32: 'Float32',
        s: 'Utf8',
        b: 'Binary',
        bo: 'Bool',
        dt: 'Date64<MILLISECOND>',
        t: 'Time64<MICROSECOND>',
        ts: 'Timestamp<MICROSECOND>',
        ts_s: 'Timestamp<SECOND>',
        ts_ms: 'Timestamp<MILLISECOND>',
        ts_ns: 'Timestamp<NANOSECOND>',
        tstz: 'Timestamp<MICROSECOND, UTC>',
        iv: 'Interval<MONTH_DAY_NANO>',
        u: 'Utf8',
        e: 'Utf8',
        j: 'Utf8',
      },
    )
    await conn.close()
  })

  it('exports HUGEINT as Decimal128(38, 0) as DuckDB does, and LIST, STRUCT and MAP as nested Arrow types', async () => {
    const conn = new DuckDBConnection('types')
    const t = await conn.query(
      `select 123456789012345678901234567890::HUGEINT h, [1, 2, NULL] l, {'a': 1, 'b': 'x'} st, MAP {'k': 1.5} m`,
      { cache: false },
    )
    const a = t.toArrow()
    expect(a.schema.fields.map((f) => String(f.type))).toEqual([
      'Decimal[38e0]',
      'List<Int32>',
      'Struct<{a:Int32, b:Utf8}>',
      'Map<{key:Utf8, value:Utf8}>',
    ])
    expect([...a.getChild('l')!.get(0)!]).toEqual([1, 2, null])
    expect(a.getChild('st')!.get(0)!.toJSON()).toEqual({ a: 1, b: 'x' })
    expect(a.getChild('m')!.get(0)!.toJSON()).toEqual({ k: '1.5' })
    await conn.close()
  })

  it('gives back every type identical from the memory cache and from Redis', async () => {
    const memory = new DuckDBConnection('types')
    const redis = new DuckDBConnection('types', {
      cache: { url: REDIS_URL, namespace: `sqlconn-duckdb-${process.pid}-${Date.now()}` },
    })
    for (const conn of [memory, redis]) {
      const fresh = await conn.query(EVERY_TYPE, { ttl: 60 })
      const cached = await conn.query(EVERY_TYPE, { ttl: 60 })
      expect(cached.schema).toEqual(fresh.schema)
      expect(cached.toArray()).toEqual(fresh.toArray())
      await conn.close()
    }
  })

  it('reads DECIMALs of every width as the exact text node-api writes', async () => {
    const conn = new DuckDBConnection('decimals')
    const values = ['0', '-0.05', '12.5', '-12.5', '99.99', '-99.99', '0.01', null]
    const sqlText = `select v::DECIMAL(4,2) as d4, v::DECIMAL(9,3) as d9, v::DECIMAL(18,2) as d18,
                            v::DECIMAL(18,2) * 10000000000000000 as d38, (v::DOUBLE * 1e13)::DECIMAL(18,2) as big18
                       from (values ${values.map((v) => (v === null ? '(NULL)' : `('${v}')`)).join(', ')}) t(v)`
    const mine = (await conn.query(sqlText, { cache: false })).toArray()
    const raw = await (await conn.raw.instance()).connect()
    const theirs = (await raw.runAndReadAll(sqlText)).getRowObjects()
    const asText = (r: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)]))
    expect(mine).toEqual(theirs.map(asText))
    expect(mine[1]).toMatchObject({ d4: '-0.05', d9: '-0.050' })
    raw.closeSync()
    await conn.close()
  })

  it('reads timestamps before 1970 and on a millisecond boundary as the Dates node-api gives', async () => {
    const conn = new DuckDBConnection('dates')
    const sqlText = `select TIMESTAMP '1969-12-31 23:59:59.999999' as before, TIMESTAMP '2024-03-05 06:07:08.123' as exact,
                            TIMESTAMPTZ '1900-01-01 00:00:00.0005+00' as old, DATE '1950-06-01' as d`
    const t = await conn.query(sqlText, { cache: false })
    const raw = await (await conn.raw.instance()).connect()
    expect(t.get(0)).toEqual((await raw.runAndReadAll(sqlText)).getRowObjectsJS()[0])
    raw.closeSync()
    await conn.close()
  })

  it("reads thousands of rows of every fixed-width type, text and bytes, nulls included, as node-api's JS values", async () => {
    const conn = new DuckDBConnection('columns')
    // Several of DuckDB's 2048-row chunks; nulls at irregular rows; strings and blobs on both sides
    // of DuckDB's 12-byte inline limit, some not ASCII.
    const sqlText = `select case when range % 7 = 3 then null else (range % 100 - 50)::TINYINT end as i8,
        case when range % 5 = 1 then null else (range * 3 - 7000)::SMALLINT end as i16,
        case when range % 11 = 0 then null else (range * 7919 - 10000)::INTEGER end as i32,
        case when range % 13 = 2 then null else (range * 1000003 - 3)::BIGINT end as i64,
        (range % 200)::UTINYINT as u8, (range * 9)::USMALLINT as u16, (range * 70001)::UINTEGER as u32,
        (range * 1000000007)::UBIGINT as u64,
        case when range % 3 = 0 then null else range / 7.0 end as f64, (range / 3.0)::FLOAT as f32,
        case when range % 9 = 4 then null else range % 2 = 0 end as b,
        case when range % 6 = 5 then null else repeat('é', (range % 9)::INTEGER) || range end as s,
        case when range % 8 = 7 then null else ('blob-' || repeat('x', (range % 15)::INTEGER))::BLOB end as bytes,
        case when range % 10 = 9 then null else TIMESTAMP '2020-01-01' + to_seconds(range * 61) end as ts
      from range(5000)`
    const raw = await (await conn.raw.instance()).connect()
    const theirs = (await raw.runAndReadAll(sqlText)).getRowObjectsJS()
    const asBuffers = (r: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v) : v]))
    const mine = (await conn.query(sqlText, { cache: false })).toArray()
    expect(mine.length).toBe(5000)
    expect(mine).toEqual(theirs.map(asBuffers))
    // Streamed in chunks that start and end inside DuckDB's chunks.
    const streamed: unknown[] = []
    for await (const chunk of conn.stream(sqlText, { chunkSize: 777 })) streamed.push(...chunk.toArray())
    expect(streamed).toEqual(mine)
    raw.closeSync()
    await conn.close()
  })

  it('runs the same SQL again with other parameters, after its table changed, and among many others', async () => {
    // One pooled connection: every run of a SQL text after the first reuses its prepared statement.
    const conn = new DuckDBConnection('statements', { max: 1 })
    const opts = { cache: false } as const
    await conn.query('create table t as select range as n from range(10)', opts)
    const count = 'select count(*)::INTEGER as c from t where n < $1'
    expect((await conn.query(count, { ...opts, params: [3] })).get(0)).toEqual({ c: 3 })
    expect((await conn.query(count, { ...opts, params: [7] })).get(0)).toEqual({ c: 7 })
    const all = 'select * from t order by 1 limit 2'
    expect((await conn.query(all, opts)).toArray()).toEqual([{ n: 0n }, { n: 1n }])
    await conn.query('drop table t', opts)
    await conn.query("create table t as select 'x' || range as n, range::INTEGER as m from range(4)", opts)
    // The kept statement sees the new table, columns and types.
    expect((await conn.query(all, opts)).toArray()).toEqual([
      { n: 'x0', m: 0 },
      { n: 'x1', m: 1 },
    ])
    await expect(conn.query('select * from missing_table', opts)).rejects.toThrow(/missing_table/)
    // More distinct statements than one connection keeps: the first, run again, is prepared afresh.
    for (let i = 0; i < 40; i++) expect((await conn.query(`select ${i} as i`, opts)).get(0)).toEqual({ i })
    expect((await conn.query(count, { ...opts, params: ['x2'] })).get(0)).toEqual({ c: 2 })
    await conn.close()
  })

  it('streams a result in chunks across DuckDB data chunks, with the same schema in each', async () => {
    const conn = new DuckDBConnection('stream')
    const sizes: number[] = []
    let sum = 0n
    for await (const chunk of conn.stream('select range as n, range::DECIMAL(10,2) as d from range(5000)', {
      chunkSize: 1500,
    })) {
      sizes.push(chunk.numRows)
      expect(chunk.schema.fields.map((f) => [f.type, f.precision])).toEqual([
        ['int64', undefined],
        ['decimal', 10],
      ])
      for (const n of chunk.getChild('n')!) sum += n as bigint
    }
    expect(sizes).toEqual([1500, 1500, 1500, 500])
    expect(sum).toBe(12497500n)
    await conn.close()
  })
})

/**
 * Times, timestamps and intervals at every precision DuckDB keeps: microseconds after 2300 (past what
 * a double holds exactly) and before 1970, nanoseconds, negative intervals, and nulls.
 */
const TEMPORAL = `
  select * from (values
    (1, TIME '10:00:00.123456', '10:00:00.123456789'::TIME_NS, TIMESTAMP '2345-06-07 08:09:10.123456',
     TIMESTAMP_NS '2024-03-05 06:07:08.123456789', TIMESTAMPTZ '2024-03-05 06:07:08.000001+00',
     INTERVAL '1 month 2 days 3.000004 seconds'),
    (2, TIME '00:00:00', '23:59:59.999999999'::TIME_NS, TIMESTAMP '1969-12-31 23:59:59.999999',
     TIMESTAMP_NS '1960-01-02 03:04:05.123456789', TIMESTAMPTZ '1900-01-01 00:00:00.0005+00',
     INTERVAL '-14 months -3 days -00:00:00.000001'),
    (3, TIME '23:59:59.999999', '00:00:00.000000001'::TIME_NS, TIMESTAMP '1677-09-22 00:00:00.000001',
     TIMESTAMP_NS '2200-01-01 00:00:00.000000001', TIMESTAMPTZ '2999-12-31 23:59:59.999999+00',
     INTERVAL '1000 years 0.5 seconds'),
    (4, NULL, NULL, NULL, NULL, NULL, NULL)
  ) v(id, t, tn, ts, tsn, tstz, iv) order by id`

/** Arrow's raw values of a column: the integers of a timestamp or time, the words of an interval as [months, days, nanos]. */
function rawArrow(table: import('apache-arrow').Table, name: string): unknown[] {
  const col = table.getChild(name)!
  const out: unknown[] = []
  for (const data of col.data) {
    for (let i = 0; i < data.length; i++) {
      if (!data.getValid(i)) out.push(null)
      else if (data.values instanceof Int32Array) {
        const at = (data.offset + i) * 4
        out.push([
          data.values[at],
          data.values[at + 1],
          new BigInt64Array(data.values.buffer, data.values.byteOffset + (at + 2) * 4, 1)[0],
        ])
      } else out.push((data.values as BigInt64Array)[data.offset + i])
    }
  }
  return out
}

describe('DuckDB times, timestamps and intervals at full precision', () => {
  useSandbox()

  /** DuckDB's own integers for TEMPORAL, read with node-api's value objects. */
  async function truth(conn: DuckDBConnection): Promise<Record<string, unknown[]>> {
    const raw = await (await conn.raw.instance()).connect()
    const reader = await raw.runAndReadAll(TEMPORAL)
    const out: Record<string, unknown[]> = {}
    reader.columnNames().forEach((name, j) => {
      out[name] = reader.getColumns()[j]!.map((v) => {
        if (v === null || typeof v !== 'object') return v
        const x = v as { micros?: bigint; nanos?: bigint; months?: number; days?: number }
        return x.months !== undefined ? [x.months, x.days, x.micros! * 1000n] : (x.micros ?? x.nanos)
      })
    })
    raw.closeSync()
    return out
  }

  it("reads TIME as text, TIMESTAMP as Dates and INTERVAL as objects, as node-api's values", async () => {
    const conn = new DuckDBConnection('temporal')
    const t = await conn.query(TEMPORAL, { cache: false })
    expect(t.toArray().slice(0, 2)).toEqual([
      {
        id: 1,
        t: '10:00:00.123456',
        tn: '10:00:00.123456789',
        ts: new Date('2345-06-07T08:09:10.123Z'),
        tsn: new Date('2024-03-05T06:07:08.123Z'),
        tstz: new Date('2024-03-05T06:07:08.000Z'),
        iv: { months: 1, days: 2, micros: 3_000_004n },
      },
      {
        id: 2,
        t: '00:00:00',
        tn: '23:59:59.999999999',
        ts: new Date(0),
        tsn: new Date('1960-01-02T03:04:05.124Z'),
        // Truncated toward zero, as node-api's Dates are: 0.5 ms before a negative millisecond is the later one.
        tstz: new Date('1900-01-01T00:00:00.001Z'),
        iv: { months: -14, days: -3, micros: -1n },
      },
    ])
    const raw = await (await conn.raw.instance()).connect()
    const theirs = (await raw.runAndReadAll(TEMPORAL)).getRowObjects()
    // Every value as node-api gives it: its JS conversion's Dates, its value objects' text for times.
    const js = (await raw.runAndReadAll(TEMPORAL)).getRowObjectsJS()
    expect(t.toArray()).toEqual(
      theirs.map((r, i) => ({
        ...js[i],
        t: r.t === null ? null : String(r.t),
        tn: r.tn === null ? null : String(r.tn),
      })),
    )
    raw.closeSync()
    await conn.close()
  })

  it('exports them to Arrow as Time64, Timestamp and Interval(MONTH_DAY_NANO) with every digit DuckDB keeps', async () => {
    const a = await import('apache-arrow')
    const conn = new DuckDBConnection('temporal')
    const expected = await truth(conn)
    const t = await conn.query(TEMPORAL, { cache: false })
    for (const read of [
      t.toArrow(),
      a.tableFromIPC(t.toArrowIPC()),
      a.tableFromIPC(t.toArrowIPC({ format: 'file' })),
    ]) {
      expect(read.schema.fields.map((f) => String(f.type))).toEqual([
        'Int32',
        'Time64<MICROSECOND>',
        'Time64<NANOSECOND>',
        'Timestamp<MICROSECOND>',
        'Timestamp<NANOSECOND>',
        'Timestamp<MICROSECOND, UTC>',
        'Interval<MONTH_DAY_NANO>',
      ])
      for (const name of ['t', 'tn', 'ts', 'tsn', 'tstz', 'iv'])
        expect(rawArrow(read, name), name).toEqual(expected[name])
    }
    await conn.close()
  })

  it('streams them to Arrow in batches of one schema, every digit intact', async () => {
    const a = await import('apache-arrow')
    const conn = new DuckDBConnection('temporal')
    const expected = await truth(conn)
    const batches = []
    for await (const batch of conn.streamArrow(TEMPORAL, { batchSize: 3 })) batches.push(batch)
    expect(batches.length).toBe(2)
    expect(String(batches[1]!.schema.fields.map((f) => f.type))).toBe(
      String(batches[0]!.schema.fields.map((f) => f.type)),
    )
    const streamed = new a.Table(batches)
    for (const name of ['t', 'tn', 'ts', 'tsn', 'tstz', 'iv'])
      expect(rawArrow(streamed, name), name).toEqual(expected[name])
    await conn.close()
  })

  it('gives back the same values and the same Arrow bytes from the memory cache and from Redis', async () => {
    const memory = new DuckDBConnection('temporal')
    const redis = new DuckDBConnection('temporal', {
      cache: { url: REDIS_URL, namespace: `sqlconn-duckdb-temporal-${process.pid}-${Date.now()}` },
    })
    for (const conn of [memory, redis]) {
      const fresh = await conn.query(TEMPORAL, { ttl: 60 })
      const cached = await conn.query(TEMPORAL, { ttl: 60 })
      expect(cached.schema).toEqual(fresh.schema)
      expect(cached.toArray()).toEqual(fresh.toArray())
      expect(Buffer.from(cached.toArrowIPC()).equals(Buffer.from(fresh.toArrowIPC()))).toBe(true)
      await conn.close()
    }
  })

  it('reads thousands of timestamps and times across data chunks, nulls included, exactly', async () => {
    const conn = new DuckDBConnection('temporal')
    const sqlText = `select case when range % 7 = 3 then null else TIMESTAMP '1900-01-01' + to_microseconds(range * 123456789013) end as ts,
        case when range % 5 = 1 then null else make_timestamp_ns(946684800000000000 + range * 987654321123) end as tsn,
        case when range % 3 = 0 then null else TIME '00:00:00' + to_microseconds(range * 17280001) end as t
      from range(5000)`
    const t = await conn.query(sqlText, { cache: false })
    const check = await conn.query(
      `select epoch_us(ts) as ts, epoch_ns(tsn) as tsn, epoch_us(t) as t from (${sqlText})`,
      { cache: false },
    )
    const read = t.toArrow()
    for (const name of ['ts', 'tsn', 't']) expect(rawArrow(read, name), name).toEqual(check.getChild(name)!.toArray())
    const raw = await (await conn.raw.instance()).connect()
    const js = (await raw.runAndReadAll(sqlText)).getRowObjectsJS()
    expect(t.toArray().map((r) => [r.ts, r.tsn])).toEqual(js.map((r) => [r.ts, r.tsn]))
    // Times as the text of node-api's own DuckDBTimeValue.
    const values = (await raw.runAndReadAll(sqlText)).getRowObjects()
    expect(t.getChild('t')!.toArray()).toEqual(values.map((r) => (r.t === null ? null : String(r.t))))
    raw.closeSync()
    await conn.close()
  })
})

describe('options, URLs and precedence', () => {
  const box = useSandbox()

  it('reads duckdb:///relative, duckdb://// absolute and duckdb:///:memory: URLs', () => {
    expect(pathFromUrl('duckdb:///data/app.duckdb', '/srv')).toBe('/srv/data/app.duckdb')
    expect(pathFromUrl('duckdb:////var/app.duckdb')).toBe('/var/app.duckdb')
    expect(pathFromUrl('duckdb:///:memory:')).toBe(':memory:')
    expect(pathFromUrl('duckdb://')).toBe(':memory:')
  })

  it('opens :memory: by default, and a relative path in the working directory', async () => {
    const memory = new DuckDBConnection('m')
    expect(memory.config.get('path')).toBe(':memory:')
    const file = new DuckDBConnection('f', { path: 'local.duckdb' })
    await file.query('create table t (x integer)', { cache: false })
    expect(file.config.get('path')).toBe(path.join(box.dir(), 'project', 'local.duckdb'))
    expect(existsSync(path.join(box.dir(), 'project', 'local.duckdb'))).toBe(true)
    await Promise.all([memory.close(), file.close()])
  })

  it('refuses MotherDuck databases, saying they are out of scope', () => {
    expect(() => new DuckDBConnection('md', { path: 'md:my_db' }).config).toThrow(/MotherDuck.*out of its scope/)
    expect(() => new DuckDBConnection('md', { url: 'duckdb:///md:my_db' }).config).toThrow(ConfigError)
  })

  it('passes DuckDB settings, as DuckDB names them, to DuckDBInstance.create', async () => {
    const conn = new DuckDBConnection('settings', { threads: 2, memory_limit: '512MB', default_order: 'DESC' })
    const t = await conn.query(
      `select current_setting('threads') as threads, current_setting('memory_limit') as memory_limit,
              current_setting('default_order') as default_order`,
      { cache: false },
    )
    expect(t.get(0)).toEqual({ threads: 2n, memory_limit: '488.2 MiB', default_order: 'DESC' })
    expect(conn.raw.options).toEqual({ threads: '2', memory_limit: '512MB', default_order: 'DESC' })
    await conn.close()
  })

  it('suggests the DuckDB setting meant by a misspelled option', () => {
    expect(() => new DuckDBConnection('typo', { memory_limt: '1GB' }).config).toThrow(/memory_limit/)
  })

  it('takes code over secrets over DATABASE_URL, and shows where each value came from', async () => {
    box.write('project/.sqlconn/secrets.toml', '[connections.shop]\ntype = "duckdb"\npath = "from-secrets.duckdb"\n')
    process.env.DATABASE_URL = 'duckdb:///from-env.duckdb'
    const fromSecrets = await connection('shop')
    expect(fromSecrets.config.get('path')).toBe(path.join(box.dir(), 'project', 'from-secrets.duckdb'))
    expect(fromSecrets.config.source('path')).toMatch(/secrets/)
    const fromCode = await connection('shop', { path: 'from-code.duckdb' })
    expect(fromCode.config.get('path')).toBe(path.join(box.dir(), 'project', 'from-code.duckdb'))
    expect(fromCode.config.source('path')).toBe('kwargs')
    const fromEnv = await connection('env', { type: 'duckdb' })
    expect(fromEnv.config.get('path')).toBe(path.join(box.dir(), 'project', 'from-env.duckdb'))
    expect(fromEnv.config.source('path')).toBe('env DATABASE_URL (url)')
  })

  it('ignores a DATABASE_URL of another database', async () => {
    process.env.DATABASE_URL = 'postgres://u@127.0.0.1/db'
    const conn = await connection('other', { type: 'duckdb' })
    expect(conn.config.get('path')).toBe(':memory:')
  })
})

describe('files, concurrency and Kysely', () => {
  useSandbox()

  it('queries a Parquet file and a CSV file written with COPY, in place', async () => {
    const conn = new DuckDBConnection('files')
    mkdirSync('data')
    await conn.query(
      `copy (select range as id, 'item ' || range as name, (range * 1.25)::DECIMAL(10,2) as total from range(1000))
         to 'data/sales.parquet' (format parquet)`,
      { cache: false },
    )
    await conn.query(`copy (select * from 'data/sales.parquet' where id < 10) to 'data/sales.csv' (header)`, {
      cache: false,
    })
    const parquet = await conn.query(`select count(*) as n, sum(total) as total from 'data/sales.parquet'`)
    expect(parquet.get(0)).toEqual({ n: 1000n, total: '624375.00' })
    const csv = await conn.query(`select name from read_csv('data/sales.csv') where id = :id`, { params: { id: 3 } })
    expect(csv.toArray()).toEqual([{ name: 'item 3' }])
    await conn.close()
  })

  it('runs 20 concurrent queries side by side on the pool, each with its own answer', async () => {
    const conn = new DuckDBConnection('concurrent', { max: 4 })
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        conn.query('select :i as i, count(*) as n from range(2000000) where range % 7 = 0', {
          params: { i },
          cache: false,
        }),
      ),
    )
    expect(results.map((t) => Number(t.get(0)!.i))).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(results.every((t) => t.get(0)!.n === 285715n)).toBe(true)
    // Four DuckDBConnections were opened: the queries ran side by side, not one after another.
    expect(conn.raw.connections.length).toBe(4)
    await conn.close()
  })

  it('shares one DuckDB instance between connections to the same file instead of failing on its lock', async () => {
    const a = new DuckDBConnection('a', { path: 'shared.duckdb' })
    const b = new DuckDBConnection('b', { path: 'shared.duckdb' })
    await a.query('create table t (x integer)', { cache: false })
    await a.db
      .insertInto('t' as never)
      .values({ x: 1 } as never)
      .execute()
    expect((await b.query('select x from t', { cache: false })).toArray()).toEqual([{ x: 1 }])
    expect(await a.raw.instance()).toBeDefined()
    await Promise.all([a.close(), b.close()])
  })

  it('writes through conn.db in a transaction that query() sees once committed', async () => {
    const conn = new DuckDBConnection('kysely', { path: 'k.duckdb' })
    await conn.query('create table orders (id integer primary key, total decimal(10,2))', { cache: false })
    await conn.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('orders' as never)
        .values([
          { id: 1, total: '12.50' },
          { id: 2, total: '99.00' },
        ] as never)
        .executeTakeFirst()
      expect(inserted.numInsertedOrUpdatedRows).toBe(2n)
    })
    const returned = await conn.db
      .updateTable('orders' as never)
      .set({ total: '13.00' } as never)
      .where('id' as never, '=', 1 as never)
      .returning(['id', 'total'] as never)
      .execute()
    expect(returned).toEqual([{ id: 1, total: '13.00' }])
    const t = await conn.query(sql`select sum(total) as total from orders where id > ${0}`, { cache: false })
    expect(t.get(0)).toEqual({ total: '112.00' })
    await conn.close()
  })

  it('binds positional ($1 and ?) params, Dates and bytes', async () => {
    const conn = new DuckDBConnection('params')
    const at = new Date('2024-03-05T06:07:08.123Z')
    const t = await conn.query('select $1::INTEGER + ? as n, $3 as at, $4 as b', {
      params: [1, 2, at, new Uint8Array([1, 2])],
      cache: false,
    })
    expect(t.get(0)).toEqual({ n: 3, at, b: Buffer.from([1, 2]) })
    await conn.close()
  })
})

describe('a database file locked by another process', () => {
  const box = useSandbox()

  it('fails with a DuckDBLockError naming the process, once the retry budget is spent', async () => {
    const file = path.join(box.dir(), 'locked.duckdb')
    const holder = await lockInAnotherProcess(file)
    try {
      const conn = new DuckDBConnection('locked', { path: file, retry: { maxDuration: 300, initialDelay: 20 } })
      const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(QueryError)
      expect((err as QueryError).code).toBe('CONNECTION_FAILED')
      const cause = (err as QueryError).cause
      expect(cause).toBeInstanceOf(DuckDBLockError)
      expect((cause as DuckDBLockError).pid).toBe(holder.pid)
      expect((err as Error).message).toContain('locked by another process')
      await conn.close()
    } finally {
      await holder.close()
    }
  })

  it('fails every one of many concurrent reads, none left waiting for a pooled connection', async () => {
    const file = path.join(box.dir(), 'crowded.duckdb')
    const holder = await lockInAnotherProcess(file)
    try {
      const conn = new DuckDBConnection('crowded', {
        path: file,
        max: 2,
        retry: { maxDuration: 200, initialDelay: 20 },
      })
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => conn.query('select :i as i', { params: { i }, cache: false })),
      )
      expect(results.map((r) => r.status)).toEqual(Array(8).fill('rejected'))
      await conn.close()
    } finally {
      await holder.close()
    }
  })

  it('retries a read until the other process lets the file go', async () => {
    const file = path.join(box.dir(), 'released.duckdb')
    const holder = await lockInAnotherProcess(file)
    const conn = new DuckDBConnection('released', { path: file, retry: { initialDelay: 20, maxDelay: 100 } })
    const events = recordEvents(conn)
    const read = conn.query('select count(*) as n from held', { cache: false })
    // The other process lets go once the read has been refused at least once.
    await until(() => events.retry.length > 0, 'a retry')
    await holder.close()
    expect((await read).get(0)).toEqual({ n: 0n })
    expect(events.retry.length).toBeGreaterThan(0)
    await conn.close()
  })
})

describe('the registry', () => {
  useSandbox()

  it('resolves type = "duckdb" to this package', async () => {
    const conn = await connection('reg', { type: 'duckdb' })
    // The registry imports the built package, a copy of the class this test imports from src.
    expect((conn.constructor as typeof DuckDBConnection).typeName).toBe('duckdb')
    expect((await conn.query('select 42 as answer')).get(0)).toEqual({ answer: 42 })
  })

  it('opens a file another DuckDB user of this process already has open', async () => {
    const file = path.resolve('mine.duckdb')
    const own = await DuckDBInstance.fromCache(file)
    const conn = new DuckDBConnection('cache', { path: file })
    expect((await conn.query('select 1 as one', { cache: false })).get(0)).toEqual({ one: 1 })
    await conn.close()
    own.closeSync()
  })
})
