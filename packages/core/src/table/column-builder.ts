import {
  type Decode,
  decodeNow,
  grow,
  INT_TEXT,
  INT64_MAX,
  INT64_MIN,
  type Kind,
  LITTLE_ENDIAN,
  smallIntText,
  TWO_32,
  trimmed,
} from './column-values.js'
import type { ColumnData, Storage } from './storage.js'
import { valueAt } from './storage.js'

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
  /** The same memory as `#i64` as 32-bit words, to write small integers without a BigInt (little-endian only). */
  #i64Words: Int32Array | undefined
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

  /**
   * The append path of the column's storage, chosen once: at the first non-null value (`#start`) and
   * again only on a fallback to plain values (`#toAny`), so no value pays a switch on the kind. It
   * returns false for a value that storage cannot hold.
   */
  #put: (b: ColumnBuilder, value: unknown) => boolean = ColumnBuilder.#putNone

  /** Appends one value; `null` and `undefined` are nulls. */
  append(value: unknown): void {
    if (value === null || value === undefined) this.#appendNull(this.#length)
    else if (!this.#put(this, value)) this.#appendSlow(value)
  }

  /**
   * Appends `rows[r][j]` for the rows `from` to `to` (all by default): a column of row arrays in one
   * loop, with the append path held in a local. TableBuilder fills column by column this way.
   */
  appendColumn(rows: readonly ArrayLike<unknown>[], j: number, from = 0, to = rows.length): void {
    let put = this.#put
    for (let r = from; r < to; r++) {
      const value = rows[r]![j]
      if (value === null || value === undefined) this.#appendNull(this.#length)
      else if (!put(this, value)) {
        this.#appendSlow(value)
        put = this.#put
      }
    }
  }

  /** A value the path does not take: the first non-null value starts the column, any other falls back to plain values. */
  #appendSlow(value: unknown): void {
    if (this.#kind === 'null') {
      this.#start(value)
      if (this.#put(this, value)) return
    }
    this.#toAny()
    this.#put(this, value)
  }

  static #putNone(): boolean {
    return false
  }

  static #putF64(b: ColumnBuilder, value: unknown): boolean {
    if (typeof value !== 'number') return false
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#f64![i] = value
    b.#length = i + 1
    return true
  }

  /** Numbers of milliseconds (`decode: 'epoch-ms'`) and Dates. */
  static #putEpochMs(b: ColumnBuilder, value: unknown): boolean {
    let ms: number
    if (typeof value === 'number') ms = value
    else if (value instanceof Date) ms = value.getTime()
    else return false
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#f64![i] = ms
    b.#length = i + 1
    return true
  }

  static #putDate(b: ColumnBuilder, value: unknown): boolean {
    if (!(value instanceof Date)) return false
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#f64![i] = value.getTime()
    b.#length = i + 1
    return true
  }

  static #putBool(b: ColumnBuilder, value: unknown): boolean {
    if (typeof value !== 'boolean') return false
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#u8![i] = value ? 1 : 0
    b.#length = i + 1
    return true
  }

  static #putI64(b: ColumnBuilder, value: unknown): boolean {
    if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) return false
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#i64![i] = value
    b.#length = i + 1
    return true
  }

  /** Integers as decimal text (pg's int8): only canonical text survives the round trip ('007' or '+1' would not read back the same). */
  static #putI64Text(b: ColumnBuilder, value: unknown): boolean {
    if (typeof value !== 'string') return false
    const words = b.#i64Words
    if (words !== undefined && value.length <= 16) {
      // Up to 15 digits is exact in a Number: parsed and written as two words, no BigInt or regex.
      const n = smallIntText(value)
      if (!Number.isNaN(n)) {
        const i = b.#length
        if (i === b.#capacity) b.#grow()
        b.#i64Words![2 * i] = n >>> 0
        b.#i64Words![2 * i + 1] = Math.floor(n / TWO_32)
        b.#length = i + 1
        return true
      }
    }
    if (!INT_TEXT.test(value)) return false
    const big = BigInt(value)
    if (big < INT64_MIN || big > INT64_MAX || big.toString() !== value) return false
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#i64![i] = big
    b.#length = i + 1
    return true
  }

  static #putBin(b: ColumnBuilder, value: unknown): boolean {
    if (!(value instanceof Uint8Array) || Buffer.isBuffer(value) !== b.#isBuffer) return false
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#appendBytes(i, value)
    return true
  }

  /** JSON text (`decode: 'json'`), kept as text. */
  static #putJson(b: ColumnBuilder, value: unknown): boolean {
    if (typeof value !== 'string') return false
    const i = b.#length
    // Capacity tracks the null bitmap's size, which grows with it.
    if (i === b.#capacity) b.#grow()
    b.#values![i] = value
    b.#length = i + 1
    return true
  }

  static #putAny(b: ColumnBuilder, value: unknown): boolean {
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#values![i] = value
    b.#length = i + 1
    return true
  }

  /** After a fallback, values are kept the way the decode says they read back. */
  static #putAnyDecoded(b: ColumnBuilder, value: unknown): boolean {
    const i = b.#length
    if (i === b.#capacity) b.#grow()
    b.#values![i] = decodeNow(b.#decode!, value)
    b.#length = i + 1
    return true
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
      this.#put = ColumnBuilder.#putJson
    } else if (this.#decode === 'epoch-ms' && typeof value === 'number') {
      this.#kind = 'date'
      this.#f64 = new Float64Array(cap)
      this.#put = ColumnBuilder.#putEpochMs
    } else if (this.#decode === 'int64-text' && typeof value === 'string' && INT_TEXT.test(value)) {
      this.#kind = 'i64'
      this.#i64Text = true
      this.#i64 = new BigInt64Array(cap)
      if (LITTLE_ENDIAN) this.#i64Words = new Int32Array(this.#i64.buffer)
      this.#put = ColumnBuilder.#putI64Text
    } else if (typeof value === 'number') {
      this.#kind = 'f64'
      this.#f64 = new Float64Array(cap)
      this.#put = ColumnBuilder.#putF64
    } else if (typeof value === 'boolean') {
      this.#kind = 'bool'
      this.#u8 = new Uint8Array(cap)
      this.#put = ColumnBuilder.#putBool
    } else if (typeof value === 'bigint') {
      this.#kind = 'i64'
      this.#i64 = new BigInt64Array(cap)
      this.#put = ColumnBuilder.#putI64
    } else if (value instanceof Date) {
      this.#kind = 'date'
      this.#f64 = new Float64Array(cap)
      this.#put = this.#decode === 'epoch-ms' ? ColumnBuilder.#putEpochMs : ColumnBuilder.#putDate
    } else if (value instanceof Uint8Array) {
      this.#kind = 'bin'
      this.#isBuffer = Buffer.isBuffer(value)
      this.#offsets = new Int32Array(cap + 1)
      this.#bytes = new Uint8Array(Math.max(64, cap * 16))
      this.#put = ColumnBuilder.#putBin
    } else {
      this.#kind = 'any'
      this.#values = new Array(cap)
      this.#put = this.#decode === undefined ? ColumnBuilder.#putAny : ColumnBuilder.#putAnyDecoded
    }
  }

  #appendBytes(i: number, value: Uint8Array): void {
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
    if (this.#i64) {
      this.#i64 = grow(this.#i64, cap)
      if (this.#i64Words) this.#i64Words = new Int32Array(this.#i64.buffer)
    }
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
    this.#put = this.#decode === undefined ? ColumnBuilder.#putAny : ColumnBuilder.#putAnyDecoded
    this.#f64 = this.#u8 = this.#i64 = this.#bytes = this.#offsets = this.#i64Words = undefined
    if (this.#nulls) this.#nulls = grow(this.#nulls, (this.#capacity + 7) >> 3)
  }
}
