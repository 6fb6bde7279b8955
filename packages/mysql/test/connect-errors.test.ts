import { ConnectionError } from '@sqlconn/core'
import { afterEach, describe, expect, it } from 'vitest'
import { MysqlConnection } from '../src/index.js'
import { TEST_URL } from './helpers.js'

// A connection that cannot be opened is a ConnectionError (CONNECTION_FAILED) that says what to
// check, not a failed query carrying its SQL.
const opened: MysqlConnection[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

function open(options: Record<string, unknown>): MysqlConnection {
  const conn = new MysqlConnection('connect', { retry: false, cache: false, ...options })
  opened.push(conn)
  return conn
}

async function failure(conn: MysqlConnection, sql = 'select 1'): Promise<Error> {
  return (await conn.query(sql).then(
    () => {
      throw new Error('connected')
    },
    (e: unknown) => e,
  )) as Error
}

function at(params: { port?: string; username?: string; password?: string; pathname?: string }): string {
  const u = new URL(TEST_URL)
  Object.assign(u, params)
  return u.toString()
}

describe('connection-level failures', () => {
  it('a refused port is CONNECTION_FAILED naming host:port and what to check, without SQL or password', async () => {
    const err = await failure(open({ uri: at({ port: '1', password: 'S3cret-pw' }) }))
    expect(err).toBeInstanceOf(ConnectionError)
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toMatch(/could not reach MySQL at [^ ]+:1: connection refused/)
    expect(err.message).toContain('Check that the server is running')
    expect(err.message).not.toContain('SQL:')
    expect(err.message).not.toContain('S3cret-pw')
  })

  it('a refused port is still retried (it is transient)', async () => {
    const conn = open({ uri: at({ port: '1' }), retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 1 } })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    expect(await failure(conn)).toBeInstanceOf(ConnectionError)
    expect(retries).toHaveLength(2)
  })

  it('a wrong password is CONNECTION_FAILED naming the user and what to check, at once', async () => {
    const conn = open({
      uri: at({ username: 'sqlconn_no_such_user', password: 'S3cret-pw' }),
      retry: { maxAttempts: 3 },
    })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await failure(conn)
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('refused the login of user "sqlconn_no_such_user"')
    expect(err.message).toContain('Check user and password')
    expect(err.message).not.toContain('SQL:')
    expect(err.message).not.toContain('S3cret-pw')
    expect(retries).toEqual([])
  })

  it('a missing database is CONNECTION_FAILED naming it', async () => {
    const err = await failure(open({ uri: at({ pathname: '/sqlconn_no_such_db' }) }))
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('has no database "sqlconn_no_such_db"')
  })

  it('a `use` of a missing database in a query is still QUERY_FAILED with its SQL', async () => {
    const err = await failure(open({ uri: TEST_URL }), 'use sqlconn_no_such_db')
    expect((err as ConnectionError).code).toBe('QUERY_FAILED')
    expect(err.message).toContain('SQL: use sqlconn_no_such_db')
  })

  it('an unknown host is CONNECTION_FAILED naming the host', async () => {
    const err = await failure(open({ host: 'no-such-host.invalid' }))
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('could not resolve the host name "no-such-host.invalid"')
  })

  it('asking for TLS from a server without it is CONNECTION_FAILED about TLS', async () => {
    const err = await failure(open({ uri: TEST_URL, ssl: {} }))
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toMatch(/TLS (handshake|certificate)/)
  })

  it('a stream that cannot connect fails the same way', async () => {
    const stream = open({ uri: at({ port: '1' }) }).stream('select 1')
    const err = await stream.next().then(
      () => new Error('connected'),
      (e: unknown) => e as Error,
    )
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('connection refused')
  })
})
