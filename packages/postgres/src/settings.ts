import { readFileSync, statSync } from 'node:fs'
import { ConfigError, type NativeContext, type ResolvedConfig, withUrlParts } from '@sqlconn/core'
import { parse as parseConnectionString } from 'pg-connection-string'
import pgpass from 'pgpass/lib/helper.js'
import type { SslSetting } from './errors.js'

/** Fields a connection string can give, by pg-connection-string's key. */
const URL_FIELDS: Readonly<Record<string, string>> = {
  host: 'host',
  port: 'port',
  user: 'user',
  password: 'password',
  database: 'database',
  ssl: 'ssl',
  application_name: 'application_name',
  options: 'options',
  client_encoding: 'client_encoding',
  connect_timeout: 'connectionTimeoutMillis',
}

/** Connection-string keys pg reads that have no option of their own. */
const URL_EXTRAS = ['fallback_application_name', 'replication', 'sslnegotiation'] as const

/** The parts of a connection string, as pg reads them, with empty parts left out. */
function urlParts(url: string): Record<string, unknown> {
  let parsed: Record<string, unknown>
  try {
    parsed = parseConnectionString(url) as Record<string, unknown>
  } catch (err) {
    // pg-connection-string keeps the URL out of its errors (a malformed one, or verify-ca with
    // uselibpqcompat=true and no sslrootcert): its words are safe to pass on.
    const reason = err instanceof Error ? err.message : String(err)
    throw new ConfigError('INVALID_OPTION', 'connectionString', `connectionString: ${reason}`, { cause: err })
  }
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(URL_FIELDS)) {
    const v = parsed[key]
    if (v === undefined || v === null || v === '') continue
    if (field === 'port') out.port = Number(v)
    else if (field === 'connectionTimeoutMillis') out[field] = Number(v) * 1000
    else out[field] = v
  }
  for (const key of URL_EXTRAS) if (parsed[key] != null && parsed[key] !== '') out[key] = parsed[key]
  return out
}

/**
 * The parameters pg receives, each with its source. A connection string's parts compete with the
 * separate options by the one rule core owns (`withUrlParts`): the higher-precedence source wins,
 * and given in the same place the separate option wins (`{ url, database: 'other' }` connects to
 * "other"); DATABASE_URL is ranked above the PG* variables, as a conninfo beats them in libpq. When
 * no password is given, ~/.pgpass (or PGPASSFILE) is matched against the host, port, database and
 * user that result, as libpq and pg do.
 */
export function effectiveConfig(resolved: ResolvedConfig, context: NativeContext): ResolvedConfig {
  const url = resolved.get<string>('connectionString')
  const config = url === undefined ? resolved : withUrlParts(resolved, 'connectionString', urlParts(url))
  if (config.has('password')) return config
  const found = pgpassPassword(
    {
      host: config.get<string>('host'),
      port: config.get<number>('port'),
      user: config.get<string>('user') ?? context.env.USER,
      database: config.get<string>('database'),
    },
    context,
  )
  return found ? config.withFound('password', found.password, found.source) : config
}

/**
 * The password for a connection from the password file (PGPASSFILE, else ~/.pgpass), the first
 * line whose host, port, database and user match (`*` matches anything). As in libpq, the file
 * is ignored when group or others can read it, and a socket directory matches "localhost".
 */
function pgpassPassword(
  target: { host?: string; port?: number; user?: string; database?: string },
  { env, home }: NativeContext,
): { password: string; source: string } | undefined {
  const file = pgpass.getFileName({ PGPASSFILE: env.PGPASSFILE, HOME: home, APPDATA: env.APPDATA })
  let text: string
  try {
    const stat = statSync(file)
    if (!stat.isFile() || (!pgpass.isWin && (stat.mode & 0o077) !== 0)) return undefined
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const host = target.host === undefined || target.host.startsWith('/') ? 'localhost' : target.host
  const connInfo = {
    host,
    port: target.port ?? 5432,
    user: target.user,
    database: target.database ?? target.user,
  }
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trimStart().startsWith('#')) continue
    const entry = pgpass.parseLine(line)
    if (entry && pgpass.isValidEntry(entry) && pgpass.match(connInfo, entry)) {
      const where = env.PGPASSFILE ? `env PGPASSFILE ${file}` : file
      return { password: entry.password, source: `pgpass ${where}:${i + 1}` }
    }
  }
  return undefined
}

/**
 * pg's ssl setting for an sslmode, the way pg reads PGSSLMODE, so that an sslmode written in
 * secrets, a service file or a URL means to sqlconn exactly what it means to pg and libpq.
 */
export function sslFromMode(mode: string): unknown {
  switch (mode.toLowerCase()) {
    case 'disable':
    case 'allow':
    case 'false':
      return false
    case 'prefer':
    case 'require':
    case 'verify-ca':
    case 'verify-full':
    case 'true':
      return true
    case 'no-verify':
      return { rejectUnauthorized: false }
    default:
      return mode
  }
}

/**
 * The TLS setting in effect, as the user wrote it and where: an sslmode in a connection string
 * (with uselibpqcompat), an sslmode string from PGSSLMODE, a service or secrets, or pg's own `ssl`
 * value. For error messages, which must say whose meaning of the sslmode applies.
 */
export function sslSetting(config: ResolvedConfig): SslSetting {
  const ssl = config.get<unknown>('ssl')
  const source = config.source('ssl')
  const url = config.get<string>('connectionString')
  if (url !== undefined && config.origin('ssl')?.via === 'connectionString') {
    let parsed: Record<string, unknown> = {}
    try {
      parsed = parseConnectionString(url) as Record<string, unknown>
    } catch {
      // The URL was parsed once already to resolve the config; a failure here changes nothing.
    }
    const mode = typeof parsed.sslmode === 'string' ? parsed.sslmode : undefined
    const libpqCompat = parsed.uselibpqcompat === 'true'
    const where = config.source('connectionString')
    const what =
      mode === undefined ? 'TLS options in the URL' : `sslmode=${mode}${libpqCompat ? '&uselibpqcompat=true' : ''}`
    return { described: `${what} (from ${where})`, mode, inUrl: true, libpqCompat }
  }
  if (typeof ssl === 'string') {
    return { described: `sslmode "${ssl}" (from ${source})`, mode: ssl, inUrl: false, libpqCompat: false }
  }
  const shown = ssl === undefined ? 'no TLS setting' : `ssl = ${typeof ssl === 'object' ? '{ ... }' : String(ssl)}`
  return { described: source ? `${shown} (from ${source})` : shown, mode: undefined, inUrl: false, libpqCompat: false }
}
