/**
 * Test helpers for the reliability contract "a restart costs no read": many readers keep reading
 * while the test restarts the real server, and the run reports what the readers saw. Exported from
 * `@sqlconn/core/testing` so every adapter (and a third party's) measures it the same way.
 */
import { exec } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { type QueryError, SqlconnError } from '../errors.js'
import type { SqlConnection } from '../sql-connection.js'
import type { RowTable } from '../table/table.js'
import { recordEvents } from './helpers.js'

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

/** What `describeRestart` needs to know about an adapter and its test server. */
export interface RestartSuite {
  /** The server as test names give it (`PostgreSQL`, `MySQL`). */
  server: string
  /** A shell command restarting the test server; undefined when there is none here (then the restart test skips, or fails under CI). */
  restart: string | undefined
  /** The environment variable that sets the restart command, named when CI has none. */
  restartVariable: string
  /** A shell command that starts the server if a failed restart left it stopped (a no-op when it runs). */
  start?: string
  /** A new connection to the test database with sqlconn's default retry settings, `options` merged in. */
  open(options?: Record<string, unknown>): SqlConnection
  /** Creates the table `items (id, v)` holding ids 1 to 1000 with `v = 3 * id`, where `open()` reads. */
  createItems(): Promise<void>
  /** Succeeds once a fresh driver connection outside any pool gets an answer. */
  probe(): Promise<void>
  /** Options for `open()` naming a user the server does not know. */
  unknownUser: Record<string, unknown>
  /** Options for `open()` naming a host no resolver knows. */
  unknownHost: Record<string, unknown>
  /** The driver's codes for a missing table (`driverCode`) and for a refused login (the cause's `code`). */
  codes: { noSuchTable: string; unknownUser: string | RegExp }
}

/** The driver's own error code: a failed query and a failed connection both keep the driver's error as `cause`. */
function causeCode(err: unknown): unknown {
  return (err as { cause?: { code?: unknown } }).cause?.code
}

/** Runs `sql` once on a fresh `open(options)` and returns its error and the retries it made. */
async function failOnce(
  suite: RestartSuite,
  sql: string,
  options?: Record<string, unknown>,
): Promise<{ err: unknown; retries: unknown[] }> {
  const conn = suite.open(options)
  const events = recordEvents(conn)
  try {
    return { err: await conn.query(sql, { cache: false }).catch((e: unknown) => e), retries: events.retry }
  } finally {
    await conn.close()
  }
}

/**
 * The restart contract with the default retry settings, as vitest tests: 20 concurrent readers
 * lose no read while the real server restarts, and errors a restart cannot cure (a SQL error, an
 * unknown user or host) fail at once. The file running it restarts a shared server, so run it
 * after the package's other test files.
 */
export function describeRestart(suite: RestartSuite): void {
  const sh = promisify(exec)
  describe(`${suite.server} with the default retry settings`, () => {
    it.skipIf(!suite.restart && !process.env.CI)(
      'fails no read of 20 concurrent readers while the server restarts',
      async () => {
        const restart = suite.restart
        if (!restart) throw new Error(`Set ${suite.restartVariable} to a command that restarts the test server.`)
        await suite.createItems()
        const conn = suite.open()
        try {
          const report = await readThroughRestart({
            conn,
            sql: 'select id, v from items',
            check: (t) =>
              t.numRows === 1000 && (t.getChild('v')!.toArray() as number[]).reduce((a, b) => a + b, 0) === 1_501_500,
            restart: async () => {
              await sh(restart)
            },
            probe: suite.probe,
          })
          console.log(`${suite.server} restart: ${JSON.stringify(report)}`)
          expect(report.errors).toEqual([])
          expect(report.failed).toBe(0)
          expect(report.wrong).toBe(0)
          expect(report.retries).toBeGreaterThan(0)
        } finally {
          await conn.close()
          // A restart that failed half-way leaves the server stopped: start it for the tests after this one.
          if (suite.start) await sh(suite.start).catch(() => {})
          await waitUntilAnswers(suite.probe)
        }
      },
      90_000,
    )

    it('fails a SQL error at once, without a retry', async () => {
      const { err, retries } = await failOnce(suite, 'select * from no_such_table')
      expect((err as QueryError).code).toBe('QUERY_FAILED')
      expect((err as QueryError).driverCode).toBe(suite.codes.noSuchTable)
      expect(retries).toEqual([])
    })

    it('fails an unknown user at once, without a retry', async () => {
      const { err, retries } = await failOnce(suite, 'select 1', suite.unknownUser)
      expect(err).toBeInstanceOf(SqlconnError)
      const code = suite.codes.unknownUser
      if (typeof code === 'string') expect(causeCode(err)).toBe(code)
      else expect(causeCode(err)).toMatch(code)
      expect(retries).toEqual([])
    })

    it('fails an unknown host at once, without a retry', async () => {
      const { err, retries } = await failOnce(suite, 'select 1', suite.unknownHost)
      expect(err).toBeInstanceOf(SqlconnError)
      expect(causeCode(err)).toBe('ENOTFOUND')
      expect(retries).toEqual([])
    })
  })
}
