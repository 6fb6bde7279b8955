import type * as A from 'apache-arrow'
import { SqlconnError } from '../errors.js'
import { slowData } from './arrow-convert.js'
import { allNull, fastData } from './arrow-data.js'
import { decimalData } from './arrow-decimal.js'
import { type Arrow, loadArrow } from './arrow-module.js'
import { intervalData, ticksData } from './arrow-temporal.js'
import { textData } from './arrow-text.js'
import type { ColumnData } from './storage.js'
import type { Field, LogicalType, Schema, TimeUnit } from './types.js'

/** How a table maps to Arrow. */
export interface ArrowOptions {
  /**
   * Mark JSON columns with Arrow's canonical `arrow.json` extension type (default true). Some readers
   * refuse extension types they do not know (Polars 1.x); `false` leaves them plain Utf8.
   */
  jsonExtension?: boolean
}

/** Largest precision Decimal128 holds; wider decimals stay text. */
const MAX_DECIMAL128_PRECISION = 38

/**
 * The Arrow field for a column: its type follows the logical type (Decimal128 for a decimal with
 * a declared precision up to 38), whatever the values turn out to be, so every batch of a stream
 * has the same schema.
 */
export function arrowField(a: Arrow, field: Field, options: ArrowOptions = {}): A.Field {
  const type = arrowType(a, field)
  const metadata = new Map<string, string>([['sqlconn.type', field.type]])
  if (field.dbType) metadata.set('sqlconn.dbType', field.dbType)
  if (field.type === 'json' && options.jsonExtension !== false) metadata.set('ARROW:extension:name', 'arrow.json')
  return new a.Field(field.name, type, field.nullable, metadata)
}

function arrowType(a: Arrow, field: Field): A.DataType {
  switch (field.type) {
    case 'null':
      return new a.Null()
    case 'bool':
      return new a.Bool()
    case 'int8':
      return new a.Int8()
    case 'int16':
      return new a.Int16()
    case 'int32':
      return new a.Int32()
    case 'int64':
      return new a.Int64()
    case 'uint8':
      return new a.Uint8()
    case 'uint16':
      return new a.Uint16()
    case 'uint32':
      return new a.Uint32()
    case 'uint64':
      return new a.Uint64()
    case 'float32':
      return new a.Float32()
    case 'float64':
      return new a.Float64()
    case 'binary':
      return new a.Binary()
    case 'date':
      return new a.DateMillisecond()
    case 'timestamp':
    case 'timestamptz':
      return timestampType(a, field.unit ?? 'ms', field.type === 'timestamptz' ? 'UTC' : undefined)
    case 'time':
      // Only a time the adapter holds exactly (ticks of a unit) is Time64; MySQL's TIME (up to 838
      // hours, no unit) and the rest stay text.
      if (field.unit === 'us') return new a.TimeMicrosecond()
      if (field.unit === 'ns') return new a.TimeNanosecond()
      return new a.Utf8()
    case 'interval':
      return field.unit === 'us' || field.unit === 'ns' ? new a.IntervalMonthDayNano() : new a.Utf8()
    case 'decimal':
      return isDecimal128(field) ? new a.Decimal(field.scale ?? 0, field.precision!, 128) : new a.Utf8()
    case 'list':
      return field.children?.length === 1 ? new a.List(childField(a, field.children[0]!)) : new a.Utf8()
    case 'struct':
      return field.children?.length ? new a.Struct(field.children.map((c) => childField(a, c))) : new a.Utf8()
    case 'map':
      if (field.children?.length !== 2) return new a.Utf8()
      return new a.Map_(
        new a.Field(
          'entries',
          new a.Struct([childField(a, { ...field.children[0]!, nullable: false }), childField(a, field.children[1]!)]),
          false,
        ) as never,
      )
    default:
      // json, uuid, unknown: text keeps every value exact.
      return new a.Utf8()
  }
}

function timestampType(a: Arrow, unit: TimeUnit, zone: string | undefined): A.Timestamp {
  if (unit === 's') return new a.TimestampSecond(zone)
  if (unit === 'us') return new a.TimestampMicrosecond(zone)
  if (unit === 'ns') return new a.TimestampNanosecond(zone)
  return new a.TimestampMillisecond(zone)
}

/**
 * The Arrow field of a nested column's child. Values inside lists, structs and maps are converted
 * one by one, so a decimal, a time or an interval there stays exact as text.
 */
function childField(a: Arrow, field: Field): A.Field {
  const asText = field.type === 'decimal' || field.type === 'time' || field.type === 'interval'
  const type = asText ? new a.Utf8() : arrowType(a, field)
  return new a.Field(field.name, type, field.nullable)
}

function isDecimal128(field: Field): boolean {
  const p = field.precision
  return p !== undefined && p >= 1 && p <= MAX_DECIMAL128_PRECISION && (field.scale ?? 0) <= p
}

/** Converts columns to an apache-arrow Table: one record batch, laid out from the column storage. */
export function toArrowTable(
  schema: Schema,
  fields: readonly Field[],
  data: readonly ColumnData[],
  options: ArrowOptions = {},
): A.Table {
  const a = loadArrow()
  const batch = toRecordBatch(
    a,
    schema,
    fields,
    data,
    fields.map((f) => arrowField(a, f, options)),
    false,
  )
  return new a.Table(batch.schema, batch)
}

/**
 * One RecordBatch from column storage. Typed arrays are copied with one memcpy each (the table
 * may be cached and shared: an Arrow vector's `set()` must not reach it); strings are laid into
 * one UTF-8 buffer with offsets; only decimals and values of no fixed shape are converted one by one.
 * A column whose values the Arrow type cannot hold (SQLite lets a column mix types) becomes Utf8.
 */
export function toRecordBatch(
  a: Arrow,
  schema: Schema,
  fields: readonly Field[],
  data: readonly ColumnData[],
  arrowFields: readonly A.Field[],
  /** true in a stream: the schema is fixed, a column that does not fit it is an error */
  strict: boolean,
): A.RecordBatch {
  const outFields: A.Field[] = []
  const children: A.Data[] = []
  const length = data[0]?.length ?? 0
  for (let j = 0; j < fields.length; j++) {
    let f = arrowFields[j]!
    let child = columnToData(a, f.type, data[j]!, fields[j]!.type)
    if (!child && strict) {
      throw new SqlconnError(
        'ARROW_TYPE_MISMATCH',
        `Column "${f.name}" holds values that do not fit ${f.type}, the Arrow type the stream's first batch gave it ` +
          `(SQLite lets a column mix types). Cast it in the SQL (CAST(${f.name} AS TEXT)) so every batch has one type.`,
      )
    }
    if (!child) {
      f = new a.Field(f.name, new a.Utf8(), f.nullable, f.metadata)
      child = textData(a, f.type as A.Utf8, data[j]!)
    }
    outFields.push(f)
    children.push(child)
  }
  const arrowSchema = new a.Schema(outFields, new Map(schema.metadata))
  const struct = a.makeData({ type: new a.Struct(outFields), length, nullCount: 0, children })
  return new a.RecordBatch(arrowSchema, struct)
}

/** The column as Arrow Data of `type`, or undefined when its values do not fit that type. */
function columnToData(a: Arrow, type: A.DataType, col: ColumnData, logical: LogicalType): A.Data | undefined {
  const length = col.length
  if (a.DataType.isNull(type))
    return col.nullCount === length ? a.makeData({ type, length, nullCount: length }) : undefined
  if (col.storage.kind === 'null') return allNull(a, type, length)
  if (a.DataType.isUtf8(type)) return textData(a, type, col, logical === 'json')
  if (a.DataType.isDecimal(type)) return decimalData(a, type, col)
  if (a.DataType.isInterval(type)) return intervalData(a, type, col)
  if (col.storage.kind === 'ticks') return ticksData(a, type, col) ?? slowData(a, type, col)
  return fastData(a, type, col) ?? slowData(a, type, col)
}
