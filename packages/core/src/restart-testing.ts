/**
 * Test helpers for the reliability contract "a restart costs no read": many readers keep reading
 * while the test restarts the real server, and the run reports what the readers saw. Exported from
 * `@sqlconn/core/testing` so every adapter (and a third party's) measures it the same way.
 */
import type { SqlConnection } from './sql-connection.js'
import type { RowTable } from './table/table.js'

/** One restart under load: the connection, the read, and how to restart and probe the server. */
export interface RestartRun {
  /** The connection under test, with the retry settings being judged (usually the defaults). */
  conn: SqlConnection
  /** A read whose answer is known; run with `{ ttl: 0 }` so every read reaches the server. */
  sql: string
  /** True when a read's table is the right answer (row count, checksum). */
  check(table: RowTable): boolean
  /** Restarts the server; resolves when the restart command has returned. */
  restart(): Promise<void>
  /** Succeeds once a fresh driver connection gets an answer (bounded by its own timeout); throws otherwise. */
  probe(): Promise<void>
  /** Concurrent readers (default 20). */
  readers?: number
  /** How long the readers run before the restart and after the server answers again, ms (default 500). */
  settleMs?: number
}

/** What the readers saw across the restart. */
export interface RestartReport {
  /** Reads completed (answered or failed). */
  reads: number
  /** Reads that rejected. */
  failed: number
  /** Reads that answered with a wrong table. */
  wrong: number
  /** The first few failures' messages. */
  errors: string[]
  /** The slowest read, from call to answer, ms. */
  worstLatencyMs: number
  /** How long fresh connections got no answer (first failed probe to the next success), ms. */
  outageMs: number
  /** Retries the connection made (its `retry` events). */
  retries: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Waits until `probe` succeeds, trying every 100 ms for at most `timeoutMs`. Used after a restart
 * and in a `finally` that brings a stopped service back, so later tests find it answering.
 */
export async function waitUntilAnswers(probe: () => Promise<void>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      await probe()
      return
    } catch (err) {
      last = err
      await sleep(100)
    }
  }
  throw new Error(`The server did not answer within ${timeoutMs} ms: ${last instanceof Error ? last.message : last}`)
}

/**
 * Runs `readers` concurrent `query(sql, { ttl: 0 })` loops on `conn`, restarts the server under
 * them, waits until it answers again, reads on for `settleMs`, and reports every read's fate. A
 * probe (a fresh connection every 50 ms) measures the outage as a client outside the pool sees it.
 * The caller restores the service in a `finally` (see `waitUntilAnswers`).
 */
export async function readThroughRestart(run: RestartRun): Promise<RestartReport> {
  const { conn, sql } = run
  const settleMs = run.settleMs ?? 500
  const report: RestartReport = {
    reads: 0,
    failed: 0,
    wrong: 0,
    errors: [],
    worstLatencyMs: 0,
    outageMs: 0,
    retries: 0,
  }
  const onRetry = () => {
    report.retries++
  }
  conn.on('retry', onRetry)
  let reading = true
  const reader = async () => {
    while (reading) {
      const started = performance.now()
      try {
        const table = await conn.query(sql, { ttl: 0 })
        if (!run.check(table)) report.wrong++
      } catch (err) {
        report.failed++
        if (report.errors.length < 5) report.errors.push(err instanceof Error ? err.message : String(err))
      }
      report.reads++
      report.worstLatencyMs = Math.max(report.worstLatencyMs, performance.now() - started)
    }
  }
  let probing = true
  let downSince: number | undefined
  const prober = async () => {
    while (probing) {
      const at = performance.now()
      try {
        await run.probe()
        if (downSince !== undefined) {
          report.outageMs = Math.max(report.outageMs, at - downSince)
          downSince = undefined
        }
      } catch {
        downSince ??= at
      }
      await sleep(50)
    }
  }
  const readers = Array.from({ length: run.readers ?? 20 }, reader)
  const probing$ = prober()
  try {
    await sleep(settleMs)
    await run.restart()
    await waitUntilAnswers(run.probe)
    await sleep(settleMs)
  } finally {
    reading = false
    await Promise.all(readers)
    probing = false
    await probing$
    conn.off('retry', onRetry)
  }
  report.worstLatencyMs = Math.round(report.worstLatencyMs)
  report.outageMs = Math.round(report.outageMs)
  return report
}
