/**
 * The part of the conformance suite for adapters that reach a server over the network: a
 * connection that cannot be opened is a ConnectionError (CONNECTION_FAILED) that says what to check.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionError } from '../errors.js'
import type { SqlConnection } from '../sql-connection.js'
import { recordEvents } from './helpers.js'
import type { ConformanceOptions, ConnectFailureOptions } from './options.js'

/**
 * A connection that cannot be opened is a ConnectionError (CONNECTION_FAILED) that says what to
 * check, not a failed query carrying its SQL.
 */
export function describeConnectFailures(options: ConformanceOptions, failures: ConnectFailureOptions): void {
  describe('connection-level failures', () => {
    const opened: SqlConnection[] = []

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((c) => c.close()))
    })

    async function open(extra: Record<string, unknown>): Promise<SqlConnection> {
      const conn = await options.create({ retry: false, cache: false, ...extra })
      opened.push(conn)
      return conn
    }

    it('a refused port is CONNECTION_FAILED naming host:port and what to check, without SQL or password', async () => {
      const err = await queryFailure(await open(failures.at({ port: '1', password: 'S3cret-pw' })))
      expect(err).toBeInstanceOf(ConnectionError)
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toMatch(new RegExp(`could not reach ${failures.server} at [^ ]+:1: connection refused`))
      expect(err.message).toContain('Check that the server is running')
      expect(err.message).not.toContain('SQL:')
      expect(err.message).not.toContain('S3cret-pw')
    })

    it('a refused port is still retried (it is transient)', async () => {
      const conn = await open({
        ...failures.at({ port: '1' }),
        retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 1 },
      })
      const events = recordEvents(conn)
      expect(await queryFailure(conn)).toBeInstanceOf(ConnectionError)
      expect(events.retry).toHaveLength(2)
    })

    it('an unknown user is CONNECTION_FAILED naming the user and what to check, at once', async () => {
      const conn = await open({
        ...failures.at({ username: 'sqlconn_no_such_user', password: 'S3cret-pw' }),
        retry: { maxAttempts: 3 },
      })
      const events = recordEvents(conn)
      const err = await queryFailure(conn)
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('refused the login of user "sqlconn_no_such_user"')
      expect(err.message).toContain('Check user and password')
      expect(err.message).not.toContain('SQL:')
      expect(err.message).not.toContain('S3cret-pw')
      expect(events.retry).toEqual([])
    })

    it('a missing database is CONNECTION_FAILED naming it', async () => {
      const err = await queryFailure(await open(failures.at({ pathname: '/sqlconn_no_such_db' })))
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('has no database "sqlconn_no_such_db"')
    })

    it('an unknown host is CONNECTION_FAILED naming the host', async () => {
      const err = await queryFailure(await open(failures.at({ hostname: 'no-such-host.invalid' })))
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('could not resolve the host name "no-such-host.invalid"')
    })

    it('a stream that cannot connect fails the same way', async () => {
      const stream = (await open(failures.at({ port: '1' }))).stream('select 1')
      const err = await stream.next().then(
        () => new Error('connected'),
        (e: unknown) => e as Error,
      )
      expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('connection refused')
    })
  })
}

/** The error `conn.query(sql)` rejects with; fails the test if the query succeeds. */
export async function queryFailure(conn: SqlConnection, sql = 'select 1'): Promise<Error> {
  return (await conn.query(sql).then(
    () => {
      throw new Error(`expected ${sql} to fail, but it succeeded`)
    },
    (e: unknown) => e,
  )) as Error
}
