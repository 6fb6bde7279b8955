import type { ConnectionError, QueryError } from '@sqlconn/core'
import { queryFailure, recordEvents } from '@sqlconn/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { MysqlConnection } from '../src/index.js'
import { TEST_URL } from './helpers.js'

// MySQL's own connection-level cases; the ones every networked adapter shares (refused port, unknown
// host, user or database) run in the conformance suite (conformance.test.ts, connectFailures).
const opened: MysqlConnection[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

function open(options: Record<string, unknown>): MysqlConnection {
  const conn = new MysqlConnection('connect', { retry: false, cache: false, ...options })
  opened.push(conn)
  return conn
}

describe('connection-level failures', () => {
  it('a `use` of a missing database in a query is still QUERY_FAILED with its SQL', async () => {
    const err = await queryFailure(open({ uri: TEST_URL }), 'use sqlconn_no_such_db')
    expect((err as ConnectionError).code).toBe('QUERY_FAILED')
    expect(err.message).toContain('SQL: use sqlconn_no_such_db')
  })

  it('asking for TLS from a server without it is CONNECTION_FAILED about TLS', async () => {
    const err = await queryFailure(open({ uri: TEST_URL, ssl: {} }))
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toMatch(/TLS (handshake|certificate)/)
  })

  it('does not retry a wrong password', async () => {
    const u = new URL(TEST_URL)
    u.password = 'wrong-password'
    const conn = open({ uri: u.toString(), retry: { initialDelay: 10, maxDelay: 50 } })
    const events = recordEvents(conn)
    const err = await queryFailure(conn)
    expect((err as QueryError).driverCode).toBe('ER_ACCESS_DENIED_ERROR')
    expect(err.message).not.toContain('wrong-password')
    expect(events.retry).toEqual([])
  })
})
