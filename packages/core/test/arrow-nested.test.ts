import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { type FieldInit, TableBuilder, tableFromRows, useArrow } from '../src/index.js'
import { decodeTable, encodeTable } from '../src/table/codec.js'

useArrow(arrow)

const AT = new Date('2024-03-05T06:07:08.123Z')

describe('TableBuilder.column()', () => {
  it('fills a table column by column, as a columnar driver hands out values', () => {
    const builder = new TableBuilder([{ name: 'n' }, { name: 's' }], 2)
    for (const v of [1, 2, 3]) builder.column(0).append(v)
    for (const v of ['a', null, 'c']) builder.column(1).append(v)
    const t = builder.finish()
    expect(t.numRows).toBe(3)
    expect(t.toArray()).toEqual([
      { n: 1, s: 'a' },
      { n: 2, s: null },
      { n: 3, s: 'c' },
    ])
  })
})

describe('timestamp units', () => {
  const fields: FieldInit[] = [
    { name: 's', type: 'timestamp', unit: 's' },
    { name: 'ms', type: 'timestamp', unit: 'ms' },
    { name: 'us', type: 'timestamp', unit: 'us' },
    { name: 'ns', type: 'timestamptz', unit: 'ns' },
  ]
  const whole = new Date('2024-03-05T06:07:08.000Z')
  const t = tableFromRows(
    [
      { s: whole, ms: AT, us: AT, ns: AT },
      { s: null, ms: null, us: null, ns: null },
    ],
    fields,
  )

  it('keep their unit in the schema and through a byte-encoding cache', () => {
    expect(t.schema.fields.map((f) => f.unit)).toEqual(['s', 'ms', 'us', 'ns'])
    expect(decodeTable(encodeTable(t)).schema).toEqual(t.schema)
  })

  it('become Arrow timestamps of that unit, each value scaled exactly', () => {
    const a = t.toArrow()
    expect(a.schema.fields.map((f) => String(f.type))).toEqual([
      'Timestamp<SECOND>',
      'Timestamp<MILLISECOND>',
      'Timestamp<MICROSECOND>',
      'Timestamp<NANOSECOND, UTC>',
    ])
    const raw = (name: string) => (a.getChild(name)!.data[0]!.values as BigInt64Array)[0]
    expect(raw('s')).toBe(BigInt(whole.getTime() / 1000))
    expect(raw('ms')).toBe(BigInt(AT.getTime()))
    expect(raw('us')).toBe(BigInt(AT.getTime()) * 1000n)
    expect(raw('ns')).toBe(BigInt(AT.getTime()) * 1000000n)
    expect(a.getChild('us')!.get(1)).toBeNull()
  })

  it('read back from Arrow IPC bytes as the same instants', () => {
    const back = arrow.tableFromIPC(t.toArrowIPC())
    expect(back.getChild('us')!.data[0]!.values[0]).toBe(BigInt(AT.getTime()) * 1000n)
    expect(String(back.schema.fields[3]!.type)).toBe('Timestamp<NANOSECOND, UTC>')
  })
})

describe('nested columns', () => {
  const fields: FieldInit[] = [
    { name: 'l', type: 'list', children: [{ name: 'item', type: 'int32' }] },
    {
      name: 's',
      type: 'struct',
      children: [
        { name: 'a', type: 'int64' },
        { name: 'b', type: 'utf8' },
        { name: 'at', type: 'timestamp', unit: 'us' },
        { name: 'd', type: 'decimal', precision: 10, scale: 2 },
      ],
    },
    {
      name: 'm',
      type: 'map',
      children: [
        { name: 'key', type: 'utf8' },
        { name: 'value', type: 'float64' },
      ],
    },
  ]
  const rows = [
    {
      l: [1, null, 3],
      s: { a: 9007199254740993n, b: 'x', at: AT, d: '12.50' },
      m: [
        { key: 'k1', value: 1.5 },
        { key: 'k2', value: null },
      ],
    },
    { l: [], s: null, m: [] },
    { l: null, s: { a: -1n, b: null, at: null, d: null }, m: null },
  ]
  const t = tableFromRows(rows, fields)

  it('keep their children in the schema and their values through a byte-encoding cache', () => {
    expect(t.schema.fields[1]!.children!.map((c) => c.name)).toEqual(['a', 'b', 'at', 'd'])
    const back = decodeTable(encodeTable(t))
    expect(back.schema).toEqual(t.schema)
    expect(back.toArray()).toEqual(t.toArray())
  })

  it('become Arrow List, Struct and Map of their children', () => {
    const a = t.toArrow()
    expect(a.schema.fields.map((f) => String(f.type))).toEqual([
      'List<Int32>',
      'Struct<{a:Int64, b:Utf8, at:Timestamp<MICROSECOND>, d:Utf8}>',
      'Map<{key:Utf8, value:Float64}>',
    ])
  })

  it('hold every value, nulls and empties included, exactly', () => {
    const back = arrow.tableFromIPC(t.toArrowIPC())
    const l = back.getChild('l')!
    expect([...l.get(0)!]).toEqual([1, null, 3])
    expect([...l.get(1)!]).toEqual([])
    expect(l.get(2)).toBeNull()
    const s = back.getChild('s')!.get(0)!.toJSON() as Record<string, unknown>
    expect(s).toEqual({ a: 9007199254740993n, b: 'x', at: AT.getTime(), d: '12.50' })
    expect(back.getChild('s')!.get(1)).toBeNull()
    expect(back.getChild('m')!.get(0)!.toJSON()).toEqual({ k1: 1.5, k2: null })
    expect(back.getChild('m')!.get(2)).toBeNull()
  })
})
