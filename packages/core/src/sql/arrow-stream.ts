import { type ArrowOptions, arrowField } from '../table/arrow.js'
import { type Arrow, loadArrow } from '../table/arrow-module.js'
import { type RowTable, recordBatchOf } from '../table/table.js'
import type { Field } from '../table/types.js'
import type { ArrowStreamOptions, Compilable, QueryOptions, StreamOptions } from './options.js'

/** The IPC stream's end marker: a continuation token and a zero length. */
const IPC_END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])

/** Bytes taken by the encapsulated IPC message at `offset`: marker, length, metadata and body. */
function ipcMessageLength(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset)
  const metadata = view.getInt32(4, true)
  // A schema message has no body; record batches are never measured here.
  return 8 + metadata
}

/**
 * A stream's Arrow fields from its first chunk. Every field is nullable: a later batch may hold the
 * first null (a NOT NULL column on a join's outer side); a column of unknown type so far is Utf8.
 */
function streamFields(a: Arrow, fields: readonly Field[], options: ArrowOptions): import('apache-arrow').Field[] {
  return fields.map((f) => arrowField(a, { ...f, type: f.type === 'null' ? 'utf8' : f.type, nullable: true }, options))
}

/**
 * `batches` as a web `ReadableStream` of Arrow IPC stream bytes, pulled one batch at a time: the
 * schema once, each batch, then the end marker. Cancelling the stream ends the generator.
 */
export function ipcStream(
  a: Arrow,
  batches: AsyncGenerator<import('apache-arrow').RecordBatch, void, undefined>,
): ReadableStream<Uint8Array> {
  let schemaSent = false
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await batches.next()
          if (next.done) {
            controller.enqueue(IPC_END_OF_STREAM.slice())
            controller.close()
            return
          }
          const batch = next.value
          // One batch as a stream is [schema][batch][end]; the schema goes out once.
          const bytes = a.tableToIPC(new a.Table(batch.schema, batch), 'stream')
          const schemaLength = ipcMessageLength(bytes, 0)
          controller.enqueue(bytes.subarray(schemaSent ? schemaLength : 0, bytes.byteLength - IPC_END_OF_STREAM.length))
          schemaSent = true
        } catch (err) {
          controller.error(err)
        }
      },
      async cancel() {
        await batches.return()
      },
    },
    { highWaterMark: 0 },
  )
}

/** The part of a connection `arrowBatches()` reads through. */
interface Readable {
  stream(query: string | Compilable, options: StreamOptions): AsyncIterable<RowTable>
  query(query: string | Compilable, options: QueryOptions): Promise<RowTable>
}

/**
 * `SqlConnection.streamArrow()`: the stream's chunks as RecordBatches of one schema, taken from the
 * first chunk; an empty result gives one empty batch, its columns read from the (empty) result.
 */
export async function* arrowBatches(
  conn: Readable,
  query: string | Compilable,
  options: ArrowStreamOptions,
): AsyncGenerator<import('apache-arrow').RecordBatch, void, undefined> {
  const a = loadArrow('SqlConnection.streamArrow()')
  let fields: import('apache-arrow').Field[] | undefined
  const chunkSize = options.batchSize ?? 10_000
  for await (const chunk of conn.stream(query, { params: options.params, chunkSize, signal: options.signal })) {
    fields ??= streamFields(a, chunk.schema.fields, options)
    yield recordBatchOf(a, chunk, fields)
  }
  if (!fields) {
    // No rows, so no chunk named the columns: read them from the (empty) result itself.
    const empty = await conn.query(query, { params: options.params, cache: false, signal: options.signal })
    yield recordBatchOf(a, empty.slice(0, 0), streamFields(a, empty.schema.fields, options))
  }
}
