/**
 * The Arrow part of the conformance suite: what leaves the process (toArrow, IPC bytes, record-batch
 * streams) reads back, value for value, in the app's own apache-arrow.
 */
import { describe, expect, it } from 'vitest'
import type { SqlConnection } from '../sql-connection.js'
import type { RowTable } from '../table/table.js'
import { timeText } from '../table/ticks.js'
import type { ConformanceOptions } from './options.js'

type ArrowModule = typeof import('apache-arrow')

/** 100,000 rows from five cross-joined digit tables: plain SQL every dialect runs. */
function hundredThousandRows(): string {
  const digits = Array.from({ length: 10 }, (_, d) => `select ${d} as d, 'v${d}' as t`).join(' union all ')
  const from = ['a', 'b', 'c', 'd', 'e'].map((x) => `(${digits}) ${x}`).join(' cross join ')
  return `select a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d as n, a.t as t from ${from}`
}

/**
 * A Decimal128 value as apache-arrow gives it (four little-endian 32-bit words, two's complement)
 * as exact decimal text with `scale` digits after the point, to compare with the database's own text.
 */
export function decimalText(words: Uint32Array, scale: number): string {
  let v = 0n
  for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(words[k]!)
  if (v >= 1n << 127n) v -= 1n << 128n
  const digits = (v < 0n ? -v : v).toString().padStart(scale + 1, '0')
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits
  return v < 0n ? `-${text}` : text
}

/** Exact decimal values at the edges of DECIMAL(38,10): large, negative, fractional. */
const DECIMALS = [
  '0.0000000000',
  '1234567890123456789012345678.1234567890',
  '-9999999999999999999999999999.9999999999',
  '-0.0000000001',
  '9007199254740993.5000000000',
  null,
]

/** A RowTable value (the driver's own) in a form to compare with what an Arrow reader gives. */
function ours(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v
  if (v instanceof Date) return String(v.getTime())
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  if (typeof v === 'object') return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}` : x)))
  return v
}

/** What an Arrow reader gives for a column, in the form `ours()` gives the RowTable's values. */
function theirs(v: unknown, type: import('apache-arrow').DataType, like: unknown): unknown {
  if (v === null || v === undefined) return null
  if (type.typeId === 7 /* Type.Decimal */)
    return decimalText(v as Uint32Array, (type as import('apache-arrow').Decimal).scale)
  // Timestamps read back as fractional milliseconds; a RowTable's Dates are truncated toward zero.
  if (type.typeId === 10 /* Type.Timestamp */ && typeof v === 'number') return String(Math.trunc(v) || 0)
  // Time64 reads back as its ticks; a RowTable gives the time of day's text.
  if (type.typeId === 9 /* Type.Time */ && typeof v === 'bigint') {
    return timeText((type as import('apache-arrow').Time).unit === 3 ? 'ns' : 'us', Number(v))
  }
  // Interval(MONTH_DAY_NANO) reads back as its four 32-bit words: months, days, nanoseconds.
  if (type.typeId === 11 /* Type.Interval */ && v instanceof Int32Array) {
    const nanos = new BigInt64Array(v.buffer, v.byteOffset + 8, 1)[0]!
    return { months: v[0], days: v[1], micros: String(nanos / 1000n) }
  }
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  // Utf8 holding JSON text (json, lists, intervals): compared as the values it spells.
  if (typeof v === 'string' && like !== null && typeof like === 'object') return JSON.parse(v)
  return v
}

/**
 * Checks that `arrow` (read back by apache-arrow) holds exactly the RowTable's values, column by
 * column: Decimal128 digit for digit, timestamps to the millisecond, times as their text, intervals
 * as `{ months, days, micros }`, JSON text as its values.
 */
export function expectArrowMatches(arrow: import('apache-arrow').Table, table: RowTable): void {
  expect(arrow.numRows).toBe(table.numRows)
  expect(arrow.schema.fields.map((f) => f.name)).toEqual(table.schema.fields.map((f) => f.name))
  table.schema.fields.forEach((field, j) => {
    const type = arrow.schema.fields[j]!.type
    const values = table.getChildAt(j)!.toArray()
    // A Bool column may hold the driver's 0/1 (mysql2's TINYINT(1), SQLite's BOOLEAN).
    const mine =
      type.typeId === 6 /* Type.Bool */ ? values.map((v) => (v === null ? null : Boolean(Number(v)))) : values.map(ours)
    const read = [...arrow.getChildAt(j)!].map((v, i) => theirs(v, type, mine[i]))
    expect(read, `column ${field.name}`).toEqual(mine)
  })
}

/**
 * Runs `sql` on `conn` and checks each column's Arrow type (`expected`: name to apache-arrow's type
 * text, such as `Decimal[12e+2]`) and every value, through `toArrow()`, IPC bytes read back by
 * apache-arrow, and `streamArrow()`. Adapters call it with a table of every type they map.
 */
export async function expectArrowRoundTrip(
  conn: SqlConnection,
  sql: string,
  expected: Readonly<Record<string, string>>,
): Promise<void> {
  const a = await import('apache-arrow')
  const t = await conn.query(sql, { cache: false })
  const direct = t.toArrow()
  expect(Object.fromEntries(direct.schema.fields.map((f) => [f.name, String(f.type)]))).toEqual(expected)
  expectArrowMatches(direct, t)
  expectArrowMatches(a.tableFromIPC(t.toArrowIPC()), t)
  const batches = []
  for await (const batch of conn.streamArrow(sql, { batchSize: 2 })) batches.push(batch)
  const streamed = new a.Table(batches)
  expect(Object.fromEntries(streamed.schema.fields.map((f) => [f.name, String(f.type)]))).toEqual(expected)
  expectArrowMatches(streamed, t)
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/**
 * Registers the Arrow cases. `connection()` gives the suite's open connection, `table` its fixture
 * table (id, label, amount, payload; three rows).
 */
export function describeArrowConformance(
  options: ConformanceOptions,
  connection: () => SqlConnection,
  table: () => string,
): void {
  const { create } = options
  describe(`${options.name} Arrow`, () => {
    let arrow: ArrowModule
    const load = async () => {
      arrow ??= await import('apache-arrow')
      return arrow
    }

    it("toArrow() gives a Table of the app's own apache-arrow that serializes and reads back", async () => {
      const a = await load()
      const t = await connection().query(`select * from ${table()} order by id`, { cache: false })
      const at = t.toArrow()
      expect(at).toBeInstanceOf(a.Table)
      expect(at.batches[0]).toBeInstanceOf(a.RecordBatch)
      expectArrowMatches(a.tableFromIPC(a.tableToIPC(at, 'stream')), t)
    })

    it('toArrowIPC() writes stream and file bytes that read back value for value', async () => {
      const a = await load()
      const t = await connection().query(`select * from ${table()} order by id`, { cache: false })
      expectArrowMatches(a.tableFromIPC(t.toArrowIPC()), t)
      expectArrowMatches(a.tableFromIPC(t.toArrowIPC({ format: 'file' })), t)
    })

    it("a cached table's Arrow bytes are identical to a fresh one's", async () => {
      const encoded = await create({ cache: { store: new Map(), serialize: true } })
      try {
        const sql = `select * from ${table()} order by id`
        const fresh = await encoded.query(sql)
        const cached = await encoded.query(sql)
        expect(cached).not.toBe(fresh)
        expect(Buffer.from(cached.toArrowIPC()).equals(Buffer.from(fresh.toArrowIPC()))).toBe(true)
      } finally {
        await encoded.close()
      }
    })

    it('streamArrow() yields 100,000 rows in batches of one schema, matching the database', async () => {
      await load()
      const conn = connection()
      const sql = hundredThousandRows()
      const truth = await conn.query(`select count(*) as c, sum(n) as s from (${sql}) q`, { cache: false })
      let rows = 0
      let sum = 0
      let batches = 0
      let schema: string | undefined
      for await (const batch of conn.streamArrow(sql, { batchSize: 30_000 })) {
        const shape = batch.schema.fields.map((f) => `${f.name}:${f.type}`).join(',')
        schema ??= shape
        expect(shape).toBe(schema)
        const n = batch.getChild('n')!
        for (const v of n) sum += Number(v)
        rows += batch.numRows
        batches++
      }
      expect(batches).toBe(4)
      expect(rows).toBe(Number(truth.get(0)!.c))
      expect(sum).toBe(Number(truth.get(0)!.s))
    })

    it('streamArrowIPC() is a web stream of IPC bytes with the whole result', async () => {
      const a = await load()
      const conn = connection()
      const sql = `select * from ${table()} order by id`
      const bytes = await readAll(conn.streamArrowIPC(sql, { batchSize: 2 }))
      const read = a.tableFromIPC(bytes)
      expect(read.batches.length).toBe(2)
      expectArrowMatches(read, await conn.query(sql, { cache: false }))
    })

    it('an empty result streams one empty batch that names the columns', async () => {
      const a = await load()
      const conn = connection()
      const sql = `select id, label from ${table()} where id < 0`
      const read = a.tableFromIPC(await readAll(conn.streamArrowIPC(sql)))
      expect(read.numRows).toBe(0)
      expect(read.schema.fields.map((f) => f.name)).toEqual(['id', 'label'])
    })

    it.skipIf(!options.types.decimal)(
      'writes DECIMAL(38,10) as Decimal128, digit for digit with the database',
      async () => {
        const a = await load()
        const conn = connection()
        const name = `${table()}_dec`
        await conn.query(
          `create table ${name} (id ${options.types.integer} primary key, amount ${options.types.decimal})`,
          {
            cache: false,
          },
        )
        try {
          for (const [id, amount] of DECIMALS.entries()) {
            await conn.db
              .insertInto(name as never)
              .values({ id, amount } as never)
              .execute()
          }
          const t = await conn.query(`select id, amount from ${name} order by id`, { cache: false })
          expect(t.getChild('amount')!.toArray()).toEqual(DECIMALS)
          for (const read of [a.tableFromIPC(t.toArrowIPC()), t.toArrow()]) {
            const col = read.getChild('amount')!
            expect(String(col.type)).toBe('Decimal[38e+10]')
            expect([...col].map((v) => (v === null ? null : decimalText(v as Uint32Array, 10)))).toEqual(DECIMALS)
          }
        } finally {
          await conn.query(`drop table ${name}`, { cache: false })
        }
      },
    )

    it('cancelling an IPC stream releases the cursor and the connection keeps working', async () => {
      const conn = connection()
      const reader = conn.streamArrowIPC(hundredThousandRows(), { batchSize: 1000 }).getReader()
      const first = await reader.read()
      expect(first.value!.byteLength).toBeGreaterThan(0)
      await reader.cancel()
      const t = await conn.query(`select count(*) as c from ${table()}`, { cache: false })
      expect(Number(t.get(0)!.c)).toBe(3)
    })
  })
}
