import type { ColumnData, Storage } from './storage.js'
import { valueAt } from './storage.js'
import { RowTable } from './table.js'
import type { Field, LogicalType, TimeUnit } from './types.js'

/** What an adapter knows about a column before reading it. */
export interface FieldInit {
  name: string
  /** Logical type; when omitted it is inferred from the values. */
  type?: LogicalType
  nullable?: boolean
  /** The database's own type name. */
  dbType?: string
  /** For `decimal` columns: declared precision and scale (`numeric(12,2)` is 12 and 2); exported to Arrow as Decimal128. */
  precision?: number
  /** See `precision`. */
  scale?: number
  /** For `timestamp`/`timestamptz` columns: the unit the database keeps them in (Arrow's Timestamp unit). */
  unit?: TimeUnit
  /** For `list` (one element field), `struct` (its fields) and `map` (key and value fields) columns. */
  children?: FieldInit[]
  /**
   * How the appended values relate to what a user reads, so costly values are built on read:
   * - `'json'`: JSON text, kept as text and parsed when read (the driver's parsed value, lazily);
   * - `'epoch-ms'`: numbers of milliseconds since the epoch, read back as Dates;
   * - `'int64-text'`: integers as decimal text (pg's int8), held in a BigInt64Array and read back
   *   as the same text.
   */
  decode?: Decode
}

type Kind = Exclude<Storage['kind'], 'str'>

/** See `FieldInit.decode`. */
export type Decode = 'json' | 'epoch-ms' | 'int64-text'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT_TEXT = /^-?\d{1,19}$/

/**
 * Fills one column. The storage is picked from the first non-null value's JS type and falls
 * back to plain JS values when a later value does not fit (SQLite columns may mix types).
 */
export class ColumnBuilder {
  #kind: Kind = 'null'
  #length = 0
  #capacity: number
  #nullCount = 0
  #nulls: Uint8Array | undefined
  #f64: Float64Array | undefined
  #u8: Uint8Array | undefined
  #i64: BigInt64Array | undefined
  #bytes: Uint8Array | undefined
  #byteLength = 0
  #offsets: Int32Array | undefined
  #isBuffer = false
  #values: unknown[] | undefined
  #i64Text = false
  readonly #decode: Decode | undefined

  /** @param capacity expected row count (grows as needed) @param decode see `FieldInit.decode` */
  constructor(capacity = 1024, decode?: Decode) {
    this.#capacity = Math.max(capacity, 1)
    this.#decode = decode
  }

  /** Number of values appended so far. */
  get length(): number {
    return this.#length
  }

  /** Appends one value; `null` and `undefined` are nulls. */
  append(value: unknown): void {
    const i = this.#length
    if (value === null || value === undefined) {
      this.#appendNull(i)
      return
    }
    if (i === this.#capacity) this.#grow()
    switch (this.#kind) {
      case 'f64':
        if (typeof value === 'number') {
          this.#f64![i] = value
          this.#length = i + 1
          return
        }
        break
      case 'any':
        // After a fallback, keep reading values the way the decode says they read back.
        this.#values![i] = this.#decode === undefined ? value : decodeNow(this.#decode, value)
        this.#length = i + 1
        return
      case 'json':
        if (typeof value === 'string') {
          this.#values![i] = value
          this.#length = i + 1
          return
        }
        break
      case 'bin':
        if (value instanceof Uint8Array) {
          this.#appendBytes(i, value)
          return
        }
        break
      case 'date':
        if (typeof value === 'number' && this.#decode === 'epoch-ms') {
          this.#f64![i] = value
          this.#length = i + 1
          return
        }
        if (value instanceof Date) {
          this.#f64![i] = value.getTime()
          this.#length = i + 1
          return
        }
        break
      case 'bool':
        if (typeof value === 'boolean') {
          this.#u8![i] = value ? 1 : 0
          this.#length = i + 1
          return
        }
        break
      case 'i64':
        if (this.#i64Text) {
          // Only canonical text survives the round trip ('007' or '+1' would not read back the same).
          if (typeof value === 'string' && INT_TEXT.test(value)) {
            const big = BigInt(value)
            if (big >= INT64_MIN && big <= INT64_MAX && big.toString() === value) {
              this.#i64![i] = big
              this.#length = i + 1
              return
            }
          }
        } else if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) {
          this.#i64![i] = value
          this.#length = i + 1
          return
        }
        break
      case 'null':
        this.#start(value)
        this.append(value)
        return
    }
    this.#toAny()
    this.append(value)
  }

  /** Freezes the column. The builder must not be used afterwards. */
  finish(): ColumnData {
    const n = this.#length
    let storage: Storage
    switch (this.#kind) {
      case 'null':
        storage = { kind: 'null' }
        break
      case 'f64':
      case 'date':
        storage = { kind: this.#kind, values: trimmed(this.#f64!, n) }
        break
      case 'bool':
        storage = { kind: 'bool', values: trimmed(this.#u8!, n) }
        break
      case 'i64':
        storage = { kind: 'i64', values: trimmed(this.#i64!, n), text: this.#i64Text }
        break
      case 'bin':
        storage = {
          kind: 'bin',
          data: trimmed(this.#bytes!, this.#byteLength),
          offsets: trimmed(this.#offsets!, n + 1),
          buffer: this.#isBuffer,
        }
        break
      case 'json':
        this.#values!.length = n
        storage = { kind: 'json', values: this.#values as (string | null)[] }
        break
      case 'any':
        this.#values!.length = n
        storage = { kind: 'any', values: this.#values! }
        break
    }
    const nulls = this.#nulls ? trimmed(this.#nulls, (n + 7) >> 3) : undefined
    return { storage, nulls, length: n, nullCount: this.#nullCount }
  }

  #appendNull(i: number): void {
    if (i === this.#capacity) this.#grow()
    if (!this.#nulls) this.#nulls = new Uint8Array((this.#capacity + 7) >> 3)
    this.#nulls[i >> 3]! |= 1 << (i & 7)
    this.#nullCount++
    if (this.#kind === 'bin') this.#offsets![i + 1] = this.#byteLength
    else if (this.#kind === 'any' || this.#kind === 'json') this.#values![i] = null
    this.#length = i + 1
  }

  #start(value: unknown): void {
    const cap = this.#capacity
    if (this.#decode === 'json' && typeof value === 'string') {
      this.#kind = 'json'
      this.#values = new Array(cap)
    } else if (this.#decode === 'epoch-ms' && typeof value === 'number') {
      this.#kind = 'date'
      this.#f64 = new Float64Array(cap)
    } else if (this.#decode === 'int64-text' && typeof value === 'string' && INT_TEXT.test(value)) {
      this.#kind = 'i64'
      this.#i64Text = true
      this.#i64 = new BigInt64Array(cap)
    } else if (typeof value === 'number') {
      this.#kind = 'f64'
      this.#f64 = new Float64Array(cap)
    } else if (typeof value === 'boolean') {
      this.#kind = 'bool'
      this.#u8 = new Uint8Array(cap)
    } else if (typeof value === 'bigint') {
      this.#kind = 'i64'
      this.#i64 = new BigInt64Array(cap)
    } else if (value instanceof Date) {
      this.#kind = 'date'
      this.#f64 = new Float64Array(cap)
    } else if (value instanceof Uint8Array) {
      this.#kind = 'bin'
      this.#isBuffer = Buffer.isBuffer(value)
      this.#offsets = new Int32Array(cap + 1)
      this.#bytes = new Uint8Array(Math.max(64, cap * 16))
    } else {
      this.#kind = 'any'
      this.#values = new Array(cap)
    }
  }

  #appendBytes(i: number, value: Uint8Array): void {
    if (Buffer.isBuffer(value) !== this.#isBuffer) {
      this.#toAny()
      this.append(value)
      return
    }
    const need = this.#byteLength + value.length
    if (need > this.#bytes!.length) {
      const next = new Uint8Array(Math.max(need, this.#bytes!.length * 2))
      next.set(this.#bytes!.subarray(0, this.#byteLength))
      this.#bytes = next
    }
    this.#bytes!.set(value, this.#byteLength)
    this.#byteLength = need
    this.#offsets![i + 1] = need
    this.#length = i + 1
  }

  #grow(): void {
    const cap = this.#capacity * 2
    if (this.#f64) this.#f64 = grow(this.#f64, cap)
    if (this.#u8) this.#u8 = grow(this.#u8, cap)
    if (this.#i64) this.#i64 = grow(this.#i64, cap)
    if (this.#offsets) this.#offsets = grow(this.#offsets, cap + 1)
    if (this.#nulls) this.#nulls = grow(this.#nulls, (cap + 7) >> 3)
    this.#capacity = cap
  }

  /** Falls back to plain values, keeping every value appended so far as it was read. */
  #toAny(): void {
    const done = this.finish()
    const values = new Array<unknown>(this.#capacity)
    for (let i = 0; i < done.length; i++) values[i] = valueAt(done, i)
    this.#kind = 'any'
    this.#values = values
    this.#f64 = this.#u8 = this.#i64 = this.#bytes = this.#offsets = undefined
    if (this.#nulls) this.#nulls = grow(this.#nulls, (this.#capacity + 7) >> 3)
  }
}

function decodeNow(decode: Decode, value: unknown): unknown {
  if (decode === 'json' && typeof value === 'string') return JSON.parse(value)
  if (decode === 'epoch-ms' && typeof value === 'number') return new Date(value)
  return value
}

type Typed = Float64Array | Uint8Array | BigInt64Array | Int32Array

function grow<T extends Typed>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size)
  next.set(a as never)
  return next
}

/** Copies to the exact length so a finished table holds no slack. */
function trimmed<T extends Typed>(a: T, size: number): T {
  return a.length === size ? a : (a.slice(0, size) as T)
}

/**
 * Builds a RowTable column by column. Adapters read rows in the cheapest shape the driver offers
 * (arrays, not objects) and call `appendRow` for each; every adapter fills columns the same way.
 */
export class TableBuilder {
  readonly #fields: FieldInit[]
  readonly #columns: ColumnBuilder[]

  /** @param fields the columns, in order @param capacity expected row count */
  constructor(fields: readonly FieldInit[], capacity = 1024) {
    this.#fields = fields.map((f) => ({ ...f }))
    this.#columns = fields.map((f) => new ColumnBuilder(capacity, f.decode))
  }

  /**
   * The builder of column `j`, for adapters whose driver hands out whole columns (DuckDB's data
   * chunks): append to every column the same number of values, nulls included.
   */
  column(j: number): ColumnBuilder {
    return this.#columns[j]!
  }

  /** Rows appended so far. */
  get numRows(): number {
    return this.#columns[0]?.length ?? this.#rowsWithoutColumns
  }

  #rowsWithoutColumns = 0

  /** Appends one row given as an array of values in column order. */
  appendRow(values: ArrayLike<unknown>): void {
    const columns = this.#columns
    for (let j = 0; j < columns.length; j++) columns[j]!.append(values[j])
    if (columns.length === 0) this.#rowsWithoutColumns++
  }

  /** Appends many rows given as arrays. */
  appendRows(rows: readonly ArrayLike<unknown>[]): void {
    for (let r = 0; r < rows.length; r++) this.appendRow(rows[r]!)
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

function inferType(data: ColumnData): LogicalType {
  const s = data.storage
  switch (s.kind) {
    case 'null':
      return 'null'
    case 'f64':
      return s.values.every(Number.isInteger) ? 'int64' : 'float64'
    case 'bool':
      return 'bool'
    case 'i64':
      return 'int64'
    case 'date':
      return 'timestamp'
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
