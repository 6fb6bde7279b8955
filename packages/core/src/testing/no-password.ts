/**
 * The part of the conformance suite that checks no URL password is ever shown: in an error, an
 * event, `config`, `toString()` or `inspect()`, whichever option or variable the URL came in.
 */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { ConnectionClass } from '../contract.js'
import type { SqlConnection } from '../sql-connection.js'
import type { ConformanceOptions } from './options.js'

/** A password holding every character that ends a URL part, so a parser that splits it early shows it. */
const RAW_PASSWORD = 'pw@127.0.0.1:1/a?b#c'
const ESCAPED_PASSWORD = encodeURIComponent(RAW_PASSWORD)

/**
 * URL-shaped values no error may print the password of, whichever adapter gets them. Every host is
 * 127.0.0.1 port 1 (refused at once), however a parser splits the raw password.
 */
const URL_CASES: ReadonlyArray<{ what: string; url: string; passwords: readonly string[] }> = [
  ...['postgres', 'mysql', 'sqlite', 'redis'].map((scheme) => ({
    what: `a ${scheme}:// URL`,
    url: `${scheme}://acc:S3cret${scheme}@127.0.0.1:1/x`,
    passwords: [`S3cret${scheme}`],
  })),
  { what: 'a URL with a bad port', url: 'postgres://acc:S3cretPort@127.0.0.1:port/x', passwords: ['S3cretPort'] },
  { what: 'a URL with a broken host', url: 'mysql://acc:S3cretHost@[127.0.0.1/x', passwords: ['S3cretHost'] },
  { what: 'a URL with no host', url: 'postgres://acc:S3cretNoHost@/x?sslmode=bogus', passwords: ['S3cretNoHost'] },
  {
    what: 'a password holding @ : / ? #',
    url: `postgres://acc:${RAW_PASSWORD}@127.0.0.1:1/x`,
    passwords: [RAW_PASSWORD],
  },
  {
    what: 'a percent-escaped password',
    url: `mysql://acc:${ESCAPED_PASSWORD}@127.0.0.1:1/x`,
    passwords: [ESCAPED_PASSWORD, RAW_PASSWORD],
  },
]

/** Everything a user could see of an error: message, stack, cause chain and own properties. */
function everythingOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (!(value instanceof Error)) return inspect(value, { depth: 8 })
  let out = `${String(value)}\n${value.stack ?? ''}\n${inspect(value, { depth: 8 })}`
  if (value.cause !== undefined) out += `\n${everythingOf(value.cause)}`
  return out
}

/**
 * What a connection given `options` shows: its config, `toString()`, and every error and event of
 * resolving it and running one read.
 */
async function whatItShows(cls: ConnectionClass, name: string, options: Record<string, unknown>): Promise<string> {
  const seen: unknown[] = []
  let conn: SqlConnection | undefined
  try {
    conn = new cls(name, { ...options, retry: false }) as SqlConnection
    for (const event of ['retry', 'reset', 'query', 'cacheError'] as const) conn.on(event, (e) => seen.push(e))
    seen.push(String(conn), inspect(conn))
    try {
      seen.push(JSON.stringify(conn.config), String(conn.config))
    } catch (err) {
      seen.push(err)
    }
    await conn.query('select 1', { cache: false }).catch((err: unknown) => seen.push(err))
  } catch (err) {
    seen.push(err)
  } finally {
    await conn?.close().catch((err: unknown) => seen.push(err))
  }
  return seen.map(everythingOf).join('\n')
}

/** Registers the no-password tests; `current()` is the suite's open connection (its class is used). */
export function describeNoPasswordShown(options: ConformanceOptions, current: () => SqlConnection): void {
  describe('no URL password in any error, event or printout', () => {
    it.each(URL_CASES)('given $what as url', async ({ url, passwords }) => {
      const shown = await whatItShows(current().constructor as unknown as ConnectionClass, 'sqlconn_conf_url', { url })
      for (const password of passwords) expect(shown).not.toContain(password)
    })

    it.each(URL_CASES)('given $what in DATABASE_URL', async ({ url, passwords }) => {
      const saved = process.env.DATABASE_URL
      process.env.DATABASE_URL = url
      try {
        const shown = await whatItShows(current().constructor as unknown as ConnectionClass, 'sqlconn_conf_dburl', {})
        for (const password of passwords) expect(shown).not.toContain(password)
      } finally {
        if (saved === undefined) delete process.env.DATABASE_URL
        else process.env.DATABASE_URL = saved
      }
    })

    it('given a URL as the value of any other text option', async () => {
      const cls = current().constructor as unknown as ConnectionClass
      // Options that name where to connect or what to open are left out: a URL there would send
      // traffic elsewhere or create files. Every other text option gets the URL, one at a time.
      const where = /host|socket|addr|server|file|path|dir|url|uri|connection|service|ssl|tls/i
      const names = cls.options.filter((o) => o.type === 'string' && !o.secret && !where.test(o.name))
      const url = `postgres://acc:${RAW_PASSWORD}@127.0.0.1:1/x`
      const [target] = await options.targets()
      let shown = ''
      for (const o of names) shown += await whatItShows(cls, 'sqlconn_conf_option_url', { ...target, [o.name]: url })
      expect(shown).not.toContain(RAW_PASSWORD)
    })
  })
}
