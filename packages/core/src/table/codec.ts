import type { ColumnData, Storage } from './storage.js'
import { columnData, RowTable } from './table.js'
import { type Ticks, wordsOf } from './ticks.js'
import type { Field, TimeUnit } from './types.js'

/** node:v8, for the columns that need V8's serializer: loaded then, not with core (a one-shot process pays for every module). */
const v8 = () => process.getBuiltinModule('node:v8')

/**
 * A columnar binary format for cache stores: a small JSON header, then each column's buffers
 * (typed arrays, packed binary, strings packed as UTF-8) 8-byte aligned. Decoding parses the header
 * and views the buffers: no per-value work, so a hit from Redis costs little more than the GET.
 * Columns of values with no fixed shape (nested objects) fall back to V8's serializer.
 *
 * Layout: "SQC3" | u32 header length | header JSON | padding to 8 | body. The marker changes with
 * the format (SQC3 added ticks columns): an entry of another format is a miss, never misread.
 */
const MAGIC = 'SQC3'

type Range = [offset: number, length: number]

type ColumnHeader = {
  n: number
  nc: number
  nulls?: Range
} & (
  | { k: 'null' }
  | { k: 'f64' | 'date' | 'bool'; v: Range }
  | { k: 'i64'; v: Range; text?: boolean }
  | { k: 'ticks'; v: Range; unit: TimeUnit; since: Ticks['since'] }
  | { k: 'bin'; d: Range; o: Range; buffer: boolean }
  | { k: 'str'; d: Range; o: Range; json: boolean }
  | { k: 'v8'; d: Range; json: boolean }
)

interface Header {
  fields: Field[]
  metadata: [string, string][]
  columns: ColumnHeader[]
}

class BodyWriter {
  readonly parts: Uint8Array[] = []
  length = 0

  /** Appends bytes at an 8-byte aligned offset; returns where they are. */
  add(bytes: ArrayBufferView): Range {
    const pad = (8 - (this.length % 8)) % 8
    if (pad) {
      this.parts.push(new Uint8Array(pad))
      this.length += pad
    }
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.parts.push(view)
    const range: Range = [this.length, view.byteLength]
    this.length += view.byteLength
    return range
  }
}

function packStrings(values: readonly unknown[], n: number): { data: Buffer; offsets: Int32Array } | undefined {
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (typeof v === 'string') bytes += Buffer.byteLength(v)
    else if (v !== null && v !== undefined) return undefined
  }
  const data = Buffer.allocUnsafe(bytes)
  const offsets = new Int32Array(n + 1)
  let pos = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (typeof v === 'string') pos += data.write(v, pos)
    offsets[i + 1] = pos
  }
  return { data, offsets }
}

function encodeColumn(data: ColumnData, body: BodyWriter): ColumnHeader {
  const base = { n: data.length, nc: data.nullCount, ...(data.nulls ? { nulls: body.add(data.nulls) } : {}) }
  const s = data.storage
  switch (s.kind) {
    case 'null':
      return { ...base, k: 'null' }
    case 'f64':
    case 'date':
    case 'bool':
      return { ...base, k: s.kind, v: body.add(s.values) }
    case 'i64':
      return { ...base, k: 'i64', v: body.add(s.values), text: s.text }
    case 'ticks':
      return { ...base, k: 'ticks', v: body.add(s.values), unit: s.unit, since: s.since }
    case 'bin':
      return { ...base, k: 'bin', d: body.add(s.data), o: body.add(s.offsets), buffer: s.buffer }
    case 'str':
      return { ...base, k: 'str', d: body.add(s.data), o: body.add(s.offsets), json: s.json }
    case 'json':
    case 'any': {
      const packed = packStrings(s.values, data.length)
      if (packed)
        return { ...base, k: 'str', d: body.add(packed.data), o: body.add(packed.offsets), json: s.kind === 'json' }
      for (const v of s.values) assertPlain(v)
      return { ...base, k: 'v8', d: body.add(v8().serialize(s.values)), json: s.kind === 'json' }
    }
  }
}

/** A value the format cannot give back identical (a class instance, a Buffer among other values). */
export class NotEncodableError extends TypeError {}

/** Throws NotEncodableError unless V8's serializer gives `v` back identical. */
function assertPlain(v: unknown, depth = 0): void {
  if (v === null || v === undefined || typeof v !== 'object') {
    if (typeof v === 'function' || typeof v === 'symbol') throw new NotEncodableError(`A ${typeof v} cannot be cached.`)
    return
  }
  if (v instanceof Date) return
  if (Buffer.isBuffer(v) || depth > 64) throw new NotEncodableError('This value cannot be cached exactly.')
  if (v instanceof Uint8Array) return
  const proto = Object.getPrototypeOf(v)
  if (Array.isArray(v)) {
    for (const x of v) assertPlain(x, depth + 1)
  } else if (proto === Object.prototype || proto === null) {
    for (const x of Object.values(v)) assertPlain(x, depth + 1)
  } else {
    throw new NotEncodableError(`A ${proto?.constructor?.name ?? 'class'} instance cannot be cached exactly.`)
  }
}

/**
 * Encodes a table for a byte or string store (see the format above), leaving `reserve` bytes in
 * front for the caller's own header. Throws NotEncodableError for values it cannot give back identical.
 */
export function encodeTable(table: RowTable, reserve = 0): Buffer {
  const body = new BodyWriter()
  const columns: ColumnHeader[] = []
  for (let j = 0; j < table.numCols; j++) columns.push(encodeColumn(columnData(table.getChildAt(j)!), body))
  const header: Header = { fields: [...table.schema.fields], metadata: [...table.schema.metadata], columns }
  const json = Buffer.from(JSON.stringify(header))
  const headEnd = 8 + json.length
  const bodyStart = headEnd + ((8 - (headEnd % 8)) % 8)
  const out = Buffer.alloc(reserve + bodyStart + body.length)
  out.write(MAGIC, reserve, 'latin1')
  out.writeUInt32LE(json.length, reserve + 4)
  json.copy(out, reserve + 8)
  let pos = reserve + bodyStart
  for (const part of body.parts) {
    out.set(part, pos)
    pos += part.byteLength
  }
  return out
}

/** Decodes what `encodeTable` produced, viewing its buffers rather than copying values. */
export function decodeTable(bytes: Uint8Array): RowTable {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) {
    throw new TypeError('Not an encoded RowTable (unknown format).')
  }
  const headerLength = buf.readUInt32LE(4)
  const header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength)) as Header
  const headEnd = 8 + headerLength
  const bodyStart = headEnd + ((8 - (headEnd % 8)) % 8)
  let body = buf.subarray(bodyStart)
  // Typed-array views need an aligned start; a buffer handed over by a client may not have one.
  if (body.byteOffset % 8 !== 0) {
    const aligned = new Uint8Array(body.byteLength)
    aligned.set(body)
    body = Buffer.from(aligned.buffer)
  }
  const ab = body.buffer
  const at = body.byteOffset
  const u8 = ([o, l]: Range) => new Uint8Array(ab, at + o, l)
  const columns = header.columns.map((c): ColumnData => {
    let storage: Storage
    switch (c.k) {
      case 'null':
        storage = { kind: 'null' }
        break
      case 'f64':
      case 'date':
        storage = { kind: c.k, values: new Float64Array(ab, at + c.v[0], c.v[1] / 8) }
        break
      case 'bool':
        storage = { kind: 'bool', values: u8(c.v) }
        break
      case 'i64':
        storage = { kind: 'i64', values: new BigInt64Array(ab, at + c.v[0], c.v[1] / 8), text: c.text }
        break
      case 'ticks': {
        const values = new BigInt64Array(ab, at + c.v[0], c.v[1] / 8)
        storage = { kind: 'ticks', values, words: wordsOf(values), unit: c.unit, since: c.since }
        break
      }
      case 'bin':
        storage = { kind: 'bin', data: u8(c.d), offsets: new Int32Array(ab, at + c.o[0], c.o[1] / 4), buffer: c.buffer }
        break
      case 'str':
        storage = {
          kind: 'str',
          data: Buffer.from(ab, at + c.d[0], c.d[1]),
          offsets: new Int32Array(ab, at + c.o[0], c.o[1] / 4),
          json: c.json,
        }
        break
      case 'v8': {
        const values = v8().deserialize(u8(c.d)) as unknown[]
        storage = c.json ? { kind: 'json', values: values as (string | null)[] } : { kind: 'any', values }
        break
      }
    }
    return { storage, nulls: c.nulls ? u8(c.nulls) : undefined, length: c.n, nullCount: c.nc }
  })
  return RowTable.fromColumnData(header.fields, columns, new Map(header.metadata))
}

/**
 * Roughly how many bytes a table holds: typed arrays exactly, strings at two bytes a character
 * plus a header, other values at a flat guess. Used for `maxEntrySize` in memory stores.
 */
export function estimateBytes(table: RowTable): number {
  let bytes = 0
  for (let j = 0; j < table.numCols; j++) {
    const { storage, nulls } = columnData(table.getChildAt(j)!)
    bytes += nulls?.byteLength ?? 0
    switch (storage.kind) {
      case 'null':
        break
      case 'bin':
      case 'str':
        bytes += storage.data.byteLength + storage.offsets.byteLength
        break
      case 'json':
      case 'any':
        for (const v of storage.values) bytes += typeof v === 'string' ? 16 + 2 * v.length : 16
        break
      default:
        bytes += storage.values.byteLength
    }
  }
  return bytes
}
