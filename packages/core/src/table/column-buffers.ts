import { type Decode, grow, type Kind, LITTLE_ENDIAN, trimmed } from './column-values.js'
import type { ColumnData, Storage } from './storage.js'
import { type Ticks, wordsOf } from './ticks.js'

/** An append path: writes `value` at the end of the column, or returns false when its storage cannot hold it. */
export type Put = (b: ColumnBuffers, value: unknown) => boolean

/**
 * The memory of one column being filled: the typed arrays of its storage kind, the null bitmap, and
 * how they grow and freeze. `ColumnBuilder` (column-builder.ts) decides which value goes where; it
 * keeps this object private, so none of it is public API.
 */
export class ColumnBuffers {
  kind: Kind = 'null'
  length = 0
  capacity: number
  nullCount = 0
  nulls: Uint8Array | undefined
  f64: Float64Array | undefined
  u8: Uint8Array | undefined
  i64: BigInt64Array | undefined
  /** The same memory as `i64` as 32-bit words, to write small integers without a BigInt (little-endian only). */
  i64Words: Int32Array | undefined
  bytes: Uint8Array | undefined
  byteLength = 0
  offsets: Int32Array | undefined
  isBuffer = false
  values: unknown[] | undefined
  i64Text = false
  readonly decode: Decode | undefined
  /** What the column's integers count, for `decode: 'ticks'` (see ticks.ts). */
  readonly ticks: Ticks | undefined
  /**
   * The append path of the column's storage, chosen once: at the first non-null value and again
   * only on a fallback to plain values, so no value pays a switch on the kind.
   */
  put: Put

  /**
   * @param capacity expected row count @param decode see `FieldInit.decode` @param put the path before
   * any value @param ticks what the integers count, when `decode` is `'ticks'`
   */
  constructor(capacity: number, decode: Decode | undefined, put: Put, ticks?: Ticks) {
    this.capacity = Math.max(capacity, 1)
    this.decode = decode
    this.put = put
    this.ticks = ticks
  }

  /** Freezes the column. The buffers must not be used afterwards. */
  finish(): ColumnData {
    const n = this.length
    let storage: Storage
    switch (this.kind) {
      case 'null':
        storage = { kind: 'null' }
        break
      case 'f64':
      case 'date':
        storage = { kind: this.kind, values: trimmed(this.f64!, n) }
        break
      case 'bool':
        storage = { kind: 'bool', values: trimmed(this.u8!, n) }
        break
      case 'i64':
        storage = { kind: 'i64', values: trimmed(this.i64!, n), text: this.i64Text }
        break
      case 'ticks': {
        const values = trimmed(this.i64!, n)
        storage = { kind: 'ticks', values, words: wordsOf(values), unit: this.ticks!.unit, since: this.ticks!.since }
        break
      }
      case 'bin':
        storage = {
          kind: 'bin',
          data: trimmed(this.bytes!, this.byteLength),
          offsets: trimmed(this.offsets!, n + 1),
          buffer: this.isBuffer,
        }
        break
      case 'json':
        this.values!.length = n
        storage = { kind: 'json', values: this.values as (string | null)[] }
        break
      case 'any':
        this.values!.length = n
        storage = { kind: 'any', values: this.values! }
        break
    }
    const nulls = this.nulls ? trimmed(this.nulls, (n + 7) >> 3) : undefined
    return { storage, nulls, length: n, nullCount: this.nullCount }
  }

  /** Appends a null at row `i` (the current length). */
  appendNull(i: number): void {
    if (i === this.capacity) this.grow()
    if (!this.nulls) this.nulls = new Uint8Array((this.capacity + 7) >> 3)
    this.nulls[i >> 3]! |= 1 << (i & 7)
    this.nullCount++
    if (this.kind === 'bin') this.offsets![i + 1] = this.byteLength
    else if (this.kind === 'any' || this.kind === 'json') this.values![i] = null
    this.length = i + 1
  }

  /** Appends binary `value` at row `i` (the current length) to the packed bytes. */
  appendBytes(i: number, value: Uint8Array): void {
    const need = this.byteLength + value.length
    if (need > this.bytes!.length) {
      const next = new Uint8Array(Math.max(need, this.bytes!.length * 2))
      next.set(this.bytes!.subarray(0, this.byteLength))
      this.bytes = next
    }
    const at = this.byteLength
    const len = value.length
    if (len <= 32) {
      // A loop copies a short value (a UUID, a hash) several times faster than `set()` is entered.
      const bytes = this.bytes!
      for (let k = 0; k < len; k++) bytes[at + k] = value[k]!
    } else this.bytes!.set(value, at)
    this.byteLength = need
    this.offsets![i + 1] = need
    this.length = i + 1
  }

  /** Doubles the capacity of every buffer in use. */
  grow(): void {
    const cap = this.capacity * 2
    if (this.f64) this.f64 = grow(this.f64, cap)
    if (this.u8) this.u8 = grow(this.u8, cap)
    if (this.i64) {
      this.i64 = grow(this.i64, cap)
      // A column that grows writes words from then on (see start): growing copies it anyway.
      if (this.i64Text && LITTLE_ENDIAN) this.i64Words = new Int32Array(this.i64.buffer)
    }
    if (this.offsets) this.offsets = grow(this.offsets, cap + 1)
    if (this.nulls) this.nulls = grow(this.nulls, (cap + 7) >> 3)
    this.capacity = cap
  }
}
