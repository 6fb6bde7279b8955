/**
 * How mysql2's errors are judged: which a pool reset and a retry can cure (transient), which say
 * nothing against the pool (a refusal), and which mean a connection could not be opened, told apart
 * from a query that failed so that the user hears what to check rather than "query failed" with the SQL.
 */
import {
  type ConnectFailureKind,
  type ConnectFailureTarget,
  describeConnectFailure as describeNetworkFailure,
  isNetworkErrorCode,
  socketConnectFailure,
} from '@sqlconn/core'

/**
 * mysql2's and the server's codes a pool reset and a retry can cure: the connection or the server
 * went away, or was busy. Node's socket codes (core's NETWORK_ERROR_CODES) are transient too.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'PROTOCOL_CONNECTION_LOST', // the server closed the connection (KILL, wait_timeout, restart)
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN', // 1053: shutdown in progress
  'ER_CON_COUNT_ERROR', // 1040: too many connections; backoff helps
  'ER_CONNECTION_KILLED', // 1927 (MariaDB): this connection was killed
  'ER_CLIENT_INTERACTION_TIMEOUT', // 4031 (MySQL 8): closed after wait_timeout
])

/**
 * Errors mysql2 marks `fatal` that another attempt would only repeat: the host name does not
 * resolve, or the server's certificate is refused. Without this list they would be retried until
 * `retry.maxDuration` is spent instead of failing at once.
 */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HANDSHAKE_NO_SSL_SUPPORT',
])

const TRANSIENT_MESSAGES = [
  "Can't add new command when connection is in closed state",
  "Can't write in closed state",
  'Pool is closed.', // a read that started on a pool a concurrent reset just ended
]

/**
 * True for errors a reset and retry can cure. mysql2 marks errors that left the connection
 * unusable `fatal`; those are transient unless they are the server's own refusal (an `ER_*` code
 * such as a wrong password or an unknown database, which another attempt would only repeat).
 * SQL errors (syntax, missing table, constraint) are never transient. Exported for code that runs
 * its own retries around `conn.db` or `conn.raw` and wants sqlconn's judgement of mysql2's errors.
 */
export function isTransientMysqlError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false
  const e = error as { code?: unknown; fatal?: unknown; message?: unknown }
  const code = typeof e.code === 'string' ? e.code : undefined
  if (code && (TRANSIENT_CODES.has(code) || isNetworkErrorCode(code))) return true
  const message = typeof e.message === 'string' ? e.message : ''
  if (TRANSIENT_MESSAGES.some((m) => message.startsWith(m))) return true
  return e.fatal === true && !code?.startsWith('ER_') && !(code && PERMANENT_CODES.has(code))
}

/**
 * True for transient errors that say nothing against the pool's connections: the server refused a
 * new one (too many connections) or the pool was ended under a waiting read. Retrying is enough;
 * replacing the pool would not help.
 */
export function isRefusalMysqlError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false
  const e = error as { code?: unknown; message?: unknown }
  return e.code === 'ER_CON_COUNT_ERROR' || (typeof e.message === 'string' && e.message.startsWith('Pool is closed.'))
}

/** Errors mysql2 gave while opening a pool connection (getConnection), not while running a query. */
const CONNECT_PHASE = new WeakSet<object>()

/** Marks `error` as raised while opening a connection; returns it. */
export function connectPhase(error: unknown): unknown {
  if (error !== null && typeof error === 'object') CONNECT_PHASE.add(error)
  return error
}

/** How a connection could not be opened. */
export type ConnectFailure = ConnectFailureKind

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
  if (code.startsWith('HANDSHAKE_')) return 'tls'
  const socket = socketConnectFailure(code)
  if (socket) return socket
  if (AUTH_CODES.has(code)) return 'authentication'
  if (code === 'ER_BAD_DB_ERROR') return 'database'
  return undefined
}

/** Where to connect, for messages: no password, ever. */
export type ConnectTarget = Omit<ConnectFailureTarget, 'server'>

/** A message for a connection-level failure that says what failed, where, and what to check. */
export function describeConnectFailure(kind: ConnectFailure, error: unknown, t: ConnectTarget): string {
  return describeNetworkFailure(
    kind,
    error,
    { ...t, server: 'MySQL' },
    {
      hostPort: 'host and port, MYSQL_HOST and MYSQL_TCP_PORT, ~/.my.cnf, or the URL',
      host: "or MYSQL_HOST, ~/.my.cnf, or the URL's host",
      certificate:
        'Pass the CA that signed it (ssl: { ca }), or, to encrypt without verifying, ssl: { rejectUnauthorized: false }.',
      tls: 'Check the ssl option (the server may not accept TLS: leave ssl unset to connect without it).',
      login: "(password, MYSQL_PWD, ~/.my.cnf or the URL) and the account's allowed hosts.",
      database: "~/.my.cnf, or the URL's path",
      createDatabase: 'create database ...',
    },
  )
}
