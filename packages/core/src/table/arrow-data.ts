import type * as A from 'apache-arrow'
import type { Arrow } from './arrow-module.js'
import type { ColumnData, Storage } from './storage.js'

const TWO_32 = 2 ** 32
const TWO_63 = 2 ** 63

/** Arrow's TimeUnit values (SECOND, MILLISECOND, MICROSECOND, NANOSECOND), without importing the enum. */
const TIME_UNITS = { s: 0, ms: 1, us: 2, ns: 3 } as const
const MS_TO_UNIT = [0n, 1n, 1000n, 1000000n] as const

/** Storage whose layout is Arrow's already (or one native conversion away): no per-value work. */
export function fastData(a: Arrow, type: A.DataType, col: ColumnData): A.Data | undefined {
  const s = col.storage
  const length = col.length
  const base = { length, nullCount: col.nullCount, nullBitmap: validity(col) }
  if (a.DataType.isBinary(type)) {
    return s.kind === 'bin'
      ? a.makeData({ type, ...base, data: s.data.slice(), valueOffsets: s.offsets.slice() })
      : undefined
  }
  if (a.DataType.isBool(type)) {
    if (s.kind !== 'bool' && s.kind !== 'f64') return undefined
    const bits = boolBits(s.values, length)
    return bits ? a.makeData({ type, ...base, data: bits }) : undefined
  }
  if (a.DataType.isTimestamp(type) && type.unit !== TIME_UNITS.ms) return timestampData(a, type, col)
  if (a.DataType.isInt(type) || a.DataType.isFloat(type) || a.DataType.isDate(type) || a.DataType.isTimestamp(type)) {
    const Out = (type as A.Int).ArrayType as unknown as new (n: number) => TypedOut
    const values = numbers(s, length, new Out(length), !a.DataType.isFloat(type))
    return values ? a.makeData({ type: type as A.Int, ...base, data: values as never }) : undefined
  }
  return undefined
}

/**
 * Arrow's bit-packed booleans from one byte (or number) per value: SQLite's booleans are the integers
 * 0 and 1, so any other number (nulls hold 0) gives undefined and the column stays text. Nothing
 * follows the loop (V8's on-stack code for it deoptimized at a statement after it on every call).
 */
function boolBits(v: Uint8Array | Float64Array, length: number): Uint8Array | undefined {
  const bits = new Uint8Array((length + 7) >> 3)
  for (let i = 0; i < length; i++) {
    const x = v[i]
    if (x === 1) bits[i >> 3]! |= 1 << (i & 7)
    else if (x !== 0) return undefined
  }
  return bits
}

/**
 * Timestamps in seconds, microseconds or nanoseconds from Dates (milliseconds): scaled in BigInt, so
 * a nanosecond value is exact. Undefined when a value is not a whole number of the unit.
 */
function timestampData(a: Arrow, type: A.Timestamp, col: ColumnData): A.Data | undefined {
  const s = col.storage
  if (s.kind !== 'date' && s.kind !== 'f64') return undefined
  const length = col.length
  const out = new BigInt64Array(length)
  const v = s.values
  const factor = MS_TO_UNIT[type.unit]
  for (let i = 0; i < length; i++) {
    const ms = v[i]!
    if (!Number.isInteger(ms)) return undefined
    if (type.unit === TIME_UNITS.s) {
      if (ms % 1000 !== 0) return undefined
      out[i] = BigInt(ms / 1000)
    } else out[i] = BigInt(ms) * factor
  }
  return a.makeData({ type, length, nullCount: col.nullCount, nullBitmap: validity(col), data: out })
}

type TypedOut =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array

/** Fills `out` from numeric storage with native conversions; undefined when a value does not fit. */
function numbers(s: Storage, length: number, out: TypedOut, integer: boolean): TypedOut | undefined {
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    if (s.kind === 'i64') {
      out.set(
        out instanceof BigUint64Array ? new BigUint64Array(s.values.buffer, s.values.byteOffset, length) : s.values,
      )
      return out
    }
    if (s.kind !== 'f64' && s.kind !== 'date') return undefined
    // 64-bit integers from doubles without a BigInt per value: write the two 32-bit halves.
    const words = new Int32Array(out.buffer)
    const v = s.values
    for (let i = 0; i < length; i++) {
      const x = v[i]!
      // A fraction, an Invalid Date (NaN; null slots hold 0) or out of range: the slow path decides.
      if (!Number.isInteger(x) || x >= TWO_63 || x < -TWO_63) return undefined
      words[2 * i] = x >>> 0
      words[2 * i + 1] = Math.floor(x / TWO_32)
    }
    return out
  }
  if (s.kind !== 'f64') return undefined
  const v = s.values.subarray(0, length)
  out.set(v)
  if (integer) {
    // Only whole numbers in range go into an integer column; anything else keeps its exact text.
    for (let i = 0; i < length; i++) if (out[i] !== v[i]) return undefined
  }
  return out
}

/** A column of nulls of any type: zeroed buffers of the right size, all bits invalid. */
export function allNull(a: Arrow, type: A.DataType, length: number): A.Data {
  const base = { length, nullCount: length, nullBitmap: new Uint8Array((length + 7) >> 3) }
  if (a.DataType.isBinary(type) || a.DataType.isUtf8(type)) {
    return a.makeData({
      type: type as A.Utf8,
      ...base,
      data: new Uint8Array(0),
      valueOffsets: new Int32Array(length + 1),
    })
  }
  if (a.DataType.isBool(type)) return a.makeData({ type, ...base, data: new Uint8Array((length + 7) >> 3) })
  if (a.DataType.isDecimal(type)) return a.makeData({ type, ...base, data: new Uint32Array(length * 4) })
  // Interval(MONTH_DAY_NANO), the one interval sqlconn makes: 16 bytes a value.
  if (a.DataType.isInterval(type)) return a.makeData({ type, ...base, data: new Int32Array(length * 4) })
  const Out = (type as A.Int).ArrayType as unknown as new (n: number) => TypedOut
  return a.makeData({ type: type as A.Int, ...base, data: new Out(length) as never })
}

/** Arrow's validity bitmap (bit set = valid) from ours (bit set = null). */
export function validity(col: ColumnData): Uint8Array | undefined {
  const nulls = col.nulls
  if (!nulls || col.nullCount === 0) return undefined
  const out = new Uint8Array((col.length + 7) >> 3)
  for (let k = 0; k < out.length; k++) out[k] = ~nulls[k]! & 0xff
  return out
}
