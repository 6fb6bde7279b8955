import type { FieldInit } from '../contract.js'
import type { ColumnBuffers } from './column-buffers.js'
import {
  appendColumnTo,
  appendRowsTo,
  appendValue,
  builderOver,
  type ColumnBuilder,
  columnBuffers,
} from './column-builder.js'
import type { ColumnData } from './storage.js'
import { RowTable } from './table.js'
import type { Field, LogicalType } from './types.js'

export type { FieldInit } from '../contract.js'

export { ColumnBuilder } from './column-builder.js'
export type { Decode } from './column-values.js'

/** Rows per block when TableBuilder fills a narrow result column by column (see appendRows). */
const FILL_BLOCK = 256

/**
 * From this many columns TableBuilder fills row by row (appendRowsTo): on fresh SQLite rows of 12
 * columns that took 0.8x the time of the per-column loops, while 2 integer columns took 1.25x
 * (a dispatch per value costs more than reading each short row twice).
 */
const ROW_BY_ROW_MIN_COLUMNS = 4

/**
 * Builds a RowTable column by column. Adapters read rows in the cheapest shape the driver offers
 * (arrays, not objects) and call `appendRow` for each; every adapter fills columns the same way.
 */
export class TableBuilder {
  readonly #fields: readonly FieldInit[]
  /** Each column's buffers; a ColumnBuilder is put around one only when an adapter asks (`column`). */
  readonly #columns: ColumnBuffers[]
  #builders: (ColumnBuilder | undefined)[] | undefined

  /**
   * @param fields the columns, in order; read again by `finish()`, so they must not change until then
   * @param capacity expected row count
   */
  constructor(fields: readonly FieldInit[], capacity = 1024) {
    // Not copied: a copy of every field per query cost about as much as filling a one-row result.
    this.#fields = fields
    const columns = new Array<ColumnBuffers>(fields.length)
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j]!
      columns[j] = columnBuffers(capacity, f.decode, f)
    }
    this.#columns = columns
  }

  /**
   * The builder of column `j`, for adapters whose driver hands out whole columns (DuckDB's data
   * chunks): append to every column the same number of values, nulls included.
   */
  column(j: number): ColumnBuilder {
    this.#builders ??= new Array(this.#columns.length)
    this.#builders[j] ??= builderOver(this.#columns[j]!)
    return this.#builders[j]
  }

  /** Rows appended so far. */
  get numRows(): number {
    return this.#columns[0]?.length ?? this.#rowsWithoutColumns
  }

  #rowsWithoutColumns = 0

  /** Appends one row given as an array of values in column order. */
  appendRow(values: ArrayLike<unknown>): void {
    const columns = this.#columns
    for (let j = 0; j < columns.length; j++) appendValue(columns[j]!, values[j])
    if (columns.length === 0) this.#rowsWithoutColumns++
  }

  /** Appends many rows given as arrays. */
  appendRows(rows: readonly ArrayLike<unknown>[]): void {
    const columns = this.#columns
    if (columns.length === 0) {
      this.#rowsWithoutColumns += rows.length
      return
    }
    // Nothing follows either loop: V8 runs a long fill in on-stack-replaced code, which deoptimized
    // on every call at a statement after the loop that it had never seen run.
    if (columns.length >= ROW_BY_ROW_MIN_COLUMNS) appendRowsTo(columns, rows, 0, rows.length)
    else {
      // Column by column over blocks of rows small enough to stay in cache across the columns, each
      // column's loop keeping one append path (appendColumnTo).
      for (let from = 0; from < rows.length; from += FILL_BLOCK) {
        const to = Math.min(rows.length, from + FILL_BLOCK)
        for (let j = 0; j < columns.length; j++) appendColumnTo(columns[j]!, rows, j, from, to)
      }
    }
  }

  /** The finished, immutable table. */
  finish(): RowTable {
    const data = this.#columns.map((c) => c.finish())
    const fields: Field[] = this.#fields.map((f, j) => toField(f, f.type ?? inferType(data[j]!)))
    return RowTable.fromColumnData(fields, data)
  }
}

/** A finished field; the optional parts (precision, unit, children) only when given, so schemas compare equal. */
function toField(f: FieldInit, type: LogicalType): Field {
  let field: Field = { name: f.name, type, nullable: f.nullable ?? true, dbType: f.dbType }
  if (f.precision !== undefined) field = { ...field, precision: f.precision, scale: f.scale ?? 0 }
  if (f.unit !== undefined) field = { ...field, unit: f.unit }
  if (f.children !== undefined) field = { ...field, children: f.children.map((c) => toField(c, c.type ?? 'unknown')) }
  return field
}

/**
 * True when every value is an integer (nulls are stored as 0). A loop, not `every(Number.isInteger)`:
 * a typed array's `every` calls back per value, about 25 µs for 1,000 values of an untyped SQLite
 * expression against about 1 µs here.
 */
function allIntegers(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isInteger(values[i])) return false
  return true
}

function inferType(data: ColumnData): LogicalType {
  const s = data.storage
  switch (s.kind) {
    case 'null':
      return 'null'
    case 'f64':
      return allIntegers(s.values) ? 'int64' : 'float64'
    case 'bool':
      return 'bool'
    case 'i64':
      return 'int64'
    case 'date':
      return 'timestamp'
    case 'ticks':
      return s.since === 'epoch' ? 'timestamp' : 'time'
    case 'bin':
      return 'binary'
    case 'json':
      return 'json'
    case 'str':
      return s.json ? 'json' : 'utf8'
    case 'any': {
      let seen: string | undefined
      for (const v of s.values) {
        if (v == null) continue
        const t =
          typeof v === 'string' ? 'utf8' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'json' : 'unknown'
        if (seen !== undefined && seen !== t) return 'unknown'
        seen = t
      }
      return (seen as LogicalType | undefined) ?? 'null'
    }
  }
}

/** Builds a table from row objects (for tests, adapters without array rows, and user data). */
export function tableFromRows(rows: readonly Record<string, unknown>[], fields?: readonly FieldInit[]): RowTable {
  const init = fields ?? Object.keys(rows[0] ?? {}).map((name) => ({ name }))
  const builder = new TableBuilder(init, rows.length)
  const names = init.map((f) => f.name)
  const row = new Array<unknown>(names.length)
  for (const r of rows) {
    for (let j = 0; j < names.length; j++) row[j] = r[names[j]!]
    builder.appendRow(row)
  }
  return builder.finish()
}
