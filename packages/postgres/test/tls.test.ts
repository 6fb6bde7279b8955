import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ConnectionError } from '@sqlconn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresConnection } from '../src/index.js'
import { TEST_URL } from './helpers.js'
import { ensureServerTls } from './tls-server.js'

// The test server gets TLS (ssl = on) with a self-signed certificate made by openssl for this run,
// or the one an earlier run left. Plain connections (every other test) keep working beside it.
let ca = ''
let caFile = ''
let dir = ''
const opened: PostgresConnection[] = []

beforeAll(async () => {
  ca = await ensureServerTls()
  dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-tls-ca-'))
  caFile = path.join(dir, 'root.crt')
  writeFileSync(caFile, ca)
}, 60_000)

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()))
  rmSync(dir, { recursive: true, force: true })
})

/** TEST_URL with these query parameters. */
function url(params: Record<string, string>): string {
  const u = new URL(TEST_URL)
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u.toString()
}

function open(options: Record<string, unknown>): PostgresConnection {
  const conn = new PostgresConnection('tls', { retry: false, cache: false, ...options })
  opened.push(conn)
  return conn
}

/** Whether the connection's own backend talks TLS, as the server sees it. */
async function encrypted(conn: PostgresConnection): Promise<boolean> {
  const t = await conn.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()')
  return t.get(0)!.ssl
}

async function failure(conn: PostgresConnection): Promise<ConnectionError> {
  return (await conn.query('select 1').then(
    () => {
      throw new Error('connected, but the certificate cannot be verified')
    },
    (e: unknown) => e,
  )) as ConnectionError
}

describe('sslmode against a server with a self-signed certificate', () => {
  it('disable connects without TLS, with or without the CA', async () => {
    expect(await encrypted(open({ url: url({ sslmode: 'disable' }) }))).toBe(false)
    expect(await encrypted(open({ url: url({ sslmode: 'disable', sslrootcert: caFile }) }))).toBe(false)
  })

  describe.each(['prefer', 'require', 'verify-ca', 'verify-full'])('%s', (mode) => {
    it('with the CA (sslrootcert) connects encrypted', async () => {
      expect(await encrypted(open({ url: url({ sslmode: mode, sslrootcert: caFile }) }))).toBe(true)
    })

    it('without the CA fails as CONNECTION_FAILED, naming the sslmode and what to do', async () => {
      const err = await failure(open({ url: url({ sslmode: mode }) }))
      expect(err.code).toBe('CONNECTION_FAILED')
      expect(err.message).toContain('self-signed certificate')
      expect(err.message).toContain(`sslmode=${mode} (from kwargs)`)
      expect(err.message).toContain('sslrootcert=')
      expect(err.message).toContain('ssl: { ca }')
      expect(err.message).not.toContain('SQL:')
      expect((err.cause as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    })
  })

  it.each(['prefer', 'require', 'verify-ca'])(
    'without the CA, %s offers libpq meaning with uselibpqcompat=true',
    async (mode) => {
      const err = await failure(open({ url: url({ sslmode: mode }) }))
      expect(err.message).toContain(`add uselibpqcompat=true to the URL (...?sslmode=${mode}&uselibpqcompat=true)`)
    },
  )

  it('verify-full without the CA does not offer uselibpqcompat (it would verify all the same)', async () => {
    const err = await failure(open({ url: url({ sslmode: 'verify-full' }) }))
    expect(err.message).not.toContain('uselibpqcompat')
  })

  it.each(['prefer', 'require'])(
    '%s with uselibpqcompat=true connects encrypted without the CA, as libpq',
    async (mode) => {
      expect(await encrypted(open({ url: url({ sslmode: mode, uselibpqcompat: 'true' }) }))).toBe(true)
    },
  )

  it('verify-full with uselibpqcompat=true still verifies, and says to pass the CA', async () => {
    const err = await failure(open({ url: url({ sslmode: 'verify-full', uselibpqcompat: 'true' }) }))
    expect(err.code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('sslrootcert=')
  })

  it('verify-full with the CA in ssl.ca connects encrypted', async () => {
    expect(await encrypted(open({ url: TEST_URL, ssl: { ca } }))).toBe(true)
  })

  it('an sslmode given outside a URL (PGSSLMODE, secrets) names its source and the URL form of uselibpqcompat', async () => {
    const err = await failure(open({ url: TEST_URL, ssl: 'require' }))
    expect(err.code).toBe('CONNECTION_FAILED')
    expect(err.message).toContain('sslmode "require" (from kwargs)')
    expect(err.message).toContain('?sslmode=require&uselibpqcompat=true')
  })
})
