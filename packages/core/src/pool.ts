/**
 * Pool support shared by the adapters whose driver keeps a pool of network connections (pg,
 * mysql2): which socket errors mean the connection was lost, and how a pool a reset replaced is let
 * go without cutting off the work it was given.
 */

import type { DrainablePool, DrainOptions } from './contract.js'

export type { DrainablePool, DrainOptions } from './contract.js'

/**
 * Node's socket error codes that mean the connection, not the query, failed: reset, refused (the
 * server is restarting), aborted, broken pipe, timed out, host or network unreachable or down, and
 * a name server that did not answer (EAI_AGAIN; ENOTFOUND is not here: a name that does not resolve
 * stays unresolved). An adapter counts them transient and replaces its pool after them.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
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

/** True when `code` is one of Node's socket error codes for a lost or refused connection. */
export function isNetworkErrorCode(code: unknown): boolean {
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code)
}

/** How often a pool being let go is checked for idleness. */
const POLL_MS = 50
/** How long a pool being let go may keep connections checked out before it is ended anyway. */
const GRACE_MS = 30_000

/**
 * Ends a pool once nothing uses it any more, and resolves when it has ended.
 *
 * A driver's own `end()` either strands the callers queued for a connection (pg-pool) or fails them
 * and quits the connections still checked out under their owners (mysql2), so a reset would cut off
 * reads, streams and transactions in progress. So the pool is ended at once only when it is idle;
 * otherwise queued callers are served and running work finishes first, checked every `poll` ms on
 * an unref'd timer (a pool being let go never keeps the process alive). After `grace` ms (a
 * connection that is never released) the pool is ended regardless, callers still queued failed first.
 */
export function endWhenIdle(
  pool: DrainablePool,
  { poll = POLL_MS, grace = GRACE_MS, endTimeout }: DrainOptions = {},
): Promise<void> {
  const started = performance.now()
  return new Promise<void>((resolve) => {
    const end = () => {
      let timer: NodeJS.Timeout | undefined
      if (endTimeout !== undefined) {
        timer = setTimeout(resolve, endTimeout)
        timer.unref()
      }
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      pool.failWaiting?.()
      // A pool ended already (through `raw`) rejects or throws: nothing is left to wait for either way.
      new Promise<void>((ended) => ended(pool.end())).then(done, done)
    }
    const check = () => {
      if (pool.ended?.() === true) resolve()
      else if (pool.idle() || performance.now() - started >= grace) end()
      else setTimeout(check, poll).unref()
    }
    check()
  })
}
