import { exec } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { promisify } from 'node:util'
import { type QueryError, SqlconnError } from '@sqlconn/core'
import { readThroughRestart, waitUntilAnswers } from '@sqlconn/core/testing'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { PostgresConnection } from '../src/index.js'
import { admin, TEST_URL, useSchema } from './helpers.js'

// This file restarts the shared server: vitest.config.ts runs it after the package's other files.

const sh = promisify(exec)
const schema = useSchema()

/** `pg_ctlcluster <version> main <action>` for the local cluster, or undefined when there is none. */
function clusterCommand(action: 'restart' | 'start'): string | undefined {
  if (!existsSync('/etc/postgresql')) return undefined
  const version = readdirSync('/etc/postgresql')[0]
  return version ? `pg_ctlcluster --skip-systemctl-redirect ${version} main ${action}` : undefined
}

/** How to restart the test server: SQLCONN_TEST_POSTGRES_RESTART (say `docker compose restart postgres`), else pg_ctlcluster. */
const RESTART = process.env.SQLCONN_TEST_POSTGRES_RESTART ?? clusterCommand('restart')

/** A fresh client outside any pool: answers only when the server accepts new connections. */
async function probe(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_URL, connectionTimeoutMillis: 1000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
  } finally {
    await client.end().catch(() => {})
  }
}

/** A connection with sqlconn's default retry settings (the helpers' `open()` shortens them). */
function openDefault(options: Record<string, unknown> = {}): PostgresConnection {
  return new PostgresConnection('restart', {
    url: TEST_URL,
    options: `-c search_path=${schema.name}`,
    application_name: `${schema.name}_restart`,
    ...options,
  })
}

/** The driver's own error code: a failed query and a failed connection both keep the driver's error as `cause`. */
function causeCode(err: unknown): unknown {
  return (err as { cause?: { code?: unknown } }).cause?.code
}

describe('PostgreSQL with the default retry settings', () => {
  it.skipIf(!RESTART && !process.env.CI)(
    'fails no read of 20 concurrent readers while the server restarts',
    async () => {
      if (!RESTART) throw new Error('Set SQLCONN_TEST_POSTGRES_RESTART to a command that restarts the test server.')
      await admin(`create table ${schema.name}.items as select g as id, g * 3 as v from generate_series(1, 1000) g`)
      const conn = openDefault()
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
        console.log(`postgres restart: ${JSON.stringify(report)}`)
        expect(report.errors).toEqual([])
        expect(report.failed).toBe(0)
        expect(report.wrong).toBe(0)
        expect(report.retries).toBeGreaterThan(0)
      } finally {
        await conn.close()
        // A restart that failed half-way leaves the server stopped: start it for the tests after this one.
        const start = clusterCommand('start')
        if (start) await sh(start).catch(() => {})
        await waitUntilAnswers(probe)
      }
    },
    90_000,
  )

  it('fails a SQL error at once, without a retry', async () => {
    const conn = openDefault()
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('select * from no_such_table', { cache: false }).catch((e: unknown) => e)
    expect((err as QueryError).code).toBe('QUERY_FAILED')
    expect((err as QueryError).driverCode).toBe('42P01')
    expect(retries).toEqual([])
    await conn.close()
  })

  it('fails an unknown role at once, without a retry', async () => {
    const conn = openDefault({ user: 'sqlconn_no_such_role' })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SqlconnError)
    expect(causeCode(err)).toBe('28000')
    expect(retries).toEqual([])
    await conn.close()
  })

  it('fails an unknown host at once, without a retry', async () => {
    const conn = new PostgresConnection('restart', { url: 'postgres://postgres@no-such-host.invalid:5432/test' })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SqlconnError)
    expect(causeCode(err)).toBe('ENOTFOUND')
    expect(retries).toEqual([])
    await conn.close()
  })
})
