import type * as A from 'apache-arrow'
import { type ArrowOptions, arrowField, toArrowTable, toRecordBatch } from './arrow.js'
import { type Arrow, loadArrow } from './arrow-module.js'
import type { ColumnData } from './storage.js'
import { isNullAt, sliceData, valueAt } from './storage.js'
import type { Field, LogicalType, Schema } from './types.js'

const DATA = new WeakMap<Column, ColumnData>()

/** One column of a RowTable, shaped like apache-arrow's `Vector`. */
export class Column<T = unknown> implements Iterable<T | null> {
  // Private: a cached table is shared by every caller, so its buffers must not be reachable.
  readonly #data: ColumnData

  /** Made by a RowTable (`getChild()`, `getChildAt()`), over its column storage. */
  constructor(
    readonly field: Field,
    data: ColumnData,
  ) {
    this.#data = data
    DATA.set(this, data)
  }

  /** The column's name. */
  get name(): string {
    return this.field.name
  }

  /** The column's logical type. */
  get type(): LogicalType {
    return this.field.type
  }

  /** Number of values. */
  get length(): number {
    return this.#data.length
  }

  /** Number of nulls. */
  get nullCount(): number {
    return this.#data.nullCount
  }

  /** The value at `index` (the driver's own value), or null; out of range gives null, as in Arrow. */
  get(index: number): T | null {
    if (index < 0 || index >= this.#data.length) return null
    return valueAt(this.#data, index) as T | null
  }

  /** Like `get`, with negative indexes counting from the end. */
  at(index: number): T | null {
    return this.get(index < 0 ? this.#data.length + index : index)
  }

  /** False when the value at `index` is null. */
  isValid(index: number): boolean {
    return !isNullAt(this.#data, index)
  }

  /** Every value, in order, as a plain array. */
  toArray(): (T | null)[] {
    const n = this.#data.length
    const out = new Array<T | null>(n)
    for (let i = 0; i < n; i++) out[i] = valueAt(this.#data, i) as T | null
    return out
  }

  *[Symbol.iterator](): Iterator<T | null> {
    const n = this.#data.length
    for (let i = 0; i < n; i++) yield valueAt(this.#data, i) as T | null
  }
}

/** A column's storage, for core's codec. Internal: not exported from the package. */
export function columnData(column: Column): ColumnData {
  return DATA.get(column)!
}

/** The column storage of a table, for core's Arrow export. Set by RowTable's static block. */
let dataOf: (table: RowTable<object>) => readonly ColumnData[]

/** One RecordBatch of `table` in `a`'s classes, with `fields` as its Arrow fields (a stream's one schema). Internal. */
export function recordBatchOf(a: Arrow, table: RowTable<object>, fields: readonly A.Field[]): A.RecordBatch {
  return toRecordBatch(a, table.schema, table.schema.fields, dataOf(table), fields, true)
}

/** A row of a RowTable as a plain object. */
export type Row = Record<string, unknown>

const EMPTY_META: ReadonlyMap<string, string> = new Map()

/**
 * The result of `query()`: an immutable, column-wise table whose names follow apache-arrow's
 * `Table` (`numRows`, `schema.fields`, `getChild`, `get`, `slice`, `select`, iteration).
 * `toArrow()` gives a real Arrow table when apache-arrow is installed.
 */
// `object`, not `Row`: a row declared as an interface (no index signature) must be accepted, as
// Kysely accepts it.
export class RowTable<R extends object = Row> implements Iterable<R> {
  readonly schema: Schema
  readonly numRows: number
  #columnCache: readonly Column[] | undefined
  readonly #data: readonly ColumnData[]
  readonly #names: readonly string[]

  // Core's Arrow export reads the storage through this, with no per-table bookkeeping on the query path.
  static {
    dataOf = (table) => table.#data
  }

  /** Private: adapters build tables with TableBuilder, users with `tableFromRows()`. */
  private constructor(fields: readonly Field[], data: readonly ColumnData[], metadata: ReadonlyMap<string, string>) {
    this.schema = Object.freeze({ fields: Object.freeze([...fields]), metadata })
    this.#data = data
    this.#names = fields.map((f) => f.name)
    this.numRows = data[0]?.length ?? 0
  }

  /** Column objects, made on first use: reading rows (the common case) needs only the data. */
  get #columns(): readonly Column[] {
    this.#columnCache ??= this.schema.fields.map((f, j) => new Column(f, this.#data[j]!))
    return this.#columnCache
  }

  /** A table over finished column storage (TableBuilder, the cache codec). @internal */
  static fromColumnData(
    fields: readonly Field[],
    data: readonly ColumnData[],
    metadata: ReadonlyMap<string, string> = EMPTY_META,
  ): RowTable {
    return new RowTable(fields, data, metadata)
  }

  /** An empty table with no columns (what a statement that returns no rows gives). */
  static empty(): RowTable {
    return new RowTable([], [], EMPTY_META)
  }

  /** Number of columns. */
  get numCols(): number {
    return this.#data.length
  }

  /** The column named `name`, or null. */
  getChild<K extends keyof R & string>(name: K): Column<R[K]> | null {
    const j = this.#names.indexOf(name)
    return j < 0 ? null : (this.#columns[j] as Column<R[K]>)
  }

  /** The column at position `index`, or null. */
  getChildAt(index: number): Column | null {
    return this.#columns[index] ?? null
  }

  /** The row at `index` as an object, or null when out of range. */
  get(index: number): R | null {
    if (index < 0 || index >= this.numRows || !Number.isInteger(index)) return null
    const row: Row = {}
    const data = this.#data
    for (let j = 0; j < data.length; j++) row[this.#names[j]!] = valueAt(data[j]!, index)
    return row as R
  }

  /** Like `get`, with negative indexes counting from the end. */
  at(index: number): R | null {
    return this.get(index < 0 ? this.numRows + index : index)
  }

  *[Symbol.iterator](): Iterator<R> {
    for (let i = 0; i < this.numRows; i++) yield this.get(i)!
  }

  /** Every row as an object. */
  toArray(): R[] {
    const out = new Array<R>(this.numRows)
    for (let i = 0; i < this.numRows; i++) out[i] = this.get(i)!
    return out
  }

  /** Rows `[begin, end)`, with negative indexes counting from the end, as in `Array.prototype.slice`. */
  slice(begin = 0, end = this.numRows): RowTable<R> {
    const n = this.numRows
    const b = clamp(begin < 0 ? n + begin : begin, n)
    const e = Math.max(b, clamp(end < 0 ? n + end : end, n))
    return new RowTable(
      this.schema.fields,
      this.#data.map((d) => sliceData(d, b, e)),
      this.schema.metadata,
    ) as RowTable<R>
  }

  /** A table with only the named columns, in the order given. Unknown names are an error. */
  select<K extends keyof R & string>(...names: (K | K[])[]): RowTable<Pick<R, K>> {
    const wanted = names.flat() as string[]
    const cols = wanted.map((name) => {
      const c = this.getChild(name as keyof R & string)
      if (!c) throw new RangeError(`No column "${name}" in this table; its columns are ${this.#names.join(', ')}.`)
      return c
    })
    return new RowTable(
      cols.map((c) => c.field),
      cols.map((c) => DATA.get(c)!),
      this.schema.metadata,
    ) as unknown as RowTable<Pick<R, K>>
  }

  /** The table with `metadata` replacing its schema metadata, columns in `order` (positions). @internal */
  withMetadata(metadata: ReadonlyMap<string, string>, order?: readonly number[]): RowTable<R> {
    const at = order ?? this.#data.map((_, j) => j)
    return new RowTable(
      at.map((j) => this.schema.fields[j]!),
      at.map((j) => this.#data[j]!),
      metadata,
    ) as RowTable<R>
  }

  /**
   * A real apache-arrow `Table` with each column's Arrow type. apache-arrow is an optional peer
   * dependency: install it to use this.
   */
  toArrow(options: ArrowOptions = {}): A.Table {
    return toArrowTable(this.schema, this.schema.fields, this.#data, options)
  }

  /**
   * The table as Arrow IPC bytes: the `stream` format (the default; what
   * `application/vnd.apache.arrow.stream` carries) or the `file` format (Feather v2, `.arrow`).
   * Any Arrow implementation reads them (pyarrow, Polars, DuckDB, arrow-rs, apache-arrow).
   */
  toArrowIPC(options: ArrowOptions & { format?: 'stream' | 'file' } = {}): Uint8Array {
    const a = loadArrow('RowTable.toArrowIPC()')
    const format = options.format ?? 'stream'
    if (format !== 'stream' && format !== 'file') {
      throw new RangeError(`toArrowIPC() format must be 'stream' or 'file', got ${JSON.stringify(format)}.`)
    }
    const fields = this.schema.fields
    const batch = toRecordBatch(
      a,
      this.schema,
      fields,
      this.#data,
      fields.map((f) => arrowField(a, f, options)),
      false,
    )
    return a.tableToIPC(new a.Table(batch.schema, batch), format)
  }

  /**
   * The rows as JSON-safe objects: bigints become strings (or numbers when safe), binary values
   * base64 strings, Dates ISO strings (by JSON.stringify).
   */
  toJSON(): Row[] {
    return this.toArray().map((row) => {
      const out: Row = {}
      for (const [k, v] of Object.entries(row)) out[k] = jsonSafe(v)
      return out
    })
  }

  /** A readable preview: the first rows, column names and types, and the shape. */
  toString(maxRows = 10): string {
    const names = this.#names
    const shown = Math.min(this.numRows, maxRows)
    const cells: string[][] = [names.map((n, j) => `${n} (${this.#columns[j]!.type})`)]
    for (let i = 0; i < shown; i++) cells.push(this.#columns.map((c) => preview(c.get(i))))
    const widths = names.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)))
    const line = (r: string[]) => r.map((c, j) => c.padEnd(widths[j]!)).join(' | ')
    const out = [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.slice(1).map(line)]
    if (this.numRows > shown) out.push(`… ${this.numRows - shown} more rows`)
    out.push(`[${this.numRows} rows x ${this.numCols} columns]`)
    return out.join('\n')
  }
}

function clamp(i: number, n: number): number {
  return Math.min(Math.max(Math.trunc(i), 0), n)
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  return v
}

function preview(v: unknown): string {
  let s: string
  if (v === null) s = 'null'
  else if (v instanceof Date) s = Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()
  else if (v instanceof Uint8Array)
    s = `<${v.byteLength} bytes ${Buffer.from(v.buffer, v.byteOffset, Math.min(v.byteLength, 8)).toString('hex')}${v.byteLength > 8 ? '…' : ''}>`
  else if (typeof v === 'object') s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  else s = String(v)
  return s.length > 40 ? `${s.slice(0, 39)}…` : s
}
