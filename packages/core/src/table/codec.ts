import { deserialize, serialize } from 'node:v8'
import type { ColumnData } from './storage.js'
import { RowTable } from './table.js'
import type { Field } from './types.js'

interface Encoded {
  v: 1
  fields: Field[]
  metadata: [string, string][]
  columns: ColumnData[]
}

/**
 * Encodes a table for a byte or string store. V8's structured-clone format keeps typed arrays,
 * bigints, Dates and nested JSON values exact, and our storage is already columnar, so encoding
 * copies buffers rather than walking values.
 */
export function encodeTable(table: RowTable): Buffer {
  const columns: ColumnData[] = []
  for (let j = 0; j < table.numCols; j++) columns.push(table.getChildAt(j)!.data)
  const encoded: Encoded = {
    v: 1,
    fields: [...table.schema.fields],
    metadata: [...table.schema.metadata],
    columns,
  }
  return serialize(encoded)
}

/** Decodes what `encodeTable` produced. */
export function decodeTable(bytes: Uint8Array): RowTable {
  const e = deserialize(bytes) as Encoded
  if (e?.v !== 1) throw new TypeError('Not an encoded RowTable (unknown format version).')
  return RowTable.fromColumnData(e.fields, e.columns, new Map(e.metadata))
}
