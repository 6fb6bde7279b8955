import {
  arrayFromArrayValue,
  arrayFromListValue,
  bigintFromBigIntValue,
  booleanFromValue,
  bytesFromBlobValue,
  bytesFromGeometryValue,
  createDuckDBValueConverter,
  type DuckDBDataChunk,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValueConverter,
  type DuckDBVector,
  dateFromDateValue,
  dateFromTimestampMillisecondsValue,
  dateFromTimestampNanosecondsValue,
  dateFromTimestampSecondsValue,
  dateFromTimestampTZValue,
  dateFromTimestampValue,
  fromVariantValue,
  nullConverter,
  numberFromValue,
  objectArrayFromMapValue,
  objectFromIntervalValue,
  objectFromStructValue,
  objectFromUnionValue,
  stringFromValue,
  unsupportedConverter,
} from '@duckdb/node-api'
import type { FieldInit, LogicalType, TableBuilder } from '@sqlconn/core'

/**
 * How sqlconn turns DuckDB values into JS: @duckdb/node-api's own JS conversion
 * (`getColumnsJS()`/`getRowObjectsJS()`: numbers, bigints, strings, Dates, Uint8Arrays, arrays and
 * objects) except where it would lose information or give a bare number nobody can read:
 * - DECIMAL is its exact text (`'2.50'`, as its JSON conversion and pg's numeric), not a double;
 * - TIME, TIME_NS and TIME WITH TIME ZONE are their text (`'10:00:00'`), not microseconds;
 * - BIT is its text of 0s and 1s.
 * Timestamps are Dates (milliseconds); the field's `unit` says what DuckDB keeps (us, ns, ...).
 * TIMESTAMP, TIMESTAMPTZ, TIMESTAMP_NS, TIME and TIME_NS columns read these same values from DuckDB's
 * integers (see `readFields`), which core keeps exact for Arrow and the cache.
 */
export const duckdbValue: DuckDBValueConverter<unknown> = createDuckDBValueConverter<unknown>({
  [DuckDBTypeId.INVALID]: unsupportedConverter,
  [DuckDBTypeId.BOOLEAN]: booleanFromValue,
  [DuckDBTypeId.TINYINT]: numberFromValue,
  [DuckDBTypeId.SMALLINT]: numberFromValue,
  [DuckDBTypeId.INTEGER]: numberFromValue,
  [DuckDBTypeId.BIGINT]: bigintFromBigIntValue,
  [DuckDBTypeId.UTINYINT]: numberFromValue,
  [DuckDBTypeId.USMALLINT]: numberFromValue,
  [DuckDBTypeId.UINTEGER]: numberFromValue,
  [DuckDBTypeId.UBIGINT]: bigintFromBigIntValue,
  [DuckDBTypeId.FLOAT]: numberFromValue,
  [DuckDBTypeId.DOUBLE]: numberFromValue,
  [DuckDBTypeId.TIMESTAMP]: dateFromTimestampValue,
  [DuckDBTypeId.DATE]: dateFromDateValue,
  [DuckDBTypeId.TIME]: stringFromValue,
  [DuckDBTypeId.INTERVAL]: objectFromIntervalValue,
  [DuckDBTypeId.HUGEINT]: bigintFromBigIntValue,
  [DuckDBTypeId.UHUGEINT]: bigintFromBigIntValue,
  [DuckDBTypeId.VARCHAR]: stringFromValue,
  [DuckDBTypeId.BLOB]: bytesFromBlobValue,
  [DuckDBTypeId.DECIMAL]: stringFromValue,
  [DuckDBTypeId.TIMESTAMP_S]: dateFromTimestampSecondsValue,
  [DuckDBTypeId.TIMESTAMP_MS]: dateFromTimestampMillisecondsValue,
  [DuckDBTypeId.TIMESTAMP_NS]: dateFromTimestampNanosecondsValue,
  [DuckDBTypeId.ENUM]: stringFromValue,
  [DuckDBTypeId.LIST]: arrayFromListValue,
  [DuckDBTypeId.STRUCT]: objectFromStructValue,
  [DuckDBTypeId.MAP]: objectArrayFromMapValue,
  [DuckDBTypeId.ARRAY]: arrayFromArrayValue,
  [DuckDBTypeId.UUID]: stringFromValue,
  [DuckDBTypeId.UNION]: objectFromUnionValue,
  [DuckDBTypeId.BIT]: stringFromValue,
  [DuckDBTypeId.TIME_TZ]: stringFromValue,
  [DuckDBTypeId.TIMESTAMP_TZ]: dateFromTimestampTZValue,
  [DuckDBTypeId.ANY]: unsupportedConverter,
  [DuckDBTypeId.BIGNUM]: bigintFromBigIntValue,
  [DuckDBTypeId.SQLNULL]: nullConverter,
  [DuckDBTypeId.STRING_LITERAL]: unsupportedConverter,
  [DuckDBTypeId.INTEGER_LITERAL]: unsupportedConverter,
  [DuckDBTypeId.TIME_NS]: stringFromValue,
  [DuckDBTypeId.GEOMETRY]: bytesFromGeometryValue,
  [DuckDBTypeId.VARIANT]: fromVariantValue,
})

/** Logical types of DuckDB's types that map one to one. */
const SIMPLE: Partial<Record<DuckDBTypeId, LogicalType>> = {
  [DuckDBTypeId.BOOLEAN]: 'bool',
  [DuckDBTypeId.TINYINT]: 'int8',
  [DuckDBTypeId.SMALLINT]: 'int16',
  [DuckDBTypeId.INTEGER]: 'int32',
  [DuckDBTypeId.BIGINT]: 'int64',
  [DuckDBTypeId.UTINYINT]: 'uint8',
  [DuckDBTypeId.USMALLINT]: 'uint16',
  [DuckDBTypeId.UINTEGER]: 'uint32',
  [DuckDBTypeId.UBIGINT]: 'uint64',
  [DuckDBTypeId.FLOAT]: 'float32',
  [DuckDBTypeId.DOUBLE]: 'float64',
  [DuckDBTypeId.DATE]: 'date',
  [DuckDBTypeId.TIME_TZ]: 'time',
  [DuckDBTypeId.VARCHAR]: 'utf8',
  [DuckDBTypeId.ENUM]: 'utf8',
  [DuckDBTypeId.BIT]: 'utf8',
  [DuckDBTypeId.BLOB]: 'binary',
  [DuckDBTypeId.GEOMETRY]: 'binary',
  [DuckDBTypeId.UUID]: 'uuid',
  [DuckDBTypeId.SQLNULL]: 'null',
}

/** DuckDB's HUGEINT and UHUGEINT have no Arrow integer type: DuckDB's own Arrow export makes them Decimal128(38, 0). */
const WIDE_INTEGERS = new Set<DuckDBTypeId>([DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT])

/**
 * The field for a DuckDB column type: its logical type, DuckDB's type name as `dbType`, a
 * decimal's width and scale, a timestamp's unit, and the children of LIST, ARRAY, STRUCT and MAP.
 */
export function fieldFor(name: string, type: DuckDBType): FieldInit {
  const dbType = type.alias ?? type.toString()
  const base = { name, dbType }
  if (type.alias?.toUpperCase() === 'JSON' && type.typeId === DuckDBTypeId.VARCHAR) return { ...base, type: 'json' }
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL:
      return { ...base, type: 'decimal', precision: type.width, scale: type.scale }
    case DuckDBTypeId.TIMESTAMP:
      return { ...base, type: 'timestamp', unit: 'us' }
    case DuckDBTypeId.TIMESTAMP_S:
      return { ...base, type: 'timestamp', unit: 's' }
    case DuckDBTypeId.TIMESTAMP_MS:
      return { ...base, type: 'timestamp', unit: 'ms' }
    case DuckDBTypeId.TIMESTAMP_NS:
      return { ...base, type: 'timestamp', unit: 'ns' }
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { ...base, type: 'timestamptz', unit: 'us' }
    case DuckDBTypeId.TIME:
      return { ...base, type: 'time', unit: 'us' }
    case DuckDBTypeId.TIME_NS:
      return { ...base, type: 'time', unit: 'ns' }
    case DuckDBTypeId.INTERVAL:
      // node-api's { months, days, micros }: Arrow's Interval(MONTH_DAY_NANO) holds it exactly.
      return { ...base, type: 'interval', unit: 'us' }
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { ...base, type: 'list', children: [fieldFor('item', type.valueType)] }
    case DuckDBTypeId.STRUCT:
      return { ...base, type: 'struct', children: type.entryNames.map((n, i) => fieldFor(n, type.entryTypes[i]!)) }
    case DuckDBTypeId.MAP:
      return { ...base, type: 'map', children: [fieldFor('key', type.keyType), fieldFor('value', type.valueType)] }
    case DuckDBTypeId.BIGNUM:
      return { ...base, type: 'decimal' }
    default:
      if (WIDE_INTEGERS.has(type.typeId)) return { ...base, type: 'decimal', precision: 38, scale: 0 }
      return { ...base, type: SIMPLE[type.typeId] ?? 'unknown' }
  }
}

/** The fields of a result's columns. */
export function fieldsFor(names: readonly string[], types: readonly DuckDBType[]): FieldInit[] {
  return names.map((n, j) => fieldFor(n, types[j]!))
}

/**
 * Fixed-width types whose vector is a typed array of the very values node-api's `getItem` returns
 * (numbers, or bigints for BIGINT and UBIGINT): read by index, no call per value.
 */
const TYPED_ITEMS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
])

/**
 * Types whose vector items already are the JS values sqlconn gives (numbers, bigints, booleans,
 * strings): read with `getItem` when the vector is not laid out as `readDirect` expects.
 */
const DIRECT = new Set<DuckDBTypeId>([
  ...TYPED_ITEMS,
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.ENUM,
])

/**
 * How the integers DuckDB keeps dates and second or millisecond timestamps in become milliseconds:
 * multiplied, exact. A value past the range of a Date (DuckDB's infinity) reads as an Invalid Date,
 * where node-api's conversion would fail the query.
 */
const TO_MS: Partial<Record<DuckDBTypeId, number>> = {
  [DuckDBTypeId.DATE]: 86_400_000,
  [DuckDBTypeId.TIMESTAMP_S]: 1000,
  [DuckDBTypeId.TIMESTAMP_MS]: 1,
}

/**
 * Types DuckDB keeps as 64-bit counts of the field's unit (microseconds or nanoseconds since the
 * epoch or midnight): copied in bulk as core's ticks (`decode: 'ticks'`), which read back as the
 * Dates and time text node-api gives and reach Arrow and the cache with every digit.
 */
const TICKS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_TZ,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIME,
  DuckDBTypeId.TIME_NS,
])

/**
 * The fields for a result, with how each column's values are appended: dates and second or
 * millisecond timestamps as epoch milliseconds (`decode: 'epoch-ms'`), microsecond and nanosecond
 * timestamps and times as DuckDB's own integers (`decode: 'ticks'`). Either way the column gives back
 * the values @duckdb/node-api's JS conversion makes, without a value object and a Date per row.
 */
export function readFields(names: readonly string[], types: readonly DuckDBType[]): FieldInit[] {
  return names.map((n, j) => {
    const id = types[j]!.typeId
    const f = fieldFor(n, types[j]!)
    if (TICKS.has(id)) return { ...f, decode: 'ticks' }
    return TO_MS[id] !== undefined ? { ...f, decode: 'epoch-ms' } : f
  })
}

/**
 * The parts of @duckdb/node-api's vectors read directly: `items` (fixed-width types), `dataView`
 * (BOOLEAN, VARCHAR, BLOB, DECIMAL) and `validity`. Private in node-api's typings, so each is
 * checked before use, and a vector laid out otherwise (another node-api version) is read through
 * the public `getItem`.
 */
interface VectorParts {
  readonly items?: unknown
  readonly dataView?: unknown
  readonly validity?: { readonly data?: unknown; readonly offset?: unknown }
}

type Column = ReturnType<TableBuilder['column']>

/** DuckDB's null masks are 64-bit words of bits, row i at bit i: as bytes, row i is bit i & 7 of byte i >> 3 on a little-endian machine. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * A vector's null mask as bytes (bit `i & 7` of byte `i >> 3` set: row i has a value), `null` when
 * every row has one, `undefined` when the vector is not laid out as expected. node-api's own
 * `itemValid` builds two BigInts per call; this is one byte read.
 */
function validityBytes(vector: VectorParts): Uint8Array | null | undefined {
  const validity = vector.validity
  if (!LITTLE_ENDIAN || !validity || validity.offset !== 0) return undefined
  const data = validity.data
  if (data === null) return null
  if (!(data instanceof BigUint64Array)) return undefined
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

const POW10 = Array.from({ length: 19 }, (_, k) => 10 ** k)
const MAX_EXACT = 2 ** 53

/**
 * A scaled decimal integer as exact text with `scale` digits after the point, as node-api's
 * `DuckDBDecimalValue.toString()` writes it (`-0.05`, `12.50`), in double arithmetic while exact.
 */
function decimalText(n: number, scale: number): string {
  if (scale === 0) return String(n)
  const negative = n < 0
  const abs = negative ? -n : n
  const unit = POW10[scale]!
  const whole = Math.floor(abs / unit)
  const frac = String(abs - whole * unit).padStart(scale, '0')
  return `${negative ? '-' : ''}${whole}.${frac}`
}

/**
 * Appends the DECIMAL(width <= 18) values of a vector as exact text, read from DuckDB's scaled
 * integers without a DuckDBDecimalValue per row.
 */
function appendDecimals(
  column: Column,
  dataView: DataView,
  valid: Uint8Array | null,
  width: number,
  scale: number,
  from: number,
  to: number,
): boolean {
  if (width > 18 || scale > 18) return false
  const bytes = width <= 4 ? 2 : width <= 9 ? 4 : 8
  if (dataView.byteLength < to * bytes) return false
  for (let i = from; i < to; i++) {
    if (valid !== null && (valid[i >> 3]! & (1 << (i & 7))) === 0) {
      column.append(null)
      continue
    }
    if (bytes === 2) column.append(decimalText(dataView.getInt16(i * 2, true), scale))
    else if (bytes === 4) column.append(decimalText(dataView.getInt32(i * 4, true), scale))
    else {
      const big = dataView.getBigInt64(i * 8, true)
      const n = Number(big)
      if (n > -MAX_EXACT && n < MAX_EXACT) column.append(decimalText(n, scale))
      else {
        const digits = (big < 0n ? -big : big).toString().padStart(scale + 1, '0')
        column.append(`${big < 0n ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`)
      }
    }
  }
  return true
}

/**
 * Appends VARCHAR values from DuckDB's 16-byte string entries: a string of up to 12 bytes is
 * inline (length, then the bytes) and is decoded straight from the vector's memory; a longer one
 * lives elsewhere and is read through node-api (`getItem`), which fetches it from the engine.
 */
function appendStrings(
  column: Column,
  vector: DuckDBVector,
  dataView: DataView,
  valid: Uint8Array | null,
  from: number,
  to: number,
): boolean {
  if (dataView.byteLength < to * 16) return false
  const bytes = Buffer.from(dataView.buffer, dataView.byteOffset, dataView.byteLength)
  for (let i = from; i < to; i++) {
    if (valid !== null && (valid[i >> 3]! & (1 << (i & 7))) === 0) column.append(null)
    else {
      const at = i * 16
      const length = dataView.getUint32(at, true)
      column.append(length <= 12 ? bytes.toString('utf8', at + 4, at + 4 + length) : vector.getItem(i))
    }
  }
  return true
}

/**
 * Appends BLOB values as Buffers (what node-api's `getItem` gives, as a DuckDBBlobValue around a
 * copy): `getItemBytes` reads the bytes without a value object, and the column copies them once.
 */
function appendBlobs(
  column: Column,
  vector: { getItemBytes?: unknown },
  valid: Uint8Array | null,
  from: number,
  to: number,
): boolean {
  if (typeof vector.getItemBytes !== 'function') return false
  const read = vector as { getItemBytes(i: number): Uint8Array | null }
  for (let i = from; i < to; i++) {
    const b = valid !== null && (valid[i >> 3]! & (1 << (i & 7))) === 0 ? null : read.getItemBytes(i)
    // A view, not a copy: the column copies the bytes into its own buffer as it appends them.
    column.append(b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  }
  return true
}

/**
 * Appends rows `from` to `to` of one vector straight from its memory: typed arrays by index, null
 * masks as bytes, inline strings decoded in place. False when the type is not one read this way or
 * the vector is not laid out as expected; the caller then reads it through node-api.
 */
function appendDirect(column: Column, vector: DuckDBVector, type: DuckDBType, from: number, to: number): boolean {
  const parts = vector as unknown as VectorParts
  const valid = validityBytes(parts)
  if (valid === undefined || (valid !== null && valid.length < (to + 7) >> 3)) return false
  const id = type.typeId
  const isValid = (i: number) => valid === null || (valid[i >> 3]! & (1 << (i & 7))) !== 0
  if (TYPED_ITEMS.has(id)) {
    const items = parts.items
    if (!ArrayBuffer.isView(items) || (items as unknown as ArrayLike<unknown>).length < to) return false
    const values = items as unknown as ArrayLike<number | bigint>
    for (let i = from; i < to; i++) column.append(isValid(i) ? values[i] : null)
    return true
  }
  if (TICKS.has(id)) {
    const items = parts.items
    if (!(items instanceof BigInt64Array) || items.length < to) return false
    // The integers DuckDB stores, copied as they are: no value object, no BigInt, no Date per row.
    column.appendInt64s(items, from, to, valid)
    return true
  }
  const toMs = TO_MS[id]
  if (toMs !== undefined) {
    const items = parts.items
    if (!(items instanceof BigInt64Array || items instanceof Int32Array) || items.length < to) return false
    // The integers DuckDB stores, straight to milliseconds: no value object, no Date per row.
    for (let i = from; i < to; i++) column.append(isValid(i) ? Number(items[i]!) * toMs : null)
    return true
  }
  const dataView = parts.dataView
  if (!(dataView instanceof DataView)) return false
  switch (id) {
    case DuckDBTypeId.BOOLEAN:
      if (dataView.byteLength < to) return false
      for (let i = from; i < to; i++) column.append(isValid(i) ? dataView.getUint8(i) !== 0 : null)
      return true
    case DuckDBTypeId.VARCHAR:
      return appendStrings(column, vector, dataView, valid, from, to)
    case DuckDBTypeId.BLOB:
      return appendBlobs(column, vector as { getItemBytes?: unknown }, valid, from, to)
    case DuckDBTypeId.DECIMAL:
      return type.scale > 0 && appendDecimals(column, dataView, valid, type.width, type.scale, from, to)
    default:
      return false
  }
}

/** The integer inside one of node-api's timestamp or time values, null for a null. */
function tickOf(item: unknown): bigint | null {
  if (item === null || typeof item !== 'object') return null
  const v = item as { micros?: unknown; nanos?: unknown }
  const tick = v.micros ?? v.nanos
  return typeof tick === 'bigint' ? tick : null
}

/**
 * Appends rows `from` (inclusive) to `to` (exclusive) of a data chunk to the table, column by
 * column: each column's vector is read once, its values straight into that column's builder.
 */
export function appendChunk(
  builder: TableBuilder,
  chunk: DuckDBDataChunk,
  types: readonly DuckDBType[],
  from = 0,
  to = chunk.rowCount,
): void {
  for (let j = 0; j < types.length; j++) {
    const column = builder.column(j)
    const vector = chunk.getColumnVector(j)
    const type = types[j]!
    if (appendDirect(column, vector, type, from, to)) continue
    if (DIRECT.has(type.typeId)) {
      for (let i = from; i < to; i++) column.append(vector.getItem(i))
    } else if (TICKS.has(type.typeId)) {
      // node-api's value objects hold the same integers (`micros`, `nanos`) the bulk copy takes.
      for (let i = from; i < to; i++) column.append(tickOf(vector.getItem(i)))
    } else {
      for (let i = from; i < to; i++) {
        const item = vector.getItem(i)
        column.append(item === null ? null : duckdbValue(item, type, duckdbValue))
      }
    }
  }
}
