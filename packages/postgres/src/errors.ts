import {
  type ConnectFailureTarget,
  ConnectionError,
  describeConnectFailure as describeNetworkFailure,
  isNetworkErrorCode,
  socketConnectFailure,
} from '@sqlconn/core'

/**
 * SQLSTATEs a reset and retry can cure: the server shutting down or starting up (57P01 admin
 * shutdown, 57P02 crash shutdown, 57P03 cannot connect now), every connection exception (class 08)
 * and too many connections (53300). Syntax, constraint, permission and data errors never are.
 */
function transientSqlState(code: string): boolean {
  return code === '57P01' || code === '57P02' || code === '57P03' || code === '53300' || code.startsWith('08')
}

/**
 * Why a read's client was taken from it: a pool that a reset replaced was ended (after its grace
 * period) while the read still waited for one of its clients. The read is retried on the new pool.
 */
export const POOL_REPLACED_MESSAGE = 'The pool was replaced by a reset before a client became free'

/**
 * What pg says when a client's socket went away under it. pg-pool's "timeout exceeded when trying
 * to connect" is not here: it means every client stayed busy for `connectionTimeoutMillis`, and
 * retrying would only queue again behind the same work.
 */
const TRANSIENT_MESSAGES = [
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated due to connection timeout',
  'terminating connection due to administrator command',
  POOL_REPLACED_MESSAGE,
]

/**
 * True for errors of a lost or refused connection, which sqlconn retries. Exported for code that
 * runs its own retries around `conn.db` or `conn.raw` and wants sqlconn's judgement of pg's errors.
 */
export function isTransientPgError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 3) return false
  // A connection-level failure sqlconn reported: judge pg's own error inside it.
  if (error instanceof ConnectionError) return isTransientPgError(error.cause, depth + 1)
  const e = error as { code?: unknown; message?: unknown; errors?: unknown; severity?: unknown }
  if (typeof e.code === 'string') {
    if (isNetworkErrorCode(e.code)) return true
    // A SQLSTATE is five characters; a server error is judged by its code alone.
    if (/^[0-9A-Z]{5}$/.test(e.code)) return transientSqlState(e.code)
  }
  if (typeof e.message === 'string' && TRANSIENT_MESSAGES.some((m) => (e.message as string).includes(m))) return true
  // Node reports a refused connection to every address of a host as an AggregateError.
  if (Array.isArray(e.errors)) return e.errors.some((inner) => isTransientPgError(inner, depth + 1))
  return false
}

/**
 * How much of the pool a transient error condemns, which decides whether a retry replaces it:
 *
 * - `'none'`: the server refused a new client (53300 too many connections, 57P03 starting up), or
 *   the read lost its place on a pool already replaced. The pooled clients are not at fault, and a
 *   second pool would only add connections to a server that is full.
 * - `'client'`: pg reported the loss on the one client that ran the read (its backend terminated,
 *   its socket closed). pg-pool discards that client itself, and other clients that got the same
 *   news while idle are discarded as soon as the event loop reads it.
 * - `'pool'`: a socket error (reset, timeout, unreachable host). The other sockets share the
 *   network path and would each fail only when next used, costing an attempt apiece.
 */
export function pgErrorScope(error: unknown, depth = 0): 'none' | 'client' | 'pool' {
  if (error === null || typeof error !== 'object' || depth > 3) return 'pool'
  if (error instanceof ConnectionError) return pgErrorScope(error.cause, depth + 1)
  const e = error as { code?: unknown; message?: unknown; errors?: unknown }
  if (typeof e.code === 'string') {
    if (isNetworkErrorCode(e.code)) return 'pool'
    if (e.code === '53300' || e.code === '57P03') return 'none'
    if (/^[0-9A-Z]{5}$/.test(e.code)) return 'client'
  }
  if (typeof e.message === 'string') {
    if (e.message.includes(POOL_REPLACED_MESSAGE)) return 'none'
    if (TRANSIENT_MESSAGES.some((m) => (e.message as string).includes(m))) return 'client'
  }
  if (Array.isArray(e.errors) && e.errors.length > 0) return pgErrorScope(e.errors[0], depth + 1)
  return 'pool'
}

/**
 * How a connection could not be opened, told apart from a failing query so that the user hears
 * what to check (the server, the host name, the login, the certificate) rather than "query failed".
 */
export type ConnectFailure =
  | 'refused'
  | 'unknown-host'
  | 'timeout'
  | 'certificate'
  | 'tls-unsupported'
  | 'tls'
  | 'authentication'
  | 'database'

/**
 * The kind of connection-level failure `error` is, or undefined for anything else (a query's own
 * error, a connection lost mid-query). Judged by code: pg reports these while opening a client.
 */
export function connectFailure(error: unknown, depth = 0): ConnectFailure | undefined {
  if (error === null || typeof error !== 'object' || depth > 3) return undefined
  const e = error as { code?: unknown; message?: unknown; errors?: unknown }
  const code = typeof e.code === 'string' ? e.code : ''
  const message = typeof e.message === 'string' ? e.message : ''
  if (message.includes('The server does not support SSL connections')) return 'tls-unsupported'
  const socket = socketConnectFailure(code)
  if (socket) return socket
  if (/^28[0-9A-Z]{3}$/.test(code)) return 'authentication'
  if (code === '3D000') return 'database'
  if (message.includes('Connection terminated due to connection timeout')) return 'timeout'
  // Node reports a refused connection to every address of a host as an AggregateError.
  if (Array.isArray(e.errors) && e.errors.length > 0) return connectFailure(e.errors[0], depth + 1)
  return undefined
}

/** The sslmode in effect and where it came from, for messages about TLS. */
export interface SslSetting {
  /** `sslmode=require (env DATABASE_URL)`, `ssl = true (code)`: what the user wrote, where. */
  readonly described: string
  /** The sslmode, when one was given (in a URL, PGSSLMODE, a service or the `ssl` option). */
  readonly mode: string | undefined
  /** True when it came in a connection string (where uselibpqcompat=true can go). */
  readonly inUrl: boolean
  /** True when the URL asks for libpq's meaning of the modes (`uselibpqcompat=true`). */
  readonly libpqCompat: boolean
}

/** Where to connect, for messages: no password, ever. */
export interface ConnectTarget extends Omit<ConnectFailureTarget, 'server'> {
  readonly connectionTimeoutMillis: number | undefined
  readonly ssl: SslSetting
}

/** What libpq does for the modes pg treats as verify-full. */
const LIBPQ_MEANING: Readonly<Record<string, string>> = {
  prefer: 'encrypt without verifying the certificate (and fall back to no TLS)',
  require: 'encrypt without verifying the certificate',
  'verify-ca': 'verify the certificate chain but not the host name',
}

function certificateAdvice(ssl: SslSetting): string {
  const passCa =
    'pass the CA that signed the server\'s certificate (sslrootcert=/path/to/root.crt in the URL, or ssl: { ca } in options, e.g. ca: readFileSync("root.crt", "utf8"))'
  const mode = ssl.mode?.toLowerCase()
  const libpq = mode === undefined ? undefined : LIBPQ_MEANING[mode]
  if (libpq === undefined || ssl.libpqCompat) {
    return `With ${ssl.described}, pg verifies the server's certificate and host name against Node's trusted CAs and any ca given: ${passCa}.`
  }
  const compat = ssl.inUrl
    ? `add uselibpqcompat=true to the URL (...?sslmode=${mode}&uselibpqcompat=true)`
    : `give the sslmode in a URL with uselibpqcompat=true (postgres://host/db?sslmode=${mode}&uselibpqcompat=true)`
  return (
    `With ${ssl.described}, pg verifies the server's certificate and host name, as libpq does only for verify-full; ` +
    `libpq (psql) would ${libpq}. Two ways out: ${passCa}; or, for libpq's meaning, ${compat}.`
  )
}

/**
 * A message for a connection-level failure that says what failed, where, and what to check. It
 * names the host, port, user and database (never the password) and keeps pg's own words.
 */
export function describeConnectFailure(kind: ConnectFailure, error: unknown, t: ConnectTarget): string {
  const at = `PostgreSQL at ${t.host}:${t.port}`
  const head = `Connection "${t.name}"`
  if (kind === 'timeout') {
    return `${head} got no connection from ${at} within connectionTimeoutMillis (${t.connectionTimeoutMillis} ms). Check that the host and port are reachable from here (a firewall drops the packets), or raise connectionTimeoutMillis (PGCONNECT_TIMEOUT, connect_timeout in the URL).`
  }
  if (kind === 'tls-unsupported') {
    return `${head}: ${at} does not accept TLS, and ${t.ssl.described} asks for it${t.ssl.mode?.toLowerCase() === 'prefer' ? ' (pg does not fall back to an unencrypted connection for prefer, as libpq does)' : ''}. Turn ssl on in the server, or connect without TLS (sslmode=disable).`
  }
  const said = error instanceof Error ? error.message : String(error)
  const hba = /no pg_hba\.conf entry/.test(said)
    ? ` The server's pg_hba.conf has no line for this user, database and host${/no encryption/.test(said) ? ' without TLS: it may ask for TLS (sslmode=require)' : ''}.`
    : ''
  const database = t.database ?? t.user
  return describeNetworkFailure(
    kind,
    error,
    { ...t, server: 'PostgreSQL', database },
    {
      hostPort: 'host and port, PGHOST and PGPORT, or the URL',
      host: "or PGHOST, or the URL's host",
      certificate: certificateAdvice(t.ssl),
      tls: `Check the TLS settings (${t.ssl.described}; sslcert, sslkey, sslrootcert or the ssl options).`,
      login: `(password, PGPASSWORD, ~/.pgpass or the URL).${hba}`,
      database: "or PGDATABASE, or the URL's path",
      createDatabase: `createdb ${database}`,
    },
  )
}
