import type { FieldInit } from '../contract.js'
import { ColumnBuffers } from './column-buffers.js'
import { fillAny, fillBin, fillDate, fillF64, fillJson, fillPut } from './column-fill.js'
import {
  type Decode,
  decodeNow,
  grow,
  INT_TEXT,
  INT64_MAX,
  INT64_MIN,
  LITTLE_ENDIAN,
  smallIntText,
  TWO_32,
} from './column-values.js'
import type { ColumnData } from './storage.js'
import { valueAt } from './storage.js'
import { ticksOf } from './ticks.js'

/** Up to this many rows a column of int8 text writes BigInts rather than two 32-bit words (see start). */
const WORDS_MIN_CAPACITY = 8

/** The buffers the ColumnBuilder being constructed takes over (builderOver), instead of making its own. */
let adopted: ColumnBuffers | undefined

/**
 * The buffers of a new column: what TableBuilder keeps per column, with no ColumnBuilder around
 * them unless an adapter asks for one (`TableBuilder.column`).
 * @param field the column's type and unit, which say what ticks count (`decode: 'ticks'`)
 */
export function columnBuffers(
  capacity: number,
  decode: Decode | undefined,
  field: Pick<FieldInit, 'name' | 'type' | 'unit'> | undefined,
): ColumnBuffers {
  const ticks = decode === 'ticks' ? ticksOf(field ?? { name: '?' }) : undefined
  return new ColumnBuffers(capacity, decode, putNone, ticks)
}

/** A ColumnBuilder that appends to `b` (made by `columnBuffers`). */
export function builderOver(b: ColumnBuffers): ColumnBuilder {
  adopted = b
  try {
    return new ColumnBuilder()
  } finally {
    adopted = undefined
  }
}

/**
 * Fills one column. The storage is picked from the first non-null value's JS type and falls
 * back to plain JS values when a later value does not fit (SQLite columns may mix types).
 */
export class ColumnBuilder {
  /** The column's memory (column-buffers.ts), with the append path its storage takes. */
  readonly #b: ColumnBuffers

  /** Made by `TableBuilder.column()` only (see builderOver), around that column's buffers. */
  constructor() {
    // TableBuilder keeps bare buffers and puts a builder around one only when an adapter asks for it.
    if (adopted === undefined) throw new TypeError('A ColumnBuilder comes from TableBuilder.column(j).')
    this.#b = adopted
  }

  /** Number of values appended so far. */
  get length(): number {
    return this.#b.length
  }

  /** Appends one value; `null` and `undefined` are nulls. */
  append(value: unknown): void {
    appendValue(this.#b, value)
  }

  /**
   * Appends `rows[r][j]` for the rows `from` to `to` (all by default): a column of row arrays in one
   * loop, with the append path held in a local. TableBuilder fills column by column this way.
   */
  appendColumn(rows: readonly ArrayLike<unknown>[], j: number, from = 0, to = rows.length): void {
    appendColumnTo(this.#b, rows, j, from, to)
  }

  /**
   * Appends rows `from` to `to` of `values`, 64-bit integers as a driver holds them in bulk (DuckDB's
   * vectors), nulls where bit `i & 7` of `valid[i >> 3]` is clear (`valid` null: none). A column of
   * ticks copies them in one `set()`, with no BigInt per value; any other column appends them one by one.
   */
  appendInt64s(values: BigInt64Array, from: number, to: number, valid: Uint8Array | null): void {
    const b = this.#b
    if (b.kind === 'null' && b.ticks !== undefined) {
      b.kind = 'ticks'
      b.i64 = new BigInt64Array(b.capacity)
      b.put = putI64
    }
    if (b.kind !== 'ticks') {
      for (let i = from; i < to; i++)
        this.append(valid === null || (valid[i >> 3]! & (1 << (i & 7))) !== 0 ? values[i] : null)
      return
    }
    const at = b.length
    const n = to - from
    while (b.capacity < at + n) b.grow()
    const out = b.i64!
    out.set(values.subarray(from, to), at)
    b.length = at + n
    if (valid === null) return
    for (let i = from; i < to; i++) {
      if ((valid[i >> 3]! & (1 << (i & 7))) !== 0) continue
      // A null's slot holds whatever the driver left there: zeroed, so equal tables have equal bytes.
      const row = at + i - from
      out[row] = 0n
      if (!b.nulls) b.nulls = new Uint8Array((b.capacity + 7) >> 3)
      b.nulls[row >> 3]! |= 1 << (row & 7)
      b.nullCount++
    }
  }

  /** Freezes the column. The builder must not be used afterwards. */
  finish(): ColumnData {
    return this.#b.finish()
  }
}

/** Appends one value to `b`; `null` and `undefined` are nulls. */
export function appendValue(b: ColumnBuffers, value: unknown): void {
  if (value === null || value === undefined) b.appendNull(b.length)
  else if (!b.put(b, value)) appendSlow(b, value)
}

/**
 * Appends `rows[r][j]` for the rows `from` to `to` to `b`: a column of row arrays in one loop per
 * append path, the path held in a local.
 */
export function appendColumnTo(
  b: ColumnBuffers,
  rows: readonly ArrayLike<unknown>[],
  j: number,
  from: number,
  to: number,
): void {
  let r = from
  while (r < to) {
    // The loop of the column's append path runs until a value that path does not take; that value
    // starts the column or falls back to plain values, and the loop of the new path goes on.
    const put = b.put
    if (put === putF64) r = fillF64(b, rows, j, r, to)
    else if (put === putAny) r = fillAny(b, rows, j, r, to)
    else if (put === putJson) r = fillJson(b, rows, j, r, to)
    else if (put === putBin) r = fillBin(b, rows, j, r, to)
    else if (put === putDate) r = fillDate(b, rows, j, r, to)
    else r = fillPut(b, put, rows, j, r, to)
    if (r < to) appendSlow(b, rows[r++]![j])
  }
}

/**
 * Appends the rows `from` to `to` of `rows` (arrays in column order) to the columns' `buffers`, row by row:
 * TableBuilder.appendRows. Each row's values were made together by the driver, so reading them in
 * that order reads memory in the order it was written; on fresh 1,000 x 12 SQLite rows this fill
 * took 0.75-0.8x the time of the per-column loops over blocks of rows. The common append paths are
 * inlined in the loop, picked by comparing the column's `put`; any other path is called.
 */
export function appendRowsTo(
  buffers: readonly ColumnBuffers[],
  rows: readonly ArrayLike<unknown>[],
  from: number,
  to: number,
): void {
  const n = buffers.length
  for (let r = from; r < to; r++) {
    const row = rows[r]!
    for (let j = 0; j < n; j++) {
      const b = buffers[j]!
      const value = row[j]
      const put = b.put
      if (put === putF64 && typeof value === 'number') {
        const i = b.length
        if (i === b.capacity) b.grow()
        b.f64![i] = value
        b.length = i + 1
      } else if (put === putAny && value != null) {
        const i = b.length
        // Capacity tracks the null bitmap's size, which grows with it.
        if (i === b.capacity) b.grow()
        b.values![i] = value
        b.length = i + 1
      } else if (value === null || value === undefined) b.appendNull(b.length)
      else if (put === putBin && value instanceof Uint8Array && Buffer.isBuffer(value) === b.isBuffer) {
        const i = b.length
        if (i === b.capacity) b.grow()
        b.appendBytes(i, value)
      } else if (!put(b, value)) appendSlow(b, value)
    }
  }
}

/** A value the path does not take: the first non-null value starts the column, any other falls back to plain values. */
function appendSlow(b: ColumnBuffers, value: unknown): void {
  if (b.kind === 'null') {
    start(b, value)
    if (b.put(b, value)) return
  }
  toAny(b)
  b.put(b, value)
}

function putNone(): boolean {
  return false
}

function putF64(b: ColumnBuffers, value: unknown): boolean {
  if (typeof value !== 'number') return false
  const i = b.length
  if (i === b.capacity) b.grow()
  b.f64![i] = value
  b.length = i + 1
  return true
}

/** Numbers of milliseconds (`decode: 'epoch-ms'`) and Dates. */
function putEpochMs(b: ColumnBuffers, value: unknown): boolean {
  let ms: number
  if (typeof value === 'number') ms = value
  else if (value instanceof Date) ms = value.getTime()
  else return false
  const i = b.length
  if (i === b.capacity) b.grow()
  b.f64![i] = ms
  b.length = i + 1
  return true
}

function putDate(b: ColumnBuffers, value: unknown): boolean {
  if (!(value instanceof Date)) return false
  const i = b.length
  if (i === b.capacity) b.grow()
  b.f64![i] = value.getTime()
  b.length = i + 1
  return true
}

function putBool(b: ColumnBuffers, value: unknown): boolean {
  if (typeof value !== 'boolean') return false
  const i = b.length
  if (i === b.capacity) b.grow()
  b.u8![i] = value ? 1 : 0
  b.length = i + 1
  return true
}

/** BIGINTs, and the database's 64-bit ticks of a unit (`decode: 'ticks'`; `kind` tells them apart). */
function putI64(b: ColumnBuffers, value: unknown): boolean {
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) return false
  const i = b.length
  if (i === b.capacity) b.grow()
  b.i64![i] = value
  b.length = i + 1
  return true
}

/** Integers as decimal text (pg's int8): only canonical text survives the round trip ('007' or '+1' would not read back the same). */
function putI64Text(b: ColumnBuffers, value: unknown): boolean {
  if (typeof value !== 'string') return false
  if (value.length <= 16) {
    // Up to 15 digits is exact in a Number: parsed and written as two words (or, in a short column,
    // one BigInt), with no regex.
    const n = smallIntText(value)
    if (!Number.isNaN(n)) {
      const i = b.length
      if (i === b.capacity) b.grow()
      const words = b.i64Words
      if (words !== undefined) {
        words[2 * i] = n >>> 0
        words[2 * i + 1] = Math.floor(n / TWO_32)
      } else b.i64![i] = BigInt(n)
      b.length = i + 1
      return true
    }
  }
  if (!INT_TEXT.test(value)) return false
  const big = BigInt(value)
  if (big < INT64_MIN || big > INT64_MAX || big.toString() !== value) return false
  const i = b.length
  if (i === b.capacity) b.grow()
  b.i64![i] = big
  b.length = i + 1
  return true
}

function putBin(b: ColumnBuffers, value: unknown): boolean {
  if (!(value instanceof Uint8Array) || Buffer.isBuffer(value) !== b.isBuffer) return false
  const i = b.length
  if (i === b.capacity) b.grow()
  b.appendBytes(i, value)
  return true
}

/** JSON text (`decode: 'json'`), kept as text. */
function putJson(b: ColumnBuffers, value: unknown): boolean {
  if (typeof value !== 'string') return false
  const i = b.length
  // Capacity tracks the null bitmap's size, which grows with it.
  if (i === b.capacity) b.grow()
  b.values![i] = value
  b.length = i + 1
  return true
}

function putAny(b: ColumnBuffers, value: unknown): boolean {
  const i = b.length
  if (i === b.capacity) b.grow()
  b.values![i] = value
  b.length = i + 1
  return true
}

/** After a fallback, values are kept the way the decode says they read back. */
function putAnyDecoded(b: ColumnBuffers, value: unknown): boolean {
  const i = b.length
  if (i === b.capacity) b.grow()
  b.values![i] = decodeNow(b.decode!, value, b.ticks)
  b.length = i + 1
  return true
}

/** Picks the storage and append path from the first non-null value (and the decode). */
function start(b: ColumnBuffers, value: unknown): void {
  const cap = b.capacity
  if (b.decode === 'json' && typeof value === 'string') {
    b.kind = 'json'
    b.values = new Array(cap)
    b.put = putJson
  } else if (b.decode === 'epoch-ms' && typeof value === 'number') {
    b.kind = 'date'
    b.f64 = new Float64Array(cap)
    b.put = putEpochMs
  } else if (b.ticks !== undefined && typeof value === 'bigint') {
    b.kind = 'ticks'
    b.i64 = new BigInt64Array(cap)
    b.put = putI64
  } else if (b.decode === 'int64-text' && typeof value === 'string' && INT_TEXT.test(value)) {
    b.kind = 'i64'
    b.i64Text = true
    b.i64 = new BigInt64Array(cap)
    // A typed array of a few values lives on V8's heap until its `buffer` is read, which moves it off
    // the heap (about a microsecond): a short column writes its few BigInts instead.
    if (LITTLE_ENDIAN && cap > WORDS_MIN_CAPACITY) b.i64Words = new Int32Array(b.i64.buffer)
    b.put = putI64Text
  } else if (typeof value === 'number') {
    b.kind = 'f64'
    b.f64 = new Float64Array(cap)
    b.put = putF64
  } else if (typeof value === 'boolean') {
    b.kind = 'bool'
    b.u8 = new Uint8Array(cap)
    b.put = putBool
  } else if (typeof value === 'bigint') {
    b.kind = 'i64'
    b.i64 = new BigInt64Array(cap)
    b.put = putI64
  } else if (value instanceof Date) {
    b.kind = 'date'
    b.f64 = new Float64Array(cap)
    b.put = b.decode === 'epoch-ms' ? putEpochMs : putDate
  } else if (value instanceof Uint8Array) {
    b.kind = 'bin'
    b.isBuffer = Buffer.isBuffer(value)
    b.offsets = new Int32Array(cap + 1)
    b.bytes = new Uint8Array(Math.max(64, cap * 16))
    b.put = putBin
  } else {
    b.kind = 'any'
    b.values = new Array(cap)
    b.put = b.decode === undefined ? putAny : putAnyDecoded
  }
}

/** Falls back to plain values, keeping every value appended so far as it was read. */
function toAny(b: ColumnBuffers): void {
  const done = b.finish()
  const values = new Array<unknown>(b.capacity)
  for (let i = 0; i < done.length; i++) values[i] = valueAt(done, i)
  b.kind = 'any'
  b.values = values
  b.put = b.decode === undefined ? putAny : putAnyDecoded
  b.f64 = b.u8 = b.i64 = b.bytes = b.offsets = b.i64Words = undefined
  if (b.nulls) b.nulls = grow(b.nulls, (b.capacity + 7) >> 3)
}
