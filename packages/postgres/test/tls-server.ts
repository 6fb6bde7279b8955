import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { TEST_URL } from './helpers.js'

/** Files in the server's data directory (written there by the server itself, so it can read the key). */
const CERT_FILE = 'sqlconn-test-server.crt'
const KEY_FILE = 'sqlconn-test-server.key'
/** Serialises setup between test processes that start at once. */
const LOCK = 'sqlconn-test-server-tls'

async function plain<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_URL, ssl: false, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function show(client: pg.Client, setting: string): Promise<string> {
  return (await client.query<{ v: string }>(`select current_setting($1) as v`, [setting])).rows[0]!.v
}

/** True when `pem` is a certificate for `host` valid for at least another hour. */
function usable(pem: string, host: string): boolean {
  try {
    const cert = new X509Certificate(pem)
    const ok = isIP(host) ? cert.checkIP(host) : cert.checkHost(host)
    return ok !== undefined && new Date(cert.validTo).getTime() > Date.now() + 3_600_000
  } catch {
    return false
  }
}

/** A self-signed certificate and key for `host` (and 127.0.0.1, localhost), made by openssl now. */
function makeCertificate(host: string): { cert: string; key: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-tls-'))
  try {
    const names = new Set(['IP:127.0.0.1', 'DNS:localhost', `${isIP(host) ? 'IP' : 'DNS'}:${host}`])
    // biome-ignore format: one openssl option per line reads best
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30',
      '-subj', `/CN=${host}`,
      '-addext', `subjectAltName=${[...names].join(',')}`,
      '-keyout', path.join(dir, 'key.pem'),
      '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore', timeout: 30_000 })
    return {
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Writes `text` to `file` in the data directory as the server's own user, mode 0600 (a key with
 * group or world access stops the server from starting), then runs `then` in the data directory.
 * COPY writes one row per line; PEM has no tab or backslash for its text format to escape.
 */
async function writeServerFile(client: pg.Client, file: string, text: string, then = 'true'): Promise<void> {
  const literal = client.escapeLiteral(text.trim())
  const program = client.escapeLiteral(`umask 077 && cat > ${file} && ${then}`)
  await client.query(`copy (select unnest(string_to_array(${literal}, E'\\n'))) to program ${program}`)
}

/** True when a TLS connection that trusts `ca` gets in. */
async function tlsWorks(ca: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_URL, ssl: { ca }, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Turns TLS on in the test server with a self-signed certificate, and returns that certificate
 * (the CA a client must trust). Plain connections keep working: pg_hba's `host` lines take both.
 * Idempotent and safe to run from several processes: a server already set up is left as it is and
 * its certificate read back. Needs a superuser (COPY to a server file, ALTER SYSTEM).
 */
export async function ensureServerTls(): Promise<string> {
  const host = new URL(TEST_URL).hostname.replace(/^\[(.*)\]$/, '$1')
  return plain(async (client) => {
    await client.query('select pg_advisory_lock(hashtext($1))', [LOCK])
    try {
      if ((await show(client, 'ssl')) === 'on' && (await show(client, 'ssl_cert_file')) === CERT_FILE) {
        const current = (await client.query<{ pem: string }>('select pg_read_file($1) as pem', [CERT_FILE])).rows[0]!
        if (usable(current.pem, host) && (await tlsWorks(current.pem))) return current.pem
      }
      const made = makeCertificate(host)
      // Both files are moved into place at once: a restart in between must not find a key that does
      // not match its certificate.
      await writeServerFile(client, `${KEY_FILE}.new`, made.key)
      await writeServerFile(
        client,
        `${CERT_FILE}.new`,
        made.cert,
        `mv -f ${KEY_FILE}.new ${KEY_FILE} && mv -f ${CERT_FILE}.new ${CERT_FILE}`,
      )
      await client.query(`alter system set ssl_cert_file = '${CERT_FILE}'`)
      await client.query(`alter system set ssl_key_file = '${KEY_FILE}'`)
      await client.query('alter system set ssl = on')
      await client.query('select pg_reload_conf()')
      // The reload is asynchronous: wait until a new backend takes TLS with the new certificate.
      const deadline = Date.now() + 10_000
      while (!(await tlsWorks(made.cert))) {
        if (Date.now() > deadline) {
          // Never leave ssl on with files the server refused: its next restart would fail.
          await client.query('alter system reset ssl')
          await client.query('select pg_reload_conf()')
          throw new Error('The test server did not take the TLS certificate; see its log.')
        }
        await new Promise((r) => setTimeout(r, 100))
      }
      return made.cert
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [LOCK])
    }
  })
}
