import { ConfigError } from '@sqlconn/core'
import { queryFailure } from '@sqlconn/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { PostgresConnection } from '../src/index.js'
import { TEST_URL } from './helpers.js'

// PostgreSQL's own connection-level cases; the ones every networked adapter shares (refused port,
// unknown host, user or database) run in the conformance suite (conformance.test.ts, connectFailures).
const opened: PostgresConnection[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

function open(options: Record<string, unknown>): PostgresConnection {
  const conn = new PostgresConnection('connect', { retry: false, cache: false, ...options })
  opened.push(conn)
  return conn
}

describe('connection-level failures', () => {
  it('verify-ca with uselibpqcompat=true and no CA is an INVALID_OPTION naming sslrootcert', async () => {
    const u = new URL(TEST_URL)
    u.searchParams.set('sslmode', 'verify-ca')
    u.searchParams.set('uselibpqcompat', 'true')
    const err = await queryFailure(open({ url: u.toString() }))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).option).toBe('connectionString')
    expect(err.message).toContain('sslrootcert')
  })
})
