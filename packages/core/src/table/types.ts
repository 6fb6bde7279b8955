import type { LogicalType, TimeUnit } from '../contract.js'

export type { LogicalType, TimeUnit } from '../contract.js'

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
  /**
   * The unit the database keeps a column in: `timestamp`/`timestamptz` export to Arrow as
   * Timestamp(unit), `time` as Time64(unit) (`us`, `ns`), `interval` as Interval(MONTH_DAY_NANO).
   * A `time` or `interval` without a unit (MySQL's TIME) is Utf8 text.
   */
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
