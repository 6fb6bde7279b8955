import { ConfigError } from '@sqlconn/core'
import { queryFailure } from '@sqlconn/core/testing'
import { describe, expect, it } from 'vitest'
import { PostgresConnection } from '../src/index.js'
import { TEST_URL } from './helpers.js'

// PostgreSQL's own connection-level cases; the ones every networked adapter shares (refused port,
// unknown host, user or database) run in the conformance suite (conformance.test.ts, connectFailures).
describe('connection-level failures', () => {
  it('verify-ca with uselibpqcompat=true and no CA is an INVALID_OPTION naming sslrootcert', async () => {
    const u = new URL(TEST_URL)
    u.searchParams.set('sslmode', 'verify-ca')
    u.searchParams.set('uselibpqcompat', 'true')
    const conn = new PostgresConnection('connect', { retry: false, cache: false, url: u.toString() })
    const err = await queryFailure(conn).finally(() => conn.close())
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).option).toBe('connectionString')
    expect(err.message).toContain('sslrootcert')
  })
})
