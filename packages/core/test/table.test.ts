import { describe, expect, it } from 'vitest'
import { TableBuilder, tableFromRows } from '../src/table/builder.js'
import { decodeTable, encodeTable } from '../src/table/codec.js'
import { columnData, type RowTable } from '../src/table/table.js'

function build(): RowTable {
  const b = new TableBuilder(
    [
      { name: 'id', type: 'int32', nullable: false, dbType: 'int4' },
      { name: 'price', type: 'float64' },
      { name: 'ok', type: 'bool' },
      { name: 'big', type: 'int64' },
      { name: 'at', type: 'timestamptz' },
      { name: 'bytes', type: 'binary' },
      { name: 'raw', type: 'binary' },
      { name: 'name', type: 'utf8' },
      { name: 'doc', type: 'json', decode: 'json' },
      { name: 'tags', type: 'list' },
      { name: 'dec', type: 'decimal' },
    ],
    2, // smaller than the row count: builders must grow
  )
  b.appendRow([
    1,
    1.5,
    true,
    2n ** 62n,
    new Date(Date.UTC(2024, 0, 1)),
    Buffer.from('ab'),
    new Uint8Array([1]),
    'x',
    '{"a":[1,{"b":null}]}',
    ['a', 'b'],
    '12.30',
  ])
  b.appendRow([2, null, false, null, null, null, new Uint8Array([]), null, null, null, null])
  b.appendRow([3, -0.25, null, -5n, new Date(0), Buffer.alloc(0), null, 'zé', '3', [], '-0.01'])
  return b.finish()
}

describe('RowTable', () => {
  it('has arrow-like shape: numRows, numCols, schema.fields', () => {
    const t = build()
    expect(t.numRows).toBe(3)
    expect(t.numCols).toBe(11)
    expect(t.schema.fields[0]).toEqual({ name: 'id', type: 'int32', nullable: false, dbType: 'int4' })
  })

  it('reads rows as objects with the driver values', () => {
    const t = build()
    expect(t.get(0)).toEqual({
      id: 1,
      price: 1.5,
      ok: true,
      big: 2n ** 62n,
      at: new Date(Date.UTC(2024, 0, 1)),
      bytes: Buffer.from('ab'),
      raw: new Uint8Array([1]),
      name: 'x',
      doc: { a: [1, { b: null }] },
      tags: ['a', 'b'],
      dec: '12.30',
    })
    expect(Buffer.isBuffer(t.get(0)!.bytes)).toBe(true)
    expect(Buffer.isBuffer(t.get(0)!.raw)).toBe(false)
    expect(t.get(1)).toMatchObject({ price: null, ok: false, big: null, at: null, bytes: null, name: null, doc: null })
    expect(t.at(-1)!.id).toBe(3)
    expect(t.get(3)).toBeNull()
  })

  it('stores numbers, booleans, bigints and timestamps in typed arrays, binary in one buffer', () => {
    const t = build()
    const kind = (name: string) => columnData(t.getChild(name as never)!).storage
    expect(kind('price')).toMatchObject({ kind: 'f64' })
    expect((kind('price') as { values: unknown }).values).toBeInstanceOf(Float64Array)
    expect((kind('ok') as { values: unknown }).values).toBeInstanceOf(Uint8Array)
    expect((kind('big') as { values: unknown }).values).toBeInstanceOf(BigInt64Array)
    expect(kind('at')).toMatchObject({ kind: 'date' })
    expect((kind('bytes') as { data: Uint8Array }).data.byteLength).toBe(2)
    expect(t.getChild('price')!.nullCount).toBe(1)
  })

  it('builds a new Date on each read, so the table cannot be changed through one', () => {
    const t = build()
    const d = t.get(0)!.at as Date
    d.setFullYear(1999)
    expect((t.get(0)!.at as Date).getUTCFullYear()).toBe(2024)
  })

  it('gives binary values as copies, so changing one leaves the table as it was', () => {
    const t = build()
    const b = t.get(0)!.bytes as Buffer
    b[0] = 0
    expect(t.get(0)!.bytes).toEqual(Buffer.from('ab'))
  })

  it('falls back to plain values when a column mixes types', () => {
    const t = tableFromRows([{ v: 1 }, { v: 'two' }, { v: null }, { v: 3 }])
    expect(t.getChild('v')!.toArray()).toEqual([1, 'two', null, 3])
    expect(t.schema.fields[0]!.type).toBe('unknown')
  })

  it('keeps every value of a wide result whose columns change type midway', () => {
    const rows = [
      [1, 'a', Buffer.from('x'), null, 1.5],
      [2.5, 2, new Uint8Array([7]), 3n, null],
      ['three', null, null, 'text', 2],
      [null, 'd', Buffer.from('zz'), 4n, 'last'],
    ]
    const b = new TableBuilder(['c0', 'c1', 'c2', 'c3', 'c4'].map((name) => ({ name })))
    b.appendRows(rows)
    const t = b.finish()
    for (let j = 0; j < 5; j++) {
      expect(t.getChild(`c${j}`)!.toArray(), `c${j}`).toEqual(rows.map((r) => r[j]))
    }
  })

  it('gives columns with get, at, isValid, toArray and iteration', () => {
    const col = build().getChild('name')!
    expect(col.length).toBe(3)
    expect(col.get(2)).toBe('zé')
    expect(col.at(-3)).toBe('x')
    expect(col.isValid(1)).toBe(false)
    expect([...col]).toEqual(['x', null, 'zé'])
    expect(build().getChild('nope' as never)).toBeNull()
  })

  it('iterates rows and converts to an array', () => {
    const t = build()
    expect([...t].map((r) => r.id)).toEqual([1, 2, 3])
    expect(t.toArray()).toHaveLength(3)
  })

  it('slices rows like Array.prototype.slice', () => {
    const t = build()
    expect(
      t
        .slice(1)
        .toArray()
        .map((r) => r.id),
    ).toEqual([2, 3])
    expect(t.slice(-1).get(0)!.bytes).toEqual(Buffer.alloc(0))
    expect(t.slice(0, 1).get(0)!.doc).toEqual({ a: [1, { b: null }] })
    expect(t.slice(1, 2).getChild('price')!.nullCount).toBe(1)
    expect(t.slice(5).numRows).toBe(0)
  })

  it('selects columns by name, in the order given', () => {
    const t = build().select('name', 'id')
    expect(t.schema.fields.map((f) => f.name)).toEqual(['name', 'id'])
    expect(t.get(0)).toEqual({ name: 'x', id: 1 })
    expect(() => build().select('nope' as never)).toThrow(/No column "nope"/)
  })

  it('gives JSON-safe rows', () => {
    const json = JSON.parse(JSON.stringify(build()))
    expect(json[0]).toMatchObject({ big: '4611686018427387904', bytes: 'YWI=', at: '2024-01-01T00:00:00.000Z' })
    expect(json[2].big).toBe(-5)
  })

  it('prints a readable preview with types and shape', () => {
    const text = build().toString()
    expect(text).toContain('id (int32)')
    expect(text).toContain('[3 rows x 11 columns]')
    expect(text).toContain('2024-01-01T00:00:00.000Z')
  })

  it('converts to a real apache-arrow Table with each column typed', () => {
    const arrow = build().toArrow()
    const types = Object.fromEntries(arrow.schema.fields.map((f) => [f.name, String(f.type)]))
    expect(types).toMatchObject({
      id: 'Int32',
      price: 'Float64',
      ok: 'Bool',
      big: 'Int64',
      at: 'Timestamp<MILLISECOND, UTC>',
      bytes: 'Binary',
      name: 'Utf8',
      doc: 'Utf8',
      dec: 'Utf8',
    })
    expect(arrow.getChild('big')!.get(0)).toBe(2n ** 62n)
    expect(arrow.getChild('price')!.get(1)).toBeNull()
    expect(arrow.schema.fields[0]!.nullable).toBe(false)
    expect(arrow.schema.fields[10]!.metadata.get('sqlconn.type')).toBe('decimal')
  })
})

describe('table encoding for byte stores', () => {
  it('round-trips values, types and schema exactly', () => {
    const t = build()
    const back = decodeTable(encodeTable(t))
    expect(back.schema).toEqual(t.schema)
    expect(back.toArray()).toEqual(t.toArray())
    expect(Buffer.isBuffer(back.get(0)!.bytes)).toBe(true)
    expect(back.get(0)!.big).toBe(2n ** 62n)
    expect(back.get(0)!.at).toEqual(new Date(Date.UTC(2024, 0, 1)))
  })

  it('round-trips an empty table and schema metadata', () => {
    const t = new TableBuilder([{ name: 'a', type: 'utf8' }]).finish()
    const withIndex = t.withMetadata(new Map([['index', 'a']]))
    const back = decodeTable(encodeTable(withIndex))
    expect(back.numRows).toBe(0)
    expect(back.schema.metadata.get('index')).toBe('a')
  })

  it('refuses bytes that are not an encoded table', () => {
    expect(() => decodeTable(new Uint8Array([1, 2, 3]))).toThrow()
  })

  it('refuses an entry of the previous format (SQC2) rather than misreading it, so the cache treats it as a miss', () => {
    const bytes = encodeTable(build())
    expect(bytes.toString('latin1', 0, 4)).toBe('SQC3')
    bytes.write('SQC2', 0, 'latin1')
    expect(() => decodeTable(bytes)).toThrow(/unknown format/)
  })
})

describe('decoded columns', () => {
  it('hold ticks as the exact integers and read them back as Dates and time-of-day text', () => {
    const b = new TableBuilder([
      { name: 'us', type: 'timestamp', unit: 'us', decode: 'ticks' },
      { name: 'ns', type: 'timestamptz', unit: 'ns', decode: 'ticks' },
      { name: 't', type: 'time', unit: 'us', decode: 'ticks' },
      { name: 'tn', type: 'time', unit: 'ns', decode: 'ticks' },
    ])
    // 2345-01-02T03:04:05.123456Z (past a double's exact microseconds), 1969-12-31T23:59:59.999999Z.
    b.appendRow([11833959845123456n, -315521754876543211n, 36000123456n, 36000123456789n])
    b.appendRow([-1n, 1n, 86_400_000_000n, 500_000_000n])
    b.appendRow([null, null, null, null])
    const t = b.finish()
    expect(columnData(t.getChild('us')!).storage).toMatchObject({ kind: 'ticks', unit: 'us', since: 'epoch' })
    expect(columnData(t.getChild('t')!).storage).toMatchObject({ kind: 'ticks', unit: 'us', since: 'midnight' })
    expect(t.toArray()).toEqual([
      {
        us: new Date('2345-01-02T03:04:05.123Z'),
        ns: new Date('1960-01-02T03:04:05.124Z'),
        t: '10:00:00.123456',
        tn: '10:00:00.123456789',
      },
      { us: new Date(0), ns: new Date(0), t: '24:00:00', tn: '00:00:00.5' },
      { us: null, ns: null, t: null, tn: null },
    ])
    const back = decodeTable(encodeTable(t))
    expect(back.schema).toEqual(t.schema)
    expect(columnData(back.getChild('ns')!).storage).toEqual(columnData(t.getChild('ns')!).storage)
    expect(back.toArray()).toEqual(t.toArray())
  })

  it('read back every tick as the Date of its integer divided toward zero, as node-api does in BigInt', () => {
    const fields = (['us', 'ns'] as const).map((unit) => ({
      name: unit,
      type: 'timestamp' as const,
      unit,
      decode: 'ticks' as const,
    }))
    const b = new TableBuilder(fields)
    const picks: bigint[] = [0n, 1n, -1n, 999n, -999n, 1000n, -1000n, -1001n, 2n ** 53n + 1n, -(2n ** 53n) - 1n]
    for (const e of [3n, 12n, 15n, 16n, 17n, 18n])
      picks.push(10n ** e + 999_999n, -(10n ** e) - 999_999n, -(10n ** e) + 1n)
    let x = 0x2545f4914f6cdd1dn
    for (let k = 0; k < 2000; k++) {
      // xorshift64: values of every size and sign; kept inside the range a Date can hold (8.64e15 ms) at both units.
      x ^= (x << 13n) & 0xffffffffffffffffn
      x ^= x >> 7n
      x ^= (x << 17n) & 0xffffffffffffffffn
      const v = BigInt.asIntN(64, x) >> BigInt(k % 40)
      picks.push(v % 8_000_000_000_000_000n)
    }
    for (const v of picks) b.appendRow([v, v])
    const t = b.finish()
    const us = t.getChild('us')!.toArray() as Date[]
    const ns = t.getChild('ns')!.toArray() as Date[]
    picks.forEach((v, i) => {
      expect(us[i]!.getTime(), `us ${v}`).toBe(Number(v / 1000n))
      expect(ns[i]!.getTime(), `ns ${v}`).toBe(Number(v / 1_000_000n))
    })
  })

  it('copy ticks in bulk, nulls zeroed, and take single values after them', () => {
    const b = new TableBuilder([{ name: 'at', type: 'timestamp', unit: 'us', decode: 'ticks' }], 2)
    const col = b.column(0)
    col.append(null)
    // Rows 1 to 4 of a driver's vector; row 2 null (bit clear) and holding garbage.
    col.appendInt64s(new BigInt64Array([9n, 1000n, 777n, 3000n, 4000n, 9n]), 1, 5, new Uint8Array([0b111011]))
    col.append(5000n)
    const data = columnData(b.finish().getChild('at')!)
    expect(data.storage).toMatchObject({
      kind: 'ticks',
      values: new BigInt64Array([0n, 1000n, 0n, 3000n, 4000n, 5000n]),
    })
    expect(data.nullCount).toBe(2)
  })

  it('fall back to plain values, as they read back, when a tick column gets another value', () => {
    const b = new TableBuilder([{ name: 't', type: 'time', unit: 'us', decode: 'ticks' }])
    b.appendRow([1_500_000n])
    b.appendRow(['25:00:00'])
    b.appendRow([2_000_000n])
    expect(b.finish().getChild('t')!.toArray()).toEqual(['00:00:01.5', '25:00:00', '00:00:02'])
  })

  it('refuse ticks without a unit', () => {
    expect(() => new TableBuilder([{ name: 't', type: 'time', decode: 'ticks' }])).toThrow(/need a unit/)
  })

  it('read epoch milliseconds back as Dates', () => {
    const b = new TableBuilder([{ name: 'at', type: 'timestamptz', decode: 'epoch-ms' }])
    b.appendRow([Date.UTC(2024, 5, 1)])
    b.appendRow([null])
    const t = b.finish()
    expect(columnData(t.getChild('at')!).storage.kind).toBe('date')
    expect(t.getChild('at')!.toArray()).toEqual([new Date(Date.UTC(2024, 5, 1)), null])
  })

  it('hold int8 text in a BigInt64Array and read back the same text', () => {
    const b = new TableBuilder([{ name: 'n', type: 'int64', decode: 'int64-text' }])
    for (const v of ['9223372036854775807', '-9223372036854775808', '0', null]) b.appendRow([v])
    const t = b.finish()
    expect(columnData(t.getChild('n')!).storage).toMatchObject({ kind: 'i64', text: true })
    expect(t.getChild('n')!.toArray()).toEqual(['9223372036854775807', '-9223372036854775808', '0', null])
    expect(decodeTable(encodeTable(t)).getChild('n')!.toArray()).toEqual(t.getChild('n')!.toArray())
  })

  it('keep text that would not read back the same as text', () => {
    const b = new TableBuilder([{ name: 'n', decode: 'int64-text' }])
    for (const v of ['1', '007', '99999999999999999999']) b.appendRow([v])
    expect(b.finish().getChild('n')!.toArray()).toEqual(['1', '007', '99999999999999999999'])
  })

  it('read back int8 text of every length as the same text when filled a whole result at a time', () => {
    const texts = ['-42', '0', '999999999999999', '-999999999999999', '1000000000000000', '-4294967296', '4294967295']
    const b = new TableBuilder([{ name: 'n', type: 'int64', decode: 'int64-text' }], 2)
    b.appendRows([...texts, null].map((v) => [v]))
    const t = b.finish()
    expect(columnData(t.getChild('n')!).storage).toMatchObject({ kind: 'i64', text: true })
    expect(t.getChild('n')!.toArray()).toEqual([...texts, null])
    const odd = new TableBuilder([{ name: 'n', type: 'int64', decode: 'int64-text' }])
    odd.appendRows([['5'], ['-0'], ['+1']])
    expect(odd.finish().getChild('n')!.toArray()).toEqual(['5', '-0', '+1'])
  })

  it('read back int8 text the same in a one-row column and after it grows from one row to many', () => {
    const texts = Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? null : String((i % 2 ? -1 : 1) * 37 ** (i % 10))))
    const one = new TableBuilder([{ name: 'n', type: 'int64', decode: 'int64-text' }], 1)
    one.appendRows([['-123456789012345']])
    expect(one.finish().getChild('n')!.toArray()).toEqual(['-123456789012345'])
    const grown = new TableBuilder([{ name: 'n', type: 'int64', decode: 'int64-text' }], 1)
    for (const v of texts) grown.appendRow([v])
    const t = grown.finish()
    expect(columnData(t.getChild('n')!).storage).toMatchObject({ kind: 'i64', text: true })
    expect(t.getChild('n')!.toArray()).toEqual(texts)
  })

  it('give an adapter the same column builder each time it asks, appending to the table', () => {
    const b = new TableBuilder(
      [
        { name: 'a', type: 'float64' },
        { name: 'b', type: 'utf8' },
      ],
      4,
    )
    expect(b.column(0)).toBe(b.column(0))
    b.column(0).append(1.5)
    b.column(1).append('x')
    b.appendRow([2.5, null])
    expect(b.finish().toArray()).toEqual([
      { a: 1.5, b: 'x' },
      { a: 2.5, b: null },
    ])
  })

  it('keep every null when a column falls back to plain values after growing', () => {
    const b = new TableBuilder([{ name: 'v' }, { name: 'w', type: 'float64' }], 2)
    const rows = Array.from({ length: 40 }, (_, i) => [i % 3 === 0 ? null : i === 20 ? 'twenty' : i, i])
    b.appendRows(rows)
    b.appendRow([null, 40])
    const t = b.finish()
    expect(t.getChild('v')!.toArray()).toEqual([...rows.map((r) => r[0]), null])
    expect(t.getChild('w')!.toArray()).toEqual(Array.from({ length: 41 }, (_, i) => i))
  })

  it('fill a whole result of every kind the same as row by row: nulls, growth and a type change midway', () => {
    const kinds: ((i: number) => unknown)[] = [
      (i) => i * 1.5,
      (i) => new Date(i * 1000),
      (i) => `s${i}`,
      (i) => `{"i":${i}}`,
      (i) => Buffer.from([i & 255, 7]),
      (i) => new Uint8Array(40).fill(i & 255),
      (i) => i % 2 === 0,
      (i) => BigInt(i) * 3n,
    ]
    const fields = kinds.map((_, j) => ({ name: `c${j}`, ...(j === 3 ? { decode: 'json' as const } : {}) }))
    // Nulls first and throughout, then a value of another type in the middle of every column.
    const rows = Array.from({ length: 700 }, (_, i) =>
      kinds.map((make, j) => (i < 3 || i % (5 + j) === 0 ? null : i === 400 ? (j === 2 ? 7 : 'other') : make(i))),
    )
    const whole = new TableBuilder(fields, 2)
    whole.appendRows(rows)
    const byRow = new TableBuilder(fields, 2)
    for (const row of rows) byRow.appendRow(row)
    const [a, b] = [whole.finish(), byRow.finish()]
    expect(a.schema).toEqual(b.schema)
    for (let j = 0; j < kinds.length; j++) {
      expect(a.getChildAt(j)!.toArray()).toEqual(b.getChildAt(j)!.toArray())
      expect(a.getChildAt(j)!.nullCount).toBe(b.getChildAt(j)!.nullCount)
    }
    expect(a.getChild('c4')!.get(399)).toEqual(Buffer.from([399 & 255, 7]))
    expect(a.getChild('c2')!.get(400)).toBe(7)
    const head = new TableBuilder(fields.slice(0, 1), 2)
    head.appendRows(rows.slice(0, 399))
    expect(columnData(head.finish().getChild('c0')!).storage.kind).toBe('f64')
  })

  it('type an untyped number column int64 only when every value is whole', () => {
    const typeOf = (values: unknown[]) => {
      const b = new TableBuilder([{ name: 'x' }])
      b.appendRows(values.map((v) => [v]))
      return b.finish().schema.fields[0]!.type
    }
    expect(typeOf([1, null, -3, 2 ** 53])).toBe('int64')
    expect(typeOf([1, 2, 2.5])).toBe('float64')
    expect(typeOf([1, Number.POSITIVE_INFINITY])).toBe('float64')
    expect(typeOf([Number.NaN, 1])).toBe('float64')
  })

  it('parse JSON text only when read, even after falling back to plain values', () => {
    const b = new TableBuilder([{ name: 'j', type: 'json', decode: 'json' }])
    b.appendRow(['{"a":1}'])
    b.appendRow([{ already: 'parsed' }])
    b.appendRow(['[1,2]'])
    expect(b.finish().getChild('j')!.toArray()).toEqual([{ a: 1 }, { already: 'parsed' }, [1, 2]])
  })
})
