import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import * as arrow from 'apache-arrow'
import pl from 'nodejs-polars'
import { describe, expect, it } from 'vitest'
import { type FieldInit, TableBuilder, tableFromRows, useArrow } from '../src/index.js'
import { decodeTable, encodeTable } from '../src/table/codec.js'
import { decimalText } from '../src/testing/arrow.js'

const run = promisify(execFile)
const consumer = (file: string) => path.join(import.meta.dirname, 'fixtures', 'arrow-consumer', file)

const DECIMALS = [
  '0.00',
  '12.50',
  '-0.05',
  '-12345678901234567890123456789012345.67',
  '99999999999999999999999999999999999.99',
  '123456789012.34',
  '-9007199254740993.00',
  null,
]

describe('toArrow()', () => {
  it('maps each logical type to its Arrow type', () => {
    const fields: FieldInit[] = [
      { name: 'b', type: 'bool' },
      { name: 'i8', type: 'int8' },
      { name: 'i16', type: 'int16' },
      { name: 'i32', type: 'int32' },
      { name: 'i64', type: 'int64' },
      { name: 'u32', type: 'uint32' },
      { name: 'f32', type: 'float32' },
      { name: 'f64', type: 'float64' },
      { name: 'dec', type: 'decimal', precision: 12, scale: 2 },
      { name: 'wide', type: 'decimal' },
      { name: 's', type: 'utf8' },
      { name: 'bin', type: 'binary' },
      { name: 'd', type: 'date' },
      { name: 'ts', type: 'timestamp' },
      { name: 'tz', type: 'timestamptz' },
      { name: 'j', type: 'json', decode: 'json' },
      { name: 'u', type: 'uuid' },
    ]
    const row = {
      b: true,
      i8: 1,
      i16: 2,
      i32: 3,
      i64: 4n,
      u32: 5,
      f32: 1.5,
      f64: 2.25,
      dec: '1.10',
      wide: '1.5',
      s: 'x',
      bin: Buffer.from([1, 2]),
      d: new Date(0),
      ts: new Date(1000),
      tz: new Date(2000),
      j: '{"a":1}',
      u: '00000000-0000-0000-0000-000000000001',
    }
    const t = tableFromRows([row], fields).toArrow()
    expect(t.schema.fields.map((f) => String(f.type))).toEqual([
      'Bool',
      'Int8',
      'Int16',
      'Int32',
      'Int64',
      'Uint32',
      'Float32',
      'Float64',
      'Decimal[12e+2]',
      'Utf8',
      'Utf8',
      'Binary',
      'Date64<MILLISECOND>',
      'Timestamp<MILLISECOND>',
      'Timestamp<MILLISECOND, UTC>',
      'Utf8',
      'Utf8',
    ])
    expect(t.schema.fields.find((f) => f.name === 'j')!.metadata.get('ARROW:extension:name')).toBe('arrow.json')
    const back = arrow.tableFromIPC(arrow.tableToIPC(t)).get(0)!.toJSON()
    expect(back).toMatchObject({ b: true, i64: 4n, s: 'x', d: 0, ts: 1000, tz: 2000, j: '{"a":1}', wide: '1.5' })
  })

  it('writes ticks as Timestamp and Time64 of their unit, and intervals as MONTH_DAY_NANO, exactly', () => {
    const b = new TableBuilder([
      { name: 'ts', type: 'timestamp', unit: 'us', decode: 'ticks' },
      { name: 'ns', type: 'timestamptz', unit: 'ns', decode: 'ticks' },
      { name: 't', type: 'time', unit: 'us', decode: 'ticks' },
      { name: 'tn', type: 'time', unit: 'ns', decode: 'ticks' },
      { name: 'iv', type: 'interval', unit: 'us' },
    ])
    b.appendRow([
      11833959845123456n,
      -315521754876543211n,
      36000123456n,
      36000123456789n,
      { months: -1, days: 2, micros: -3000004n },
    ])
    b.appendRow([null, null, null, null, null])
    const t = b.finish()
    const read = arrow.tableFromIPC(t.toArrowIPC())
    expect(read.schema.fields.map((f) => String(f.type))).toEqual([
      'Timestamp<MICROSECOND>',
      'Timestamp<NANOSECOND, UTC>',
      'Time64<MICROSECOND>',
      'Time64<NANOSECOND>',
      'Interval<MONTH_DAY_NANO>',
    ])
    const raw = (name: string) => read.getChild(name)!.data[0]!.values
    expect(raw('ts')).toEqual(new BigInt64Array([11833959845123456n, 0n]))
    expect(raw('ns')).toEqual(new BigInt64Array([-315521754876543211n, 0n]))
    expect(raw('t')).toEqual(new BigInt64Array([36000123456n, 0n]))
    expect(raw('tn')).toEqual(new BigInt64Array([36000123456789n, 0n]))
    const iv = read.getChild('iv')!.get(0) as Int32Array
    expect([iv[0], iv[1], new BigInt64Array(iv.buffer, iv.byteOffset + 8, 1)[0]]).toEqual([-1, 2, -3000004000n])
    expect(read.getChild('iv')!.get(1)).toBeNull()
  })

  it('keeps a time or interval without a unit (MySQL TIME past 24 hours) as text', () => {
    const t = tableFromRows(
      [{ t: '838:59:59', iv: '1 day' }],
      [
        { name: 't', type: 'time' },
        { name: 'iv', type: 'interval' },
      ],
    ).toArrow()
    expect(t.schema.fields.map((f) => String(f.type))).toEqual(['Utf8', 'Utf8'])
    expect(t.get(0)!.toJSON()).toEqual({ t: '838:59:59', iv: '1 day' })
  })

  it('writes decimals with a declared precision as exact Decimal128, nulls included', () => {
    const t = tableFromRows(
      DECIMALS.map((amount) => ({ amount })),
      [{ name: 'amount', type: 'decimal', precision: 38, scale: 2 }],
    )
    const col = arrow.tableFromIPC(t.toArrowIPC()).getChild('amount')!
    expect(String(col.type)).toBe('Decimal[38e+2]')
    expect([...col].map((v) => (v === null ? null : decimalText(v as Uint32Array, 2)))).toEqual(DECIMALS)
  })

  it('writes a thousand decimal texts with nulls, digit for digit', () => {
    const texts: (string | null)[] = []
    for (let i = 0; i < 1000; i++) {
      const cents = BigInt(Math.round(Math.sin(i) * 1e9)) * (i % 3 === 0 ? 1234567890123n : 1n)
      const abs = cents < 0n ? -cents : cents
      const digits = abs.toString().padStart(3, '0')
      texts.push(i % 13 === 5 ? null : `${cents < 0n ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`)
    }
    const t = tableFromRows(
      texts.map((x) => ({ x })),
      [{ name: 'x', type: 'decimal', precision: 38, scale: 2 }],
    )
    const col = t.toArrow().getChild('x')!
    expect(String(col.type)).toBe('Decimal[38e+2]')
    expect([...col].map((v) => (v === null ? null : decimalText(v as Uint32Array, 2)))).toEqual(texts)
  })

  it('keeps decimals above precision 38 and NaN as text', () => {
    const wide = tableFromRows([{ x: '1.5' }], [{ name: 'x', type: 'decimal', precision: 50, scale: 1 }]).toArrow()
    expect(String(wide.schema.fields[0]!.type)).toBe('Utf8')
    const nan = tableFromRows([{ x: 'NaN' }, { x: '1.0' }], [{ name: 'x', type: 'decimal', precision: 5, scale: 1 }])
    expect([...nan.toArrow().getChild('x')!]).toEqual(['NaN', '1.0'])
  })

  it('writes decimals held as numbers (SQLite REAL in a DECIMAL column) exactly as their text would be', () => {
    // Every number below goes through the number path; its text (String(x)) through the text path.
    const numbers: (number | null)[] = [0, -0, 12.5, -0.05, 1234.56, -99999.99, 0.1, 0.07, 42, 9999999999.99, null]
    for (let i = 0; i < 500; i++) numbers.push(Math.round(Math.sin(i) * 1e9) / 100)
    const decimal: FieldInit[] = [{ name: 'x', type: 'decimal', precision: 12, scale: 2 }]
    const fromNumbers = tableFromRows(
      numbers.map((x) => ({ x })),
      decimal,
    )
      .toArrow()
      .getChild('x')!
    const fromText = tableFromRows(
      numbers.map((x) => ({ x: x === null ? null : String(x) })),
      decimal,
    )
      .toArrow()
      .getChild('x')!
    expect(String(fromNumbers.type)).toBe('Decimal[12e+2]')
    const text = (v: unknown) => (v === null ? null : decimalText(v as Uint32Array, 2))
    expect([...fromNumbers].map(text)).toEqual([...fromText].map(text))
    expect([...fromNumbers].slice(0, 4).map(text)).toEqual(['0.00', '0.00', '12.50', '-0.05'])
  })

  it('keeps a decimal column as text when a number has more decimals or digits than declared, as with its text', () => {
    for (const x of [0.125, 1e-7, 12345678901.5, 1e21]) {
      const t = tableFromRows([{ x: 1.5 }, { x }], [{ name: 'x', type: 'decimal', precision: 11, scale: 2 }])
      const col = t.toArrow().getChild('x')!
      expect([String(col.type), ...col]).toEqual(['Utf8', '1.5', String(x)])
    }
  })

  it('writes booleans held as 0 and 1 (SQLite) as Arrow booleans, and other numbers as text', () => {
    const bool: FieldInit[] = [{ name: 'b', type: 'bool' }]
    const col = tableFromRows([{ b: 1 }, { b: 0 }, { b: null }, { b: 1 }], bool)
      .toArrow()
      .getChild('b')!
    expect([String(col.type), ...col]).toEqual(['Bool', true, false, null, true])
    const other = tableFromRows([{ b: 1 }, { b: 2 }], bool)
      .toArrow()
      .getChild('b')!
    expect([String(other.type), ...other]).toEqual(['Utf8', '1', '2'])
  })

  it('lays thousands of strings of every kind into UTF-8 exactly as Buffer.from encodes them', () => {
    const kinds = [
      'ada',
      '',
      'bö',
      '日本語',
      '😀',
      'x'.repeat(65),
      `${'y'.repeat(40)}é`,
      '\ud800 lone',
      'z'.repeat(5000),
    ]
    const names: (string | null)[] = []
    // Short strings first, so the buffer sized from them has to grow for the long ones after.
    for (let i = 0; i < 5000; i++) names.push(i % 7 === 3 ? null : `n${i}`)
    for (let i = 0; i < 3000; i++) names.push(i % 11 === 0 ? null : kinds[i % kinds.length]!)
    const col = tableFromRows(names.map((name) => ({ name })))
      .toArrow()
      .getChild('name')!
    expect([...col]).toEqual(names.map((n) => (n === null ? null : Buffer.from(n).toString())))
    const data = col.data[0]!
    expect(Buffer.from(data.values.subarray(0, data.valueOffsets[names.length]))).toEqual(
      Buffer.from(names.map((n) => n ?? '').join('')),
    )
  })

  it('lays strings, non-ASCII text and nulls into one UTF-8 buffer', () => {
    const names = ['ada', null, 'bö', '', '日本語', 'z']
    const t = tableFromRows(names.map((name) => ({ name })))
    const col = t.toArrow().getChild('name')!
    expect([...col]).toEqual(names)
    expect(col.nullCount).toBe(1)
  })

  it('keeps a column that mixes types (SQLite allows it) as text', () => {
    const t = tableFromRows([{ v: 1 }, { v: 'two' }], [{ name: 'v', type: 'int64' }])
    const col = t.toArrow().getChild('v')!
    expect(String(col.type)).toBe('Utf8')
    expect([...col]).toEqual(['1', 'two'])
  })

  it('keeps a text column as text of every value when a number comes after many strings', () => {
    const values: unknown[] = Array.from({ length: 300 }, (_, i) => `s${i}`)
    values[200] = 42
    const col = tableFromRows(values.map((v) => ({ v })))
      .toArrow()
      .getChild('v')!
    expect(String(col.type)).toBe('Utf8')
    expect([...col]).toEqual(values.map(String))
  })

  it('keeps a column with a value out of its integer range as text instead of wrapping it', () => {
    const small = tableFromRows([{ v: 1 }, { v: 300 }], [{ name: 'v', type: 'int8' }])
      .toArrow()
      .getChild('v')!
    expect([String(small.type), ...small]).toEqual(['Utf8', '1', '300'])
    const big = tableFromRows([{ v: '1' }, { v: '18446744073709551616' }], [{ name: 'v', type: 'int64' }])
    expect(String(big.toArrow().getChild('v')!.type)).toBe('Utf8')
  })

  it('gives a table whose buffers are its own: changing it leaves the RowTable as it was', () => {
    const t = tableFromRows([{ n: 1 }, { n: 2 }], [{ name: 'n', type: 'float64' }])
    const a = t.toArrow()
    ;(a.getChild('n')!.data[0]!.values as Float64Array)[0] = 99
    expect(t.getChild('n')!.toArray()).toEqual([1, 2])
  })

  it('builds the same bytes from a table decoded from the cache as from the fresh one', () => {
    const t = tableFromRows(
      [
        { s: 'a', j: '{"x":1}', n: 1, d: '1.25' },
        { s: null, j: null, n: null, d: null },
      ],
      [
        { name: 's', type: 'utf8' },
        { name: 'j', type: 'json', decode: 'json' },
        { name: 'n', type: 'int32' },
        { name: 'd', type: 'decimal', precision: 9, scale: 2 },
      ],
    )
    const cached = decodeTable(encodeTable(t))
    expect(Buffer.from(cached.toArrowIPC()).equals(Buffer.from(t.toArrowIPC()))).toBe(true)
  })

  it('drops the arrow.json extension when asked (for readers that refuse it)', () => {
    const t = tableFromRows([{ j: '[1]' }], [{ name: 'j', type: 'json', decode: 'json' }])
    expect(t.toArrow({ jsonExtension: false }).schema.fields[0]!.metadata.has('ARROW:extension:name')).toBe(false)
  })

  it('refuses a useArrow() argument that is not the apache-arrow module', () => {
    expect(() => useArrow({} as never)).toThrow(/apache-arrow module/)
  })
})

describe('toArrowIPC()', () => {
  it('rejects an unknown format with a clear error', () => {
    expect(() => tableFromRows([{ a: 1 }]).toArrowIPC({ format: 'feather' as never })).toThrow(/'stream' or 'file'/)
  })

  it('writes bytes that Polars (arrow-rs, not apache-arrow JS) reads, stream and file', () => {
    const t = tableFromRows(
      [
        { id: 1n, name: 'ada', price: '12.50', at: new Date(Date.UTC(2024, 0, 2)), ok: true },
        { id: 2n, name: null, price: '-0.05', at: null, ok: false },
      ],
      [
        { name: 'id', type: 'int64' },
        { name: 'name', type: 'utf8' },
        { name: 'price', type: 'decimal', precision: 12, scale: 2 },
        { name: 'at', type: 'timestamptz' },
        { name: 'ok', type: 'bool' },
      ],
    )
    for (const df of [
      pl.readIPCStream(Buffer.from(t.toArrowIPC())),
      pl.readIPC(Buffer.from(t.toArrowIPC({ format: 'file' }))),
    ]) {
      expect(df.shape).toEqual({ height: 2, width: 5 })
      expect(String(df.schema.price)).toBe('DataType(Decimal(12,2))')
      const rows = df.withColumns(pl.col('price').cast(pl.Utf8)).toRecords()
      expect(rows.map((r) => [r.id, r.name, r.price, r.ok])).toEqual([
        [1, 'ada', '12.50', true],
        [2, null, '-0.05', false],
      ])
      expect((rows[0]!.at as unknown as Date).toISOString()).toBe('2024-01-02T00:00:00.000Z')
    }
  })
})

describe("the app's own apache-arrow", () => {
  for (const [what, file] of [
    ['an ES module app', 'esm.mjs'],
    ['a CommonJS app', 'cjs.cjs'],
  ] as const) {
    it(`${what} serializes toArrow() with its own tableToIPC and reads it back`, async () => {
      const { stdout } = await run(process.execPath, [consumer(file)], { cwd: path.join(import.meta.dirname, '..') })
      expect(JSON.parse(stdout)).toEqual({
        table: true,
        batch: true,
        rows: 2,
        names: ['ada', 'bö'],
        types: ['Int64', 'Utf8', 'Decimal[12e+2]', 'Timestamp<MILLISECOND, UTC>'],
        selected: 1,
      })
    })
  }
})
