/** Node socket errors that mean the connection, not the query, failed. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
])

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
  const e = error as { code?: unknown; message?: unknown; errors?: unknown; severity?: unknown }
  if (typeof e.code === 'string') {
    if (NETWORK_CODES.has(e.code)) return true
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
  const e = error as { code?: unknown; message?: unknown; errors?: unknown }
  if (typeof e.code === 'string') {
    if (NETWORK_CODES.has(e.code)) return 'pool'
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
