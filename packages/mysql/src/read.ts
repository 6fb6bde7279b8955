import { type RowTable, TableBuilder } from '@sqlconn/core'
import type { Pool, PoolConnection, Query } from 'mysql2'
import { connectPhase, isTransientMysqlError } from './errors.js'
import { fieldInits, isJson, isMariadbJson, type MysqlField } from './types.js'

/** How results are read, from the connection's options. */
export interface Reader {
  /**
   * Read JSON columns as text and parse them when a value is read (core's `decode: 'json'`):
   * the same values mysql2 builds, without a parsed object per row held in the table. Off when the
   * user gave a typeCast, asked for jsonStrings, or supportBigNumbers (mysql2 then parses big
   * numbers inside JSON its own way).
   */
  jsonAsText: boolean
  /** BIGINT arrives as decimal text (supportBigNumbers + bigNumberStrings): kept in a BigInt64Array. */
  bigintAsText: boolean
}

/** Rows held before they are appended column by column (see ResultReader's pending rows). */
const ROW_BLOCK = 256

/**
 * Rows a whole-result table starts with room for; it doubles as rows arrive (most results are small).
 * Four keeps a column's first typed arrays within V8's 64-byte on-heap size: at 32, the off-heap
 * buffers of a 12-column one-row result cost 4x as much to build (about 6 µs a read).
 */
const INITIAL_CAPACITY = 4

interface TypeCastField {
  type: string
  extendedFormat?: string
  string(encoding?: string): string | null
}

/** mysql2's typeCast that reads JSON as its text and leaves every other column to mysql2. */
function jsonAsText(field: TypeCastField, next: () => unknown): unknown {
  return field.type === 'JSON' || field.extendedFormat === 'json' ? field.string('utf8') : next()
}

/**
 * Reads the first result set of a mysql2 query into RowTables, row arrays straight into core's
 * TableBuilder as they arrive (mysql2 keeps no array of rows when no callback is given, so a row
 * array dies young). `onChunk` receives every `chunkSize` rows (streams); without it the whole
 * result becomes one table.
 */
export class ResultReader {
  #builder: TableBuilder | undefined
  /**
   * Rows received and not yet in the builder: they go in ROW_BLOCK at a time, column by column
   * (TableBuilder.appendRows' loop per column), cheaper than a call per value; still few enough to die young.
   */
  readonly #pending: unknown[][] = []
  #fields: ReturnType<typeof fieldInits> | undefined
  #resultIndex = -1
  #sets = 0
  readonly #reader: Reader
  readonly #chunkSize: number
  readonly #onChunk: ((table: RowTable) => void) | undefined

  /**
   * @param reader how values are held, from the connection's options
   * @param chunkSize rows per chunk for streams; for a whole result, the builder's first capacity
   * @param onChunk receives each full chunk as it fills (streams), so rows are never all held at once
   */
  constructor(reader: Reader, chunkSize = INITIAL_CAPACITY, onChunk?: (table: RowTable) => void) {
    this.#reader = reader
    this.#chunkSize = chunkSize
    this.#onChunk = onChunk
  }

  /** Wires the reader to a query's `fields` and `result` events. */
  attach(query: Query): void {
    query.on('fields', (fields?: MysqlField[]) => this.#onFields(query, fields))
    query.on('result', (row: unknown, index?: number) => {
      const builder = this.#builder
      if (index !== this.#resultIndex || builder === undefined) return
      const pending = this.#pending
      pending.push(row as unknown[])
      if (pending.length < ROW_BLOCK && !(this.#onChunk && builder.numRows + pending.length === this.#chunkSize)) return
      builder.appendRows(pending)
      pending.length = 0
      if (this.#onChunk && builder.numRows === this.#chunkSize) {
        const table = builder.finish()
        this.#builder = new TableBuilder(this.#fields!, this.#chunkSize)
        this.#onChunk(table)
      }
    })
  }

  /** The table read (empty for a statement without rows); for chunks, the last partial chunk or undefined. */
  finish(): RowTable | undefined {
    const builder = this.#builder
    this.#builder = undefined
    if (builder && this.#pending.length > 0) builder.appendRows(this.#pending)
    this.#pending.length = 0
    if (this.#onChunk) return builder && builder.numRows > 0 ? builder.finish() : undefined
    // A statement without rows (an INSERT, a SET) gives an empty table.
    return (builder ?? new TableBuilder([])).finish()
  }

  /** Stops reading rows (an aborted query drains into nothing). */
  discard(): void {
    this.#builder = undefined
    this.#pending.length = 0
    this.#resultIndex = -2
  }

  #onFields(query: Query, fields: MysqlField[] | undefined): void {
    const index = this.#sets++
    // Statements without rows (OK packets) and result sets after the first are not read.
    if (fields === undefined || this.#fields !== undefined || this.#resultIndex === -2) return
    // mysql2 compiles its row parser from `query.options` and the fields right after this event.
    const options = (query as unknown as { options?: { typeCast?: unknown } }).options
    const jsonText =
      this.#reader.jsonAsText &&
      fields.some(isJson) &&
      options !== null &&
      typeof options === 'object' &&
      (options.typeCast === undefined || options.typeCast === true)
    this.#fields = fieldInits(fields, { jsonAsText: jsonText, bigintAsText: this.#reader.bigintAsText })
    if (jsonText) {
      // MariaDB's JSON is UTF-8 text that only the `json` mark makes mysql2 parse: without the mark
      // (these field objects are this query's own) mysql2 reads the text as it reads any string,
      // with no per-value cost. MySQL's JSON type still needs the typeCast, which wraps every value
      // of the row in a call (about a tenth of a 100,000-row read).
      for (const f of fields) if (isMariadbJson(f)) (f as { extendedFormat?: string }).extendedFormat = undefined
      if (fields.some(isJson)) options!.typeCast = jsonAsText
    }
    this.#builder = new TableBuilder(this.#fields, this.#onChunk ? this.#chunkSize : INITIAL_CAPACITY)
    this.#resultIndex = index
  }
}

/**
 * Runs one query on a pool connection and reads its first result set into a RowTable.
 *
 * mysql2 reports a connection that dies under an event-style query (no callback) on the
 * connection, not on the query, so the connection's 'error' is listened to as well. A connection
 * that failed is destroyed (the pool opens a fresh one); otherwise it is released when its result
 * has been read.
 */
export async function queryTable(
  pool: Pool,
  sql: string,
  values: readonly unknown[],
  reader: Reader,
  signal?: AbortSignal,
): Promise<RowTable> {
  signal?.throwIfAborted()
  const conn = await getConnection(pool)
  return new Promise((resolve, reject) => {
    const result = new ResultReader(reader)
    let settled = false
    let queryError: unknown
    const settle = (error: unknown, table?: RowTable) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      if (error !== undefined) reject(error)
      else resolve(table!)
    }
    const onAbort = () => {
      result.discard()
      settle(signal!.reason)
    }
    const onConnectionError = (error: unknown) => {
      conn.off('error', onConnectionError)
      destroyConnection(conn)
      settle(error)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    conn.on('error', onConnectionError)
    let query: Query
    try {
      query = conn.query({ sql, values: values as unknown[], rowsAsArray: true })
    } catch (error) {
      onConnectionError(error)
      return
    }
    result.attach(query)
    query.on('error', (error: unknown) => {
      queryError = error
    })
    query.on('end', () => {
      conn.off('error', onConnectionError)
      if (queryError !== undefined && isTransientMysqlError(queryError)) destroyConnection(conn)
      else conn.release()
      if (queryError !== undefined) settle(queryError)
      else settle(undefined, result.finish())
    })
  })
}

/**
 * A connection from the pool (the callback API Kysely's MysqlDialect uses too). Its errors are
 * marked as raised while connecting, so the connection can report them as such.
 */
export function getConnection(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) =>
    pool.getConnection((err, conn) => (err ? reject(connectPhase(err)) : resolve(conn))),
  )
}

/**
 * Takes a connection out of the pool and closes its socket. mysql2's `destroy()` only half-closes
 * it (`socket.end()`): a server still sending a result to a paused reader would block on the
 * write (for net_write_timeout) holding its locks, so the socket itself is destroyed too.
 */
export function destroyConnection(conn: PoolConnection): void {
  conn.destroy()
  ;(conn as unknown as { stream?: { destroy?: () => void } }).stream?.destroy?.()
}
