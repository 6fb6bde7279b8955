import type { TimeUnit } from '../contract.js'
import { type Ticks, tickAt, wordsOf } from './ticks.js'

/**
 * Column storage. Numbers, booleans, bigints and timestamps live in typed arrays, binary values
 * in one packed buffer; Date objects and parsed JSON are made only when a value is read. Only
 * strings and values of no fixed shape stay as JS values.
 */
export type Storage =
  | { readonly kind: 'null' }
  | { readonly kind: 'f64'; readonly values: Float64Array }
  | { readonly kind: 'bool'; readonly values: Uint8Array }
  | {
      readonly kind: 'i64'
      readonly values: BigInt64Array
      /** true when the driver gave the values as decimal text (pg's int8): read back as text */
      readonly text?: boolean
    }
  | { readonly kind: 'date'; readonly values: Float64Array }
  | {
      /**
       * The database's own 64-bit counts of `unit` (`decode: 'ticks'`), kept exact for Arrow and the
       * cache; read back as Dates (since the epoch) or time-of-day text (since midnight).
       */
      readonly kind: 'ticks'
      readonly values: BigInt64Array
      /** The same memory as 32-bit words (`wordsOf`), to read a value without a BigInt; not encoded. */
      readonly words: Int32Array | undefined
      readonly unit: TimeUnit
      readonly since: Ticks['since']
    }
  | {
      readonly kind: 'bin'
      readonly data: Uint8Array
      readonly offsets: Int32Array
      /** true when the driver gave Buffers (they are read back as Buffers) */
      readonly buffer: boolean
    }
  | { readonly kind: 'json'; readonly values: readonly (string | null)[] }
  | {
      /** Strings packed as UTF-8 in one buffer (a table decoded from a cache): decoded when read. */
      readonly kind: 'str'
      readonly data: Buffer
      readonly offsets: Int32Array
      /** JSON text, parsed when read */
      readonly json: boolean
    }
  | { readonly kind: 'any'; readonly values: readonly unknown[] }

/** A column's data: storage plus a null bitmap (bit set = null); `undefined` when nothing is null. */
export interface ColumnData {
  readonly storage: Storage
  readonly nulls: Uint8Array | undefined
  readonly length: number
  readonly nullCount: number
}

/** True when row `i` of `data` is null. */
export function isNullAt(data: ColumnData, i: number): boolean {
  const nulls = data.nulls
  return nulls !== undefined && (nulls[i >> 3]! & (1 << (i & 7))) !== 0
}

/** The value of row `i`, in the shape the driver gave it. */
export function valueAt(data: ColumnData, i: number): unknown {
  if (isNullAt(data, i)) return null
  const s = data.storage
  switch (s.kind) {
    case 'f64':
      return s.values[i]
    case 'bool':
      return s.values[i] === 1
    case 'i64':
      return s.text ? s.values[i]!.toString() : s.values[i]
    case 'date':
      return new Date(s.values[i]!)
    case 'ticks':
      return tickAt(s, s.values, s.words, i)
    case 'bin': {
      const start = s.offsets[i]!
      const end = s.offsets[i + 1]!
      // A copy, not a view: a caller changing it must not change the (possibly cached) table.
      return s.buffer ? Buffer.from(s.data.subarray(start, end)) : s.data.slice(start, end)
    }
    case 'json': {
      const text = s.values[i]
      return text == null ? null : JSON.parse(text)
    }
    case 'any':
      return s.values[i]
    case 'str': {
      const text = s.data.toString('utf8', s.offsets[i]!, s.offsets[i + 1]!)
      return s.json ? JSON.parse(text) : text
    }
    case 'null':
      return null
  }
}

/** Rows `[begin, end)` of a column as a new ColumnData (typed arrays are copied so slices own their memory). */
export function sliceData(data: ColumnData, begin: number, end: number): ColumnData {
  const length = end - begin
  let nulls: Uint8Array | undefined
  let nullCount = 0
  if (data.nulls) {
    nulls = new Uint8Array((length + 7) >> 3)
    for (let i = 0; i < length; i++) {
      if (isNullAt(data, begin + i)) {
        nulls[i >> 3]! |= 1 << (i & 7)
        nullCount++
      }
    }
    if (nullCount === 0) nulls = undefined
  }
  const s = data.storage
  let storage: Storage
  switch (s.kind) {
    case 'null':
      storage = s
      break
    case 'f64':
    case 'date':
      storage = { kind: s.kind, values: s.values.slice(begin, end) }
      break
    case 'bool':
      storage = { kind: 'bool', values: s.values.slice(begin, end) }
      break
    case 'i64':
      storage = { kind: 'i64', values: s.values.slice(begin, end), text: s.text }
      break
    case 'ticks': {
      const values = s.values.slice(begin, end)
      storage = { ...s, values, words: wordsOf(values) }
      break
    }
    case 'bin':
    case 'str': {
      const base = s.offsets[begin]!
      const offsets = new Int32Array(length + 1)
      for (let i = 0; i <= length; i++) offsets[i] = s.offsets[begin + i]! - base
      const data = s.data.slice(base, s.offsets[end]!)
      storage =
        s.kind === 'bin'
          ? { kind: 'bin', data, offsets, buffer: s.buffer }
          : { kind: 'str', data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), offsets, json: s.json }
      break
    }
    case 'json':
    case 'any':
      storage = { kind: s.kind, values: s.values.slice(begin, end) } as Storage
      break
  }
  return { storage, nulls, length, nullCount }
}
