/**
 * Logical column types, named after Apache Arrow's. They say what a column *is*; the values a
 * user reads are still the driver's own (pg's int8 is a string, SQLite's DATETIME is text).
 */
export type LogicalType =
  | 'null'
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'decimal'
  | 'utf8'
  | 'binary'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'json'
  | 'uuid'
  | 'list'
  | 'struct'
  | 'map'
  | 'unknown'

/** The unit a timestamp is stored in by the database (DuckDB's TIMESTAMP_S, _MS, TIMESTAMP, _NS). */
export type TimeUnit = 's' | 'ms' | 'us' | 'ns'

/** One column's description: `dbType` is the database's own type name (`INTEGER`, `int8`, `DECIMAL(10,2)`). */
export interface Field {
  readonly name: string
  readonly type: LogicalType
  readonly nullable: boolean
  readonly dbType: string | undefined
  /** For `decimal` columns with a declared precision (`numeric(12,2)`): total digits. */
  readonly precision?: number
  /** For `decimal` columns with a declared precision: digits after the point. */
  readonly scale?: number
  /** For `timestamp`/`timestamptz` columns the database keeps in a known unit: exported to Arrow as Timestamp(unit). */
  readonly unit?: TimeUnit
  /**
   * For nested columns: a `list`'s one element field, a `struct`'s fields in order, a `map`'s key and
   * value fields. Exported to Arrow as List, Struct and Map.
   */
  readonly children?: readonly Field[]
}

/** The columns of a table, in order, as apache-arrow's `Schema`. */
export interface Schema {
  readonly fields: readonly Field[]
  /** Free-form metadata; `index` names the `indexCol` a query asked for. */
  readonly metadata: ReadonlyMap<string, string>
}
