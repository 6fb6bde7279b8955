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

/** What pg and pg-pool say when a client's socket went away under it. */
const TRANSIENT_MESSAGES = [
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'terminating connection due to administrator command',
]

/** True for errors of a lost or refused connection, after which pg's pool is reset and the read retried. */
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
