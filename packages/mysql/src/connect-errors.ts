/**
 * Telling a connection that could not be opened from a query that failed, so that the user hears
 * what to check (the server, the host name, the login, the certificate) rather than "query failed"
 * with the SQL.
 */

/** Errors mysql2 gave while opening a pool connection (getConnection), not while running a query. */
const CONNECT_PHASE = new WeakSet<object>()

/** Marks `error` as raised while opening a connection; returns it. */
export function connectPhase(error: unknown): unknown {
  if (error !== null && typeof error === 'object') CONNECT_PHASE.add(error)
  return error
}

/** How a connection could not be opened. */
export type ConnectFailure = 'refused' | 'unknown-host' | 'certificate' | 'tls' | 'authentication' | 'database'

/** Node's codes for a certificate it would not trust (expired, self-signed, unknown issuer, wrong host). */
const CERTIFICATE_CODE =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/

const AUTH_CODES = new Set([
  'ER_ACCESS_DENIED_ERROR', // 1045: wrong password, or no such user
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', // 1698: the account needs another way in (auth_socket)
  'ER_DBACCESS_DENIED_ERROR', // 1044: the user may not use the database
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'ER_HOST_NOT_PRIVILEGED', // 1130: this host may not connect
  'ER_MUST_CHANGE_PASSWORD_LOGIN',
  'AUTH_SWITCH_PLUGIN_ERROR',
])

/**
 * The kind of failure of an error raised while opening a connection, or undefined for any other
 * error (a query's, or a refusal a retry cures such as too many connections, which stays as it is).
 */
export function connectFailure(error: unknown): ConnectFailure | undefined {
  if (error === null || typeof error !== 'object' || !CONNECT_PHASE.has(error)) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string') return undefined
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown-host'
  if (CERTIFICATE_CODE.test(code)) return 'certificate'
  if (code.startsWith('HANDSHAKE_') || code.startsWith('ERR_SSL_') || code === 'EPROTO') return 'tls'
  if (AUTH_CODES.has(code)) return 'authentication'
  if (code === 'ER_BAD_DB_ERROR') return 'database'
  return undefined
}

/** Where to connect, for messages: no password, ever. */
export interface ConnectTarget {
  readonly name: string
  readonly host: string
  readonly port: number
  readonly user: string | undefined
  readonly database: string | undefined
}

/** A message for a connection-level failure that says what failed, where, and what to check. */
export function describeConnectFailure(kind: ConnectFailure, error: unknown, t: ConnectTarget): string {
  const at = `MySQL at ${t.host}:${t.port}`
  const code = (error as { code?: unknown } | null)?.code
  const said = `${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}`
  const head = `Connection "${t.name}"`
  switch (kind) {
    case 'refused':
      return `${head} could not reach ${at}: connection refused. Check that the server is running and accepts TCP connections on that host and port (host and port, MYSQL_HOST and MYSQL_TCP_PORT, ~/.my.cnf, or the URL).`
    case 'unknown-host':
      return `${head} could not resolve the host name "${t.host}": ${said}. Check host (or MYSQL_HOST, ~/.my.cnf, or the URL's host).`
    case 'certificate':
      return `${head} could not verify the TLS certificate of ${at}: ${said}. Pass the CA that signed it (ssl: { ca }), or, to encrypt without verifying, ssl: { rejectUnauthorized: false }.`
    case 'tls':
      return `${head}: the TLS handshake with ${at} failed: ${said}. Check the ssl option (the server may not accept TLS: leave ssl unset to connect without it).`
    case 'authentication':
      return `${head}: ${at} refused the login of user "${t.user ?? '(the OS user)'}": ${said}. Check user and password (password, MYSQL_PWD, ~/.my.cnf or the URL) and the account's allowed hosts.`
    case 'database':
      return `${head}: ${at} has no database "${t.database}": ${said}. Check database (~/.my.cnf, or the URL's path), or create it (create database ...).`
  }
}
