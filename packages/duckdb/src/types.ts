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
  [DuckDBTypeId.TIME]: 'time',
  [DuckDBTypeId.TIME_TZ]: 'time',
  [DuckDBTypeId.TIME_NS]: 'time',
  [DuckDBTypeId.INTERVAL]: 'interval',
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
 * Types whose vector items already are the JS values sqlconn gives (numbers, bigints, booleans,
 * strings): read with `getItem`, no converter call.
 */
const DIRECT = new Set<DuckDBTypeId>([
  DuckDBTypeId.BOOLEAN,
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
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.ENUM,
])

/**
 * How the integers DuckDB keeps dates and timestamps in become milliseconds: multiplied, or divided
 * and truncated toward zero, as node-api's own Dates are (`micros / 1000n`). TIMESTAMP_NS is left to
 * node-api's conversion: its nanoseconds do not fit a double exactly. A value past the range of a
 * Date (DuckDB's infinity) reads as an Invalid Date, where node-api's conversion would fail the query.
 */
const TO_MS: Partial<Record<DuckDBTypeId, { mul: number; div: number }>> = {
  [DuckDBTypeId.DATE]: { mul: 86_400_000, div: 1 },
  [DuckDBTypeId.TIMESTAMP_S]: { mul: 1000, div: 1 },
  [DuckDBTypeId.TIMESTAMP_MS]: { mul: 1, div: 1 },
  [DuckDBTypeId.TIMESTAMP]: { mul: 1, div: 1000 },
  [DuckDBTypeId.TIMESTAMP_TZ]: { mul: 1, div: 1000 },
}

/** Columns read back as Dates from epoch milliseconds. */
const EPOCH_MS = new Set<DuckDBTypeId>([...Object.keys(TO_MS).map(Number), DuckDBTypeId.TIMESTAMP_NS])

/**
 * The fields for a result, with dates and timestamps read as epoch milliseconds (`decode:
 * 'epoch-ms'`): the column holds numbers and gives back Dates, the same Dates @duckdb/node-api's
 * JS conversion makes, without building a value object and a Date per row.
 */
export function readFields(names: readonly string[], types: readonly DuckDBType[]): FieldInit[] {
  return names.map((n, j) => {
    const f = fieldFor(n, types[j]!)
    return EPOCH_MS.has(types[j]!.typeId) ? { ...f, decode: 'epoch-ms' } : f
  })
}

/** The parts of @duckdb/node-api's date and timestamp vectors read directly (undefined in other versions). */
interface TemporalVector {
  readonly items?: BigInt64Array | Int32Array
  readonly validity?: { itemValid(i: number): boolean }
}

/** The parts of @duckdb/node-api's DECIMAL vectors read directly (undefined in other versions). */
interface DecimalVector {
  readonly dataView?: DataView
  readonly validity?: { itemValid(i: number): boolean }
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
 * integers without a DuckDBDecimalValue per row. False when the vector is not laid out as expected
 * (another node-api version), so the caller falls back to node-api's conversion.
 */
function appendDecimals(
  column: ReturnType<TableBuilder['column']>,
  vector: unknown,
  width: number,
  scale: number,
  from: number,
  to: number,
): boolean {
  const { dataView, validity } = vector as DecimalVector
  if (!(dataView instanceof DataView) || !validity || width > 18 || scale > 18) return false
  const bytes = width <= 4 ? 2 : width <= 9 ? 4 : 8
  if (dataView.byteLength < to * bytes) return false
  for (let i = from; i < to; i++) {
    if (!validity.itemValid(i)) {
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
    const toMs = TO_MS[type.typeId]
    const temporal = vector as unknown as TemporalVector
    if (DIRECT.has(type.typeId)) {
      for (let i = from; i < to; i++) column.append(vector.getItem(i))
    } else if (
      type.typeId === DuckDBTypeId.DECIMAL &&
      type.scale > 0 &&
      appendDecimals(column, vector, type.width, type.scale, from, to)
    ) {
      // Read as text from the scaled integers.
    } else if (toMs !== undefined && ArrayBuffer.isView(temporal.items) && temporal.validity) {
      // The integers DuckDB stores, straight to milliseconds: no value object, no Date per row.
      const { items, validity } = temporal
      const { mul, div } = toMs
      for (let i = from; i < to; i++) {
        column.append(validity.itemValid(i) ? Math.trunc((Number(items[i]!) * mul) / div) : null)
      }
    } else {
      for (let i = from; i < to; i++) {
        const item = vector.getItem(i)
        column.append(item === null ? null : duckdbValue(item, type, duckdbValue))
      }
    }
  }
}
