import type * as A from 'apache-arrow'
import type { Arrow } from './arrow-module.js'
import { toText } from './arrow-text.js'
import { type ColumnData, isNullAt, valueAt } from './storage.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

/**
 * Values in a shape the fast paths do not take (mysql2's BIGINT as text, SQLite's mixed columns):
 * converted one by one, strictly; undefined as soon as one does not fit, so the column stays text.
 */
export function slowData(a: Arrow, type: A.DataType, col: ColumnData): A.Data | undefined {
  const convert = converter(a, type)
  if (!convert) return undefined
  const out = new Array<unknown>(col.length)
  for (let i = 0; i < col.length; i++) {
    if (isNullAt(col, i)) {
      out[i] = null
      continue
    }
    const v = convert(valueAt(col, i))
    if (v === undefined) return undefined
    out[i] = v
  }
  const data = a.vectorFromArray(out, type).data
  return data.length === 1 ? data[0] : undefined
}

const NUMERIC_TEXT = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i
const INTEGER_TEXT = /^-?\d+$/

function converter(a: Arrow, type: A.DataType): ((v: unknown) => unknown) | undefined {
  if (a.DataType.isList(type) || a.DataType.isStruct(type) || a.DataType.isMap(type)) {
    return (v) => nestedValue(a, type, v)
  }
  if (a.DataType.isInt(type) && type.bitWidth === 64) {
    const [min, max] = type.isSigned ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX]
    return (v) => {
      const big =
        typeof v === 'bigint'
          ? v
          : (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && INTEGER_TEXT.test(v))
            ? BigInt(v)
            : undefined
      return big !== undefined && big >= min && big <= max ? big : undefined
    }
  }
  if (a.DataType.isInt(type) || a.DataType.isFloat(type)) {
    // Round-trips through the column's own typed array: a value out of its range is not silently wrapped.
    const probe = new ((type as A.Int).ArrayType as unknown as new (n: number) => Float64Array)(1)
    const integer = a.DataType.isInt(type)
    return (v) => {
      const n =
        typeof v === 'number'
          ? v
          : typeof v === 'bigint' || (typeof v === 'string' && NUMERIC_TEXT.test(v))
            ? Number(v)
            : Number.NaN
      if (Number.isNaN(n) || (integer && !Number.isInteger(n))) return undefined
      probe[0] = n
      return integer && probe[0] !== n ? undefined : n
    }
  }
  if (a.DataType.isBool(type)) {
    return (v) => (typeof v === 'boolean' ? v : v === 0 || v === 1 ? v === 1 : undefined)
  }
  if (a.DataType.isDate(type) || a.DataType.isTimestamp(type)) {
    return (v) => {
      const d = toDate(v)
      return d === null ? undefined : a.DataType.isDate(type) ? d : d.getTime()
    }
  }
  if (a.DataType.isBinary(type)) return (v) => (v instanceof Uint8Array ? v : undefined)
  return undefined
}

/**
 * A value inside a nested column in the shape apache-arrow's builders take: arrays for lists, objects
 * by field name for structs, a Map for maps (@duckdb/node-api gives `{ key, value }` entries), epoch
 * milliseconds for timestamps, text for the types Arrow keeps as Utf8. Undefined when it does not fit.
 */
function nestedValue(a: Arrow, type: A.DataType, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (a.DataType.isList(type)) {
    if (!Array.isArray(v)) return undefined
    const child = type.children[0]!.type
    const out = new Array<unknown>(v.length)
    for (let i = 0; i < v.length; i++) {
      const x = nestedValue(a, child, v[i])
      if (x === undefined) return undefined
      out[i] = x
    }
    return out
  }
  if (a.DataType.isStruct(type)) {
    if (typeof v !== 'object' || Array.isArray(v)) return undefined
    const out: Record<string, unknown> = {}
    for (const f of type.children) {
      const x = nestedValue(a, f.type, (v as Record<string, unknown>)[f.name])
      if (x === undefined) return undefined
      out[f.name] = x
    }
    return out
  }
  if (a.DataType.isMap(type)) {
    const [k, val] = type.children[0]!.type.children as A.Field[]
    const entries: unknown[] =
      v instanceof Map
        ? [...v].map(([key, value]) => ({ key, value }))
        : Array.isArray(v)
          ? v
          : typeof v === 'object'
            ? Object.entries(v).map(([key, value]) => ({ key, value }))
            : []
    const out = new Map<unknown, unknown>()
    for (const e of entries) {
      if (e === null || typeof e !== 'object') return undefined
      const key = nestedValue(a, k!.type, (e as { key?: unknown }).key)
      const value = nestedValue(a, val!.type, (e as { value?: unknown }).value)
      if (key === undefined || key === null || value === undefined) return undefined
      out.set(key, value)
    }
    return out
  }
  if (a.DataType.isUtf8(type)) return toText(v, false)
  const convert = converter(a, type)
  return convert ? convert(v) : undefined
}

const ISO_NO_ZONE = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/

function toDate(v: unknown): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v
  if (typeof v === 'number') return new Date(v)
  if (typeof v === 'string') {
    // Text timestamps without a zone (SQLite's CURRENT_TIMESTAMP) are UTC, not local time.
    const d = new Date(ISO_NO_ZONE.test(v) ? `${v.replace(' ', 'T')}Z` : v)
    return Number.isNaN(d.getTime()) ? null : d
  }
  return null
}
