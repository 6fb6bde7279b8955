import type * as A from 'apache-arrow'
import { validity } from './arrow-data.js'
import type { Arrow } from './arrow-module.js'
import { type ColumnData, isNullAt, valueAt } from './storage.js'

/** Utf8 data: strings laid into one UTF-8 buffer with offsets, read from the column's own array when it holds only text. */
export function textData(a: Arrow, type: A.Utf8, col: ColumnData, json = false): A.Data<A.Utf8> {
  const s = col.storage
  const length = col.length
  const base = { type, length, nullCount: col.nullCount, nullBitmap: validity(col) }
  if (s.kind === 'str') {
    return a.makeData({
      ...base,
      data: s.data.slice(0, s.offsets[length]),
      valueOffsets: s.offsets.slice(0, length + 1),
    })
  }
  let packed = s.kind === 'any' || s.kind === 'json' ? packUtf8(s.values, length) : undefined
  if (!packed) {
    const out = new Array<string>(length)
    for (let i = 0; i < length; i++) out[i] = isNullAt(col, i) ? '' : toText(valueAt(col, i), json)
    packed = packUtf8(out, length)!
  }
  return a.makeData({ ...base, data: packed.data, valueOffsets: packed.offsets })
}

/** Strings up to this length are copied character by character while they are ASCII (see packChunk). */
const SHORT_TEXT = 64

/** Rows per call of packChunk (see packUtf8). */
const PACK_CHUNK = 2048

/** The output of packUtf8 while it is being written. */
interface Packing {
  bytes: Uint8Array
  /** The same memory as `bytes`, for `Buffer.write` */
  buf: Buffer
  at: number
  readonly offsets: Int32Array
}

/**
 * Strings (null as empty) encoded as UTF-8 into one buffer with offsets, in one pass over the values;
 * undefined at the first value that is neither a string nor null (the caller makes text first).
 * One pass matters: the strings of a wide result lie scattered through the heap (the driver made them
 * row by row), and reading each one is a cache miss; a pass to check the values and another to size
 * the buffer measured as slow as the copy itself. The buffer is sized from the first strings and grows
 * by doubling. The rows go in chunks through a small function, which V8 optimizes as a whole after a
 * few calls; one long loop ran in on-stack-replaced code that kept deoptimizing at its exits.
 */
function packUtf8(values: readonly unknown[], length: number): { data: Uint8Array; offsets: Int32Array } | undefined {
  let sample = 0
  const sampled = Math.min(length, 64)
  for (let i = 0; i < sampled; i++) {
    const x = values[i]
    if (typeof x === 'string') sample += x.length
  }
  const estimate = sampled === 0 ? 0 : Math.ceil((sample / sampled) * length * 1.125)
  const bytes = new Uint8Array(Math.max(estimate, 1024))
  const p: Packing = {
    bytes,
    buf: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    at: 0,
    offsets: new Int32Array(length + 1),
  }
  for (let from = 0; from < length; from += PACK_CHUNK) {
    const at = packChunk(p, values, from, Math.min(length, from + PACK_CHUNK))
    if (at < 0) return undefined
    p.at = at
  }
  const at = p.at
  // Copied to the exact size only when the slack is worth it, since fresh memory is what this step
  // pays most for.
  const data = p.bytes.length - at > Math.max(4096, at >> 3) ? p.bytes.slice(0, at) : p.bytes.subarray(0, at)
  return { data, offsets: p.offsets }
}

/**
 * Rows `from` to `to` of packUtf8: the bytes written so far, or -1 at a value that is not text. The
 * loop is the last thing here (no store after it): V8 compiles it on the stack while it runs, and
 * that code deoptimized at every exit to a statement it had never seen run. A short ASCII string is copied a
 * character at a time (2x to 3x faster than a `Buffer.write` call, which costs more to enter than
 * to copy 20 bytes); the first character above 0x7f hands the whole string to `Buffer.write`, so
 * UTF-8 (lone surrogates included) is always Node's own encoding. A string that might not fit (3
 * bytes per UTF-16 unit at most) grows the buffer first, so no write is ever cut short.
 */
function packChunk(p: Packing, values: readonly unknown[], from: number, to: number): number {
  const offsets = p.offsets
  let bytes = p.bytes
  let at = p.at
  for (let i = from; i < to; i++) {
    const text = values[i]
    if (typeof text === 'string') {
      const n = text.length
      if (bytes.length - at < 3 * n) {
        bytes = growBytes(p, at, 3 * n)
      }
      let k = 0
      if (n <= SHORT_TEXT) {
        for (; k < n; k++) {
          const c = text.charCodeAt(k)
          if (c > 0x7f) break
          bytes[at + k] = c
        }
      }
      at += k === n ? n : p.buf.write(text, at)
    } else if (text != null) {
      return -1
    }
    offsets[i + 1] = at
  }
  return at
}

/** A buffer with room for `need` more bytes after `at`, the bytes so far copied into it. */
function growBytes(p: Packing, at: number, need: number): Uint8Array {
  const next = new Uint8Array(Math.max(p.bytes.length * 2, at + need))
  next.set(p.bytes.subarray(0, at))
  p.bytes = next
  p.buf = Buffer.from(next.buffer, next.byteOffset, next.byteLength)
  return next
}

export function toText(v: unknown, json: boolean): string {
  if (typeof v === 'string') return v
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()
  if (v instanceof Uint8Array && !json) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  return String(v)
}
