import { exec } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { type QueryError, SqlconnError } from '@sqlconn/core'
import { readThroughRestart, waitUntilAnswers } from '@sqlconn/core/testing'
import mysql from 'mysql2/promise'
import { describe, expect, it } from 'vitest'
import { MysqlConnection } from '../src/index.js'
import { TEST_URL, useDatabase } from './helpers.js'

// This file restarts the shared server: vitest.config.ts runs it after the package's other files.

const sh = promisify(exec)
const database = useDatabase()

const MARIADBD = '/usr/sbin/mariadbd'
/** Starts the local server (a no-op when it runs). */
const START = `start-stop-daemon --start --oknodo --background --exec ${MARIADBD}`
/**
 * How to restart the test server: SQLCONN_TEST_MYSQL_RESTART (say `docker compose restart mariadb`),
 * else stop the local mariadbd (SIGTERM, a normal shutdown; waits until it has exited) and start it.
 */
const RESTART =
  process.env.SQLCONN_TEST_MYSQL_RESTART ??
  (existsSync(MARIADBD)
    ? `start-stop-daemon --stop --oknodo --retry TERM/30/KILL/5 --exec ${MARIADBD} && ${START}`
    : undefined)

/** A fresh connection outside any pool: answers only when the server accepts new connections. */
async function probe(): Promise<void> {
  const c = await mysql.createConnection({ uri: TEST_URL, connectTimeout: 1000 })
  c.on('error', () => {})
  try {
    await c.query('select 1')
  } finally {
    c.destroy()
  }
}

/** The driver's own error code: a failed query and a failed connection both keep the driver's error as `cause`. */
function causeCode(err: unknown): unknown {
  return (err as { cause?: { code?: unknown } }).cause?.code
}

describe('MySQL with the default retry settings', () => {
  it.skipIf(!RESTART && !process.env.CI)(
    'fails no read of 20 concurrent readers while the server restarts',
    async () => {
      if (!RESTART) throw new Error('Set SQLCONN_TEST_MYSQL_RESTART to a command that restarts the test server.')
      await database.admin('create table items (id int primary key, v int not null)')
      const values = Array.from({ length: 1000 }, (_, i) => `(${i + 1}, ${(i + 1) * 3})`).join(',')
      await database.admin(`insert into items values ${values}`)
      // The defaults being judged: no retry option (the helpers' open() shortens the delays).
      const conn = database.open({ retry: undefined })
      try {
        const report = await readThroughRestart({
          conn,
          sql: 'select id, v from items',
          check: (t) =>
            t.numRows === 1000 && (t.getChild('v')!.toArray() as number[]).reduce((a, b) => a + b, 0) === 1_501_500,
          restart: async () => {
            await sh(RESTART)
          },
          probe,
        })
        console.log(`mysql restart: ${JSON.stringify(report)}`)
        expect(report.errors).toEqual([])
        expect(report.failed).toBe(0)
        expect(report.wrong).toBe(0)
        expect(report.retries).toBeGreaterThan(0)
      } finally {
        await conn.close()
        // A restart that failed half-way leaves the server stopped: start it for the tests after this one.
        if (existsSync(MARIADBD)) await sh(START).catch(() => {})
        await waitUntilAnswers(probe)
      }
    },
    90_000,
  )

  it('fails a SQL error at once, without a retry', async () => {
    const conn = database.open({ retry: undefined })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('select * from no_such_table', { cache: false }).catch((e: unknown) => e)
    expect((err as QueryError).code).toBe('QUERY_FAILED')
    expect((err as QueryError).driverCode).toBe('ER_NO_SUCH_TABLE')
    expect(retries).toEqual([])
  })

  it('fails an unknown user at once, without a retry', async () => {
    const u = new URL(database.url)
    u.username = 'sqlconn_no_such_user'
    const conn = database.open({ uri: u.toString(), retry: undefined })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SqlconnError)
    expect(causeCode(err)).toMatch(/^ER_ACCESS_DENIED/)
    expect(retries).toEqual([])
  })

  it('fails an unknown host at once, without a retry', async () => {
    const conn = new MysqlConnection('restart', { uri: 'mysql://root@no-such-host.invalid:3306/test' })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SqlconnError)
    expect(causeCode(err)).toBe('ENOTFOUND')
    expect(retries).toEqual([])
    await conn.close()
  })
})
