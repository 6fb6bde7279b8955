import { createWriteStream, rmSync } from 'node:fs'
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import type { RowTable, SqlConnection } from '@sqlconn/core'
import { loadCore } from './core.js'
import { CliError } from './errors.js'
import { csvLine, type Format, jsonReplacer, write } from './output.js'

/** Options of `sqlconn query`, parsed. */
export interface QueryCommandOptions {
  /** Values for `:name` placeholders. */
  params: Record<string, string>
  format: Format
  /** A file to write instead of stdout. */
  output: string | undefined
  /** Cache the result for this long (`10m`, seconds); unset: no cache, a CLI run reads fresh rows. */
  ttl: string | undefined
  /** Rows the table format shows. */
  maxRows: number
  /** Rows per chunk read from the database when streaming. */
  chunkSize: number
  /** No row count or timing on stderr. */
  quiet: boolean
}

/** Rows so far and elapsed time on one stderr line, redrawn at most 4 times a second; only on a terminal. */
class Progress {
  readonly #started = performance.now()
  readonly #enabled: boolean
  #last = 0
  #shown = false

  constructor(enabled: boolean) {
    this.#enabled = enabled
  }

  tick(rows: number, unit = 'rows'): void {
    if (!this.#enabled) return
    const now = performance.now()
    if (now - this.#last < 250) return
    this.#last = now
    this.#shown = true
    process.stderr.write(`\r\u001b[2K${rows.toLocaleString('en-US')} ${unit}  ${seconds(now - this.#started)}`)
  }

  clear(): void {
    if (this.#shown) process.stderr.write('\r\u001b[2K')
    this.#shown = false
  }

  get elapsed(): number {
    return performance.now() - this.#started
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** How many rows have been written, for the summary and the Ctrl-C message. */
export interface QueryProgress {
  rows: number
}

/**
 * Runs `sql` on connection `name` and writes the result in `options.format`. csv, ndjson and arrow
 * are written chunk by chunk as the rows arrive (`stream()` / `streamArrowIPC()`), waiting on the
 * output's backpressure, so memory stays bounded whatever the row count; table and json read the
 * whole result through `query()` (cached when `ttl` is given).
 */
export async function runQuery(
  name: string,
  sql: string,
  options: QueryCommandOptions,
  signal: AbortSignal,
  progress: QueryProgress,
): Promise<void> {
  const core = await loadCore()
  const conn = await core.connection<SqlConnection>(name)
  const params = Object.keys(options.params).length ? options.params : undefined
  const out: Writable = options.output ? createWriteStream(options.output) : process.stdout
  const meter = new Progress(process.stderr.isTTY === true && !options.quiet)
  let ok = false
  try {
    const unit = await writeResult(conn, sql, params, options, out, signal, progress, meter)
    ok = true
    meter.clear()
    if (!options.quiet && process.stderr.isTTY) {
      process.stderr.write(`${progress.rows.toLocaleString('en-US')} ${unit} in ${seconds(meter.elapsed)}\n`)
    }
  } finally {
    meter.clear()
    if (options.output) {
      out.end()
      await finished(out).catch(() => {})
      // A cancelled or failed export leaves no half-written file to be mistaken for a result.
      if (!ok) rmSync(options.output, { force: true })
    }
  }
}

async function writeResult(
  conn: SqlConnection,
  sql: string,
  params: Record<string, string> | undefined,
  options: QueryCommandOptions,
  out: Writable,
  signal: AbortSignal,
  progress: QueryProgress,
  meter: Progress,
): Promise<string> {
  const cacheOptions = options.ttl === undefined ? { cache: false } : { ttl: options.ttl }
  switch (options.format) {
    case 'table': {
      const table = await conn.query(sql, { params, signal, ...cacheOptions })
      progress.rows = table.numRows
      await write(out, `${table.toString(options.maxRows)}\n`)
      return 'rows'
    }
    case 'json': {
      const table = await conn.query(sql, { params, signal, ...cacheOptions })
      progress.rows = table.numRows
      await write(out, `${JSON.stringify(table.toArray(), jsonReplacer, 2)}\n`)
      return 'rows'
    }
    case 'csv':
    case 'ndjson': {
      if (options.ttl !== undefined) {
        throw new CliError(
          'INVALID_ARGUMENT',
          `--ttl caches a whole result; ${options.format} is streamed. Use --format table or json with --ttl.`,
        )
      }
      let header = options.format !== 'csv'
      for await (const chunk of conn.stream(sql, { params, chunkSize: options.chunkSize, signal })) {
        if (!header) {
          await write(out, csvLine(chunk.schema.fields.map((f) => f.name)))
          header = true
        }
        await write(out, options.format === 'csv' ? csvRows(chunk) : ndjsonRows(chunk))
        progress.rows += chunk.numRows
        meter.tick(progress.rows)
      }
      if (!header) {
        // No rows, so no chunk named the columns: read them from the (empty) result itself.
        const empty = await conn.query(sql, { params, signal, cache: false })
        await write(out, csvLine(empty.schema.fields.map((f) => f.name)))
      }
      return 'rows'
    }
    case 'arrow': {
      if (options.ttl !== undefined) {
        throw new CliError(
          'INVALID_ARGUMENT',
          '--ttl caches a whole result; arrow is streamed. Use --format table or json with --ttl.',
        )
      }
      if (!options.output && process.stdout.isTTY) {
        throw new CliError(
          'INVALID_ARGUMENT',
          'Arrow IPC is binary: write it to a file with -o result.arrow, or pipe it.',
        )
      }
      const reader = conn.streamArrowIPC(sql, { params, batchSize: options.chunkSize, signal }).getReader()
      let bytes = 0
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          await write(out, value)
          bytes += value.byteLength
          meter.tick(bytes, 'bytes')
        }
      } finally {
        await reader.cancel().catch(() => {})
      }
      progress.rows = bytes
      return 'bytes'
    }
  }
}

/** A chunk's rows as CSV, by column position (a result may repeat a column name). */
function csvRows(chunk: RowTable): string {
  const columns = chunk.schema.fields.map((_, j) => chunk.getChildAt(j)!)
  const values = new Array<unknown>(columns.length)
  let text = ''
  for (let i = 0; i < chunk.numRows; i++) {
    for (let j = 0; j < columns.length; j++) values[j] = columns[j]!.get(i)
    text += csvLine(values)
  }
  return text
}

/** A chunk's rows as newline-delimited JSON objects. */
function ndjsonRows(chunk: RowTable): string {
  let text = ''
  for (const row of chunk) text += `${JSON.stringify(row, jsonReplacer)}\n`
  return text
}

/** Parses `-p name=value` into the `:name` params object; a value may hold `=`. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) {
      throw new CliError('INVALID_ARGUMENT', `-p takes name=value (for a :name placeholder), got "${pair}".`)
    }
    out[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return out
}
