import type * as A from 'apache-arrow'
import { validity } from './arrow-data.js'
import type { Arrow } from './arrow-module.js'
import { type ColumnData, isNullAt } from './storage.js'
import type { TimeUnit } from './types.js'

/** Arrow's TimeUnit values, without importing the enum. */
const ARROW_UNIT: Record<TimeUnit, number> = { s: 0, ms: 1, us: 2, ns: 3 }

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * Timestamp(unit) or Time64(unit) from a column of ticks of that same unit: one copy of the integers
 * the database gave (a copy, since the table may be cached and an Arrow vector's `set()` must not reach
 * it). Undefined for any other storage or unit, which the caller converts value by value or as text.
 */
export function ticksData(a: Arrow, type: A.DataType, col: ColumnData): A.Data | undefined {
  const s = col.storage
  if (s.kind !== 'ticks') return undefined
  const fits =
    (a.DataType.isTimestamp(type) && s.since === 'epoch') || (a.DataType.isTime(type) && s.since === 'midnight')
  if (!fits || (type as A.Timestamp | A.Time).unit !== ARROW_UNIT[s.unit] || type.ArrayType !== BigInt64Array) {
    return undefined
  }
  return a.makeData({
    type: type as A.Timestamp,
    length: col.length,
    nullCount: col.nullCount,
    nullBitmap: validity(col),
    data: s.values.slice(0, col.length),
  })
}

/**
 * Interval(MONTH_DAY_NANO) from `{ months, days, micros }` values (@duckdb/node-api's) or
 * `{ months, days, nanos }`: months and days as int32, the rest as int64 nanoseconds, written straight
 * into Arrow's layout. Undefined when a value has another shape or does not fit (microseconds past
 * 292 years in nanoseconds), so the column keeps every value as text.
 */
export function intervalData(a: Arrow, type: A.Interval, col: ColumnData): A.Data | undefined {
  const s = col.storage
  if (s.kind !== 'any') return undefined
  const length = col.length
  const words = new Int32Array(length * 4)
  const wide = new BigInt64Array(words.buffer)
  for (let i = 0; i < length; i++) {
    if (isNullAt(col, i)) continue
    const v = s.values[i] as { months?: unknown; days?: unknown; micros?: unknown; nanos?: unknown } | null
    if (v === null || typeof v !== 'object') return undefined
    const { months, days } = v
    if (!isInt32(months) || !isInt32(days)) return undefined
    const nanos =
      v.micros !== undefined ? toBig(v.micros, 1000n) : v.nanos !== undefined ? toBig(v.nanos, 1n) : undefined
    if (nanos === undefined || nanos < INT64_MIN || nanos > INT64_MAX) return undefined
    words[4 * i] = months
    words[4 * i + 1] = days
    wide[2 * i + 1] = nanos
  }
  return a.makeData({ type, length, nullCount: col.nullCount, nullBitmap: validity(col), data: words })
}

function isInt32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX
}

function toBig(v: unknown, factor: bigint): bigint | undefined {
  if (typeof v === 'bigint') return v * factor
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v) * factor
  return undefined
}
