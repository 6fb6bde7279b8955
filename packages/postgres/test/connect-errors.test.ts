import { ConfigError, ConnectionError } from '@sqlconn/core'
import { afterEach, describe, expect, it } from 'vitest'
import { PostgresConnection } from '../src/index.js'
import { TEST_URL } from './helpers.js'

// A connection that cannot be opened is a ConnectionError (CONNECTION_FAILED) that says what to
// check, not a failed query carrying its SQL.
const opened: PostgresConnection[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

function open(options: Record<string, unknown>): PostgresConnection {
  const conn = new PostgresConnection('connect', { retry: false, cache: false, ...options })
  opened.push(conn)
  return conn
}

async function failure(conn: PostgresConnection): Promise<Error> {
  return (await conn.query('select 1').then(
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
    const err = await failure(open({ url: at({ port: '1', password: 'S3cret-pw' }) }))
    expect(err).toBeInstanceOf(ConnectionError)
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toMatch(/could not reach PostgreSQL at [^ ]+:1: connection refused/)
    expect(err.message).toContain('Check that the server is running')
    expect(err.message).not.toContain('SQL:')
    expect(err.message).not.toContain('S3cret-pw')
  })

  it('a refused port is still retried (it is transient)', async () => {
    const conn = open({ url: at({ port: '1' }), retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 1 } })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    expect(await failure(conn)).toBeInstanceOf(ConnectionError)
    expect(retries).toHaveLength(2)
  })

  it('an unknown role is CONNECTION_FAILED naming the user and what to check, at once', async () => {
    const conn = open({ url: at({ username: 'sqlconn_no_such_role' }), retry: { maxAttempts: 3 } })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await failure(conn)
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('refused the login of user "sqlconn_no_such_role"')
    expect(err.message).toContain('Check user and password')
    expect(err.message).not.toContain('SQL:')
    expect(retries).toEqual([])
  })

  it('a missing database is CONNECTION_FAILED naming it', async () => {
    const err = await failure(open({ url: at({ pathname: '/sqlconn_no_such_db' }) }))
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('has no database "sqlconn_no_such_db"')
  })

  it('an unknown host is CONNECTION_FAILED naming the host', async () => {
    const err = await failure(open({ host: 'no-such-host.invalid' }))
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('could not resolve the host name "no-such-host.invalid"')
  })

  it('a stream that cannot connect fails the same way', async () => {
    const stream = open({ url: at({ port: '1' }) }).stream('select 1')
    const err = await stream.next().then(
      () => new Error('connected'),
      (e: unknown) => e as Error,
    )
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('connection refused')
  })

  it('verify-ca with uselibpqcompat=true and no CA is an INVALID_OPTION naming sslrootcert', async () => {
    const u = new URL(TEST_URL)
    u.searchParams.set('sslmode', 'verify-ca')
    u.searchParams.set('uselibpqcompat', 'true')
    const err = await failure(open({ url: u.toString() }))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).option).toBe('connectionString')
    expect(err.message).toContain('sslrootcert')
  })
})
