/**
 * For adapters that reach a server over the network: telling a connection that could not be
 * opened from a query that failed, and saying so the same way in every adapter (what failed,
 * where, what the driver said, what to check), so the user hears what to fix rather than "query
 * failed" with the SQL.
 */

/** The kinds of connection-level failure every networked adapter tells apart. */
export type ConnectFailureKind = 'refused' | 'unknown-host' | 'certificate' | 'tls' | 'authentication' | 'database'

/** Node's codes for a certificate it would not trust (expired, self-signed, unknown issuer, wrong host). */
const CERTIFICATE_CODE =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/

/**
 * The kind of failure Node's own error code says (socket, name resolution, TLS), or undefined for
 * a code it does not know (the driver's and the server's codes are the adapter's to judge).
 */
export function socketConnectFailure(code: string): 'refused' | 'unknown-host' | 'certificate' | 'tls' | undefined {
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown-host'
  if (CERTIFICATE_CODE.test(code)) return 'certificate'
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') return 'tls'
  return undefined
}

/** Where the connection went, for messages: no password, ever. */
export interface ConnectFailureTarget {
  /** The connection's name. */
  readonly name: string
  /** The server's name as messages give it (`PostgreSQL`, `MySQL`). */
  readonly server: string
  /** The host connected to, as resolved (a URL's host included). */
  readonly host: string
  /** The port connected to, the driver's default applied. */
  readonly port: number
  /** The user logging in; undefined when the driver falls back to the OS user. */
  readonly user: string | undefined
  /** The database asked for, as the server would name it (a default already applied). */
  readonly database: string | undefined
}

/** What the user should check for each kind, in the adapter's words (its option and variable names). */
export interface ConnectFailureAdvice {
  /** Where host and port are given: `host and port, PGHOST and PGPORT, or the URL`. */
  readonly hostPort: string
  /** Where the host is given: `or PGHOST, or the URL's host`. */
  readonly host: string
  /** What to do about a certificate that was not trusted: a whole sentence. */
  readonly certificate: string
  /** What to check after a failed TLS handshake: a whole sentence. */
  readonly tls: string
  /** Where user and password are given, and anything more to check: `(password, PGPASSWORD or the URL).` */
  readonly login: string
  /** Where the database is given: `or PGDATABASE, or the URL's path`. */
  readonly database: string
  /** How to create the database: `createdb app`. */
  readonly createDatabase: string
}

/**
 * A message for a connection-level failure that says what failed, where (host, port, user and
 * database, never the password), what the driver said, and what to check.
 */
export function describeConnectFailure(
  kind: ConnectFailureKind,
  error: unknown,
  t: ConnectFailureTarget,
  advice: ConnectFailureAdvice,
): string {
  const at = `${t.server} at ${t.host}:${t.port}`
  const code = (error as { code?: unknown } | null)?.code
  const said = `${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}`
  const head = `Connection "${t.name}"`
  switch (kind) {
    case 'refused':
      return `${head} could not reach ${at}: connection refused. Check that the server is running and accepts TCP connections on that host and port (${advice.hostPort}).`
    case 'unknown-host':
      return `${head} could not resolve the host name "${t.host}": ${said}. Check host (${advice.host}).`
    case 'certificate':
      return `${head} could not verify the TLS certificate of ${at}: ${said}. ${advice.certificate}`
    case 'tls':
      return `${head}: the TLS handshake with ${at} failed: ${said}. ${advice.tls}`
    case 'authentication':
      return `${head}: ${at} refused the login of user "${t.user ?? '(the OS user)'}": ${said}. Check user and password ${advice.login}`
    case 'database':
      return `${head}: ${at} has no database "${t.database}": ${said}. Check database (${advice.database}), or create it (${advice.createDatabase}).`
  }
}
