import { OptionalDependencyError } from '../errors.js'
import { requireFromProject } from '../load.js'
import type { Column } from './table.js'
import type { LogicalType, Schema } from './types.js'

type Arrow = typeof import('apache-arrow')

let arrow: Arrow | undefined

/** apache-arrow is an optional peer, loaded synchronously (its CommonJS build) so `toArrow()` stays a plain method. */
function loadArrow(): Arrow {
  if (arrow) return arrow
  try {
    arrow = requireFromProject('apache-arrow') as Arrow
    return arrow
  } catch (err) {
    throw new OptionalDependencyError('apache-arrow', 'RowTable.toArrow()', { cause: err })
  }
}

const ISO_NO_ZONE = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/

function toDate(v: unknown): Date | null {
  if (v instanceof Date) return v
  if (typeof v === 'number') return new Date(v)
  if (typeof v === 'string') {
    // Text timestamps without a zone (SQLite's CURRENT_TIMESTAMP) are UTC, not local time.
    const d = new Date(ISO_NO_ZONE.test(v) ? `${v.replace(' ', 'T')}Z` : v)
    return Number.isNaN(d.getTime()) ? null : d
  }
  return null
}

function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v)
  return null
}

function toText(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  return String(v)
}

function arrowTypeOf(
  a: Arrow,
  type: LogicalType,
): { type: InstanceType<Arrow['DataType']>; convert: (v: unknown) => unknown } {
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(v))
  switch (type) {
    case 'null':
      return { type: new a.Null(), convert: () => null }
    case 'bool':
      return { type: new a.Bool(), convert: (v) => (typeof v === 'boolean' ? v : Boolean(Number(v))) }
    case 'int8':
      return { type: new a.Int8(), convert: num }
    case 'int16':
      return { type: new a.Int16(), convert: num }
    case 'int32':
      return { type: new a.Int32(), convert: num }
    case 'uint8':
      return { type: new a.Uint8(), convert: num }
    case 'uint16':
      return { type: new a.Uint16(), convert: num }
    case 'uint32':
      return { type: new a.Uint32(), convert: num }
    case 'int64':
      return { type: new a.Int64(), convert: toBigInt }
    case 'uint64':
      return { type: new a.Uint64(), convert: toBigInt }
    case 'float32':
      return { type: new a.Float32(), convert: num }
    case 'float64':
      return { type: new a.Float64(), convert: num }
    case 'binary':
      return { type: new a.Binary(), convert: (v) => (v instanceof Uint8Array ? v : Buffer.from(toText(v))) }
    case 'date':
      return { type: new a.DateMillisecond(), convert: toDate }
    case 'timestamp':
      return { type: new a.TimestampMillisecond(), convert: (v) => toDate(v)?.getTime() ?? null }
    case 'timestamptz':
      return { type: new a.TimestampMillisecond('UTC'), convert: (v) => toDate(v)?.getTime() ?? null }
    default:
      // decimal (exact digits), time, interval, json, uuid, list, unknown: text keeps every value exact.
      return { type: new a.Utf8(), convert: toText }
  }
}

/** Converts columns to an apache-arrow Table, one Arrow type per logical type. */
export function toArrowTable(schema: Schema, columns: readonly Column[]): import('apache-arrow').Table {
  const a = loadArrow()
  const fields = []
  const vectors: Record<string, import('apache-arrow').Vector> = {}
  for (const col of columns) {
    const { field } = col
    const values = col.toArray()
    let { type, convert } = arrowTypeOf(a, field.type)
    let vector: import('apache-arrow').Vector
    try {
      vector = a.vectorFromArray(
        values.map((v) => (v === null ? null : convert(v))),
        type,
      )
    } catch {
      // A value the Arrow type cannot hold (SQLite lets a column mix types): keep it as text.
      ;({ type, convert } = arrowTypeOf(a, 'utf8'))
      vector = a.vectorFromArray(
        values.map((v) => (v === null ? null : convert(v))),
        type,
      )
    }
    const metadata = new Map<string, string>([['sqlconn.type', field.type]])
    if (field.dbType) metadata.set('sqlconn.dbType', field.dbType)
    fields.push(new a.Field(field.name, vector.type, field.nullable, metadata))
    vectors[field.name] = vector
  }
  return new a.Table(new a.Schema(fields, new Map(schema.metadata)), vectors)
}
