import { type RowTable, TableBuilder } from '@sqlconn/core'
import type { Pool, PoolConnection, Query } from 'mysql2'
import { connectPhase, isTransientMysqlError } from './errors.js'
import type { Shape, ShapeCache } from './shapes.js'
import type { MysqlField } from './types.js'

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
  /** The result shapes this connection has read, so a repeated query works out its columns once. */
  shapes: ShapeCache
  /** The SQL texts this connection ran lately that gave a large result: how `queryTable` reads the next run. */
  sizes: RecentSizes
}

/**
 * From this many rows a whole result is read as it arrives (mysql2's `result` events, a block of
 * rows at a time into the table) rather than handed over at its end (mysql2's callback). An event
 * per row cost about a tenth of a 1,000-row, two-column read; at 100,000 rows, filling the table
 * from rows that had all been held (and moved out of the young generation) took 1.3x the raw read,
 * against 1.0x as they arrive.
 */
const CALLBACK_MAX_ROWS = 8192

/** SQL texts whose last row count a connection remembers; past this the oldest is forgotten. */
const MAX_SIZES = 512

/**
 * The recent SQL texts whose last result had more than CALLBACK_MAX_ROWS rows, with that row count,
 * so such a text is read as it arrives next time, into a table of that size from its first row.
 * Any other text is read whole: most results are small, and a large one read whole is only slower,
 * never wrong.
 */
export class RecentSizes {
  readonly #large = new Map<string, number>()

  /** The row count `sql` last gave when it was more than CALLBACK_MAX_ROWS, else undefined. */
  largeSize(sql: string): number | undefined {
    return this.#large.size > 0 ? this.#large.get(sql) : undefined
  }

  /** Records that `sql` gave `rows` rows. */
  record(sql: string, rows: number): void {
    if (rows <= CALLBACK_MAX_ROWS) {
      if (this.#large.size > 0) this.#large.delete(sql)
      return
    }
    // Map order doubles as recency.
    this.#large.delete(sql)
    if (this.#large.size >= MAX_SIZES) this.#large.delete(this.#large.keys().next().value!)
    this.#large.set(sql, rows)
  }
}

/** Rows held before they are appended column by column (see ResultReader's pending rows). */
const ROW_BLOCK = 256

/**
 * Rows a whole result holds before its table is started. A result that ends within them (most do)
 * gets a table of its exact size in one pass: no column grows, and none is copied to trim its slack
 * (a one-row result of 12 columns made a dozen typed arrays twice). Still few enough to die young.
 */
const FIRST_BLOCK = 1024

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
  /** The table being filled; made when the first rows are appended, so a short result's is of its exact size. */
  #builder: TableBuilder | undefined
  /**
   * Rows received and not yet in the builder: they go in ROW_BLOCK at a time (a whole result's first
   * FIRST_BLOCK at once), column by column (TableBuilder.appendRows' loop per column), cheaper than a
   * call per value; still few enough to die young.
   */
  readonly #pending: unknown[][] = []
  #shape: Shape | undefined
  /** The pending row count at which they are appended. */
  #flushAt: number
  #resultIndex = -1
  #sets = 0
  readonly #reader: Reader
  readonly #chunkSize: number
  readonly #onChunk: ((table: RowTable) => void) | undefined
  /** Rows a whole result read as it arrives is expected to have (its text's last count), if known. */
  #expectedRows: number | undefined

  /**
   * @param reader how values are held, from the connection's options
   * @param chunkSize rows per chunk for streams (unused for a whole result)
   * @param onChunk receives each full chunk as it fills (streams), so rows are never all held at once
   */
  constructor(reader: Reader, chunkSize = Number.POSITIVE_INFINITY, onChunk?: (table: RowTable) => void) {
    this.#reader = reader
    this.#chunkSize = chunkSize
    this.#onChunk = onChunk
    this.#flushAt = onChunk ? Math.min(ROW_BLOCK, chunkSize) : FIRST_BLOCK
  }

  /** Wires the reader to a query's `fields` event only: its rows come whole, to `tableOf`. */
  attachFields(query: Query): void {
    query.on('fields', (fields?: MysqlField[]) => this.#onFields(query, fields))
  }

  /**
   * The table of a whole result as mysql2's callback hands it over: the rows of the one result set
   * with columns this reader reads (an array of every set's rows when there were several).
   */
  tableOf(rows: unknown): RowTable {
    const set = this.#sets > 1 ? (rows as unknown[])[this.#resultIndex] : rows
    if (this.#shape !== undefined && Array.isArray(set)) {
      this.#builder = new TableBuilder(this.#shape.inits, set.length)
      this.#builder.appendRows(set as unknown[][])
    }
    return this.finish()!
  }

  /**
   * Wires the reader to a query's `fields` and `result` events. A whole result `expectedRows` long
   * (the count its SQL text gave last time) gets a table of that size at its first rows: grown by
   * doubling and then trimmed, a 100,000-row table was written to about 3.6 times its final memory,
   * and fresh memory is what a large read spends most on after the driver.
   */
  attach(query: Query, expectedRows?: number): void {
    if (expectedRows !== undefined && !this.#onChunk) {
      this.#expectedRows = expectedRows
      // No need to hold rows back for an exact-size table: they go in while still young.
      this.#flushAt = ROW_BLOCK
    }
    this.attachFields(query)
    query.on('result', (row: unknown, index?: number) => {
      if (index !== this.#resultIndex) return
      const pending = this.#pending
      pending.push(row as unknown[])
      if (pending.length === this.#flushAt) this.#flush(false)
    })
  }

  /** The table read (empty for a statement without rows); for chunks, the last partial chunk or undefined. */
  finish(): RowTable | undefined {
    if (this.#pending.length > 0) this.#flush(true)
    const builder = this.#builder
    this.#builder = undefined
    if (this.#onChunk) return builder && builder.numRows > 0 ? builder.finish() : undefined
    // A statement without rows (an INSERT, a SET) gives an empty table.
    return (builder ?? new TableBuilder(this.#shape?.inits ?? [], 1)).finish()
  }

  /** Stops reading rows (an aborted query drains into nothing). */
  discard(): void {
    this.#builder = undefined
    this.#shape = undefined
    this.#pending.length = 0
    this.#resultIndex = -2
  }

  /**
   * Appends the pending rows, starting the table if there is none: of their exact count when they
   * are the `last`, of a stream's chunk size, of the expected row count, or of twice FIRST_BLOCK for
   * a whole result that goes on (it doubles from there). Hands on a full chunk.
   */
  #flush(last: boolean): void {
    const pending = this.#pending
    let builder = this.#builder
    if (builder === undefined) {
      const capacity = this.#onChunk
        ? this.#chunkSize
        : Math.max(last ? pending.length : 2 * pending.length, this.#expectedRows ?? 0)
      builder = this.#builder = new TableBuilder(this.#shape!.inits, capacity)
    }
    builder.appendRows(pending)
    pending.length = 0
    if (this.#onChunk && builder.numRows === this.#chunkSize) {
      this.#builder = undefined
      this.#onChunk(builder.finish())
    }
    // A chunk ends at its size exactly.
    this.#flushAt = Math.min(ROW_BLOCK, this.#chunkSize - (this.#builder?.numRows ?? 0))
  }

  #onFields(query: Query, fields: MysqlField[] | undefined): void {
    const index = this.#sets++
    // Statements without rows (OK packets) and result sets after the first are not read.
    if (fields === undefined || this.#shape !== undefined || this.#resultIndex === -2) return
    // mysql2 compiles its row parser from `query.options` and the fields right after this event.
    const options = (query as unknown as { options?: { typeCast?: unknown } }).options
    const typeCastFree =
      options !== null && typeof options === 'object' && (options.typeCast === undefined || options.typeCast === true)
    const shape = this.#reader.shapes.shapeOf(fields, typeCastFree)
    if (shape.jsonText) {
      // MariaDB's JSON is UTF-8 text that only the `json` mark makes mysql2 parse: without the mark
      // (these field objects are this query's own) mysql2 reads the text as it reads any string,
      // with no per-value cost. MySQL's JSON type still needs the typeCast, which wraps every value
      // of the row in a call (about a tenth of a 100,000-row read).
      for (const j of shape.mariadbJson) (fields[j] as { extendedFormat?: string }).extendedFormat = undefined
      if (shape.jsonTypeCast) options!.typeCast = jsonAsText
    }
    this.#shape = shape
    this.#resultIndex = index
  }
}

/**
 * Runs one query on a pool connection and reads its first result set into a RowTable.
 *
 * The rows come whole through mysql2's callback, or, for a SQL text that last gave more than
 * CALLBACK_MAX_ROWS rows, into the table as they arrive (see RecentSizes). mysql2 reports a
 * connection that dies under an event-style query (no callback) on the connection, not on the
 * query, so the connection's 'error' is listened to as well. A connection that failed is destroyed
 * (the pool opens a fresh one); otherwise it is released when its result has been read. Errors
 * reach the caller through `mapError`. One promise from the pool's callback to the table: no turn
 * of the event loop is spent between them.
 */
export function queryTable(
  pool: Pool,
  sql: string,
  values: readonly unknown[],
  reader: Reader,
  signal: AbortSignal | undefined,
  mapError: (error: unknown) => unknown = (error) => error,
): Promise<RowTable> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    pool.getConnection((err, conn) => {
      if (err) reject(mapError(connectPhase(err)))
      else readTable(conn, sql, values, reader, signal, resolve, (error) => reject(mapError(error)))
    })
  })
}

/** The rest of `queryTable()`, on the connection the pool gave. */
function readTable(
  conn: PoolConnection,
  sql: string,
  values: readonly unknown[],
  reader: Reader,
  signal: AbortSignal | undefined,
  resolve: (table: RowTable) => void,
  reject: (error: unknown) => void,
): void {
  const result = new ResultReader(reader)
  let settled = false
  let disposed = false
  let queryError: unknown
  const settle = (error: unknown, table?: RowTable) => {
    if (settled) return
    settled = true
    signal?.removeEventListener('abort', onAbort)
    if (error !== undefined) reject(error)
    else resolve(table!)
  }
  const done = (table: RowTable) => {
    // An aborted read's table is empty: it says nothing of the text's size.
    if (settled) return
    reader.sizes.record(sql, table.numRows)
    settle(undefined, table)
  }
  // A connection goes back to the pool, or is destroyed, once: its error and the query's end can both report a failure.
  const dispose = (destroy: boolean) => {
    if (disposed) return
    disposed = true
    conn.off('error', onConnectionError)
    if (destroy) destroyConnection(conn)
    else conn.release()
  }
  const onAbort = () => {
    result.discard()
    settle(signal!.reason)
  }
  const onConnectionError = (error: unknown) => {
    dispose(true)
    settle(error)
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  conn.on('error', onConnectionError)
  // A text that last gave a large result is read as it arrives; any other is handed over whole.
  const expectedRows = reader.sizes.largeSize(sql)
  const whole = expectedRows === undefined
  let query: Query
  try {
    query = whole
      ? conn.query({ sql, values: values as unknown[], rowsAsArray: true }, (error: unknown, rows: unknown) => {
          dispose(error != null && isTransientMysqlError(error))
          if (error != null) settle(error)
          else done(result.tableOf(rows))
        })
      : conn.query({ sql, values: values as unknown[], rowsAsArray: true })
  } catch (error) {
    onConnectionError(error)
    return
  }
  if (whole) {
    result.attachFields(query)
    return
  }
  result.attach(query, expectedRows)
  query.on('error', (error: unknown) => {
    queryError = error
  })
  query.on('end', () => {
    dispose(queryError !== undefined && isTransientMysqlError(queryError))
    if (queryError !== undefined) settle(queryError)
    else done(result.finish()!)
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
