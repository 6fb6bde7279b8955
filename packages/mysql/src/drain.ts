import type { Pool } from 'mysql2'

/** How often a pool being let go is checked for idleness. */
const POLL_MS = 50
/** How long a pool being let go may keep connections checked out before it is ended anyway. */
const GRACE_MS = 30_000
/** How long `end()` may take once called: a pool whose sockets are dead may never call back. */
const END_TIMEOUT_MS = 2000

interface Counted {
  readonly length: number
}

/** mysql2's pool keeps its connections and waiters in these queues; it has no public counts. */
interface PoolInternals {
  _closed?: boolean
  _allConnections?: Counted
  _freeConnections?: Counted
  _connectionQueue?: Counted
}

/**
 * True when nobody waits for a connection and every connection is back in the pool. Unknown
 * internals (another mysql2 layout) count as idle, which ends the pool at once as before.
 */
function isIdle(pool: Pool): boolean {
  const p = pool as unknown as PoolInternals
  if (!p._allConnections || !p._freeConnections || !p._connectionQueue) return true
  return p._connectionQueue.length === 0 && p._freeConnections.length === p._allConnections.length
}

/**
 * Ends a pool once nothing uses it any more, and resolves when it has ended.
 *
 * mysql2's `end()` fails every caller queued for a connection ("Pool is closed.", which a Kysely
 * query on `conn.db` would see) and quits the connections still checked out after their current
 * command, so a transaction or a stream in progress on them breaks. So the pool is ended at once
 * only when nobody waits and every connection is back; otherwise queued callers are served and
 * running work finishes first, checked every `poll` ms on an unref'd timer. After `grace` ms (a
 * connection that is never released) the pool is ended regardless.
 */
export function endWhenIdle(pool: Pool, { poll = POLL_MS, grace = GRACE_MS } = {}): Promise<void> {
  const started = performance.now()
  return new Promise<void>((resolve) => {
    const end = () => {
      const timer = setTimeout(resolve, END_TIMEOUT_MS)
      timer.unref()
      try {
        pool.end(() => {
          clearTimeout(timer)
          resolve()
        })
      } catch {
        clearTimeout(timer)
        resolve()
      }
    }
    const check = () => {
      // Ended already (through `raw`): nothing left to wait for.
      if ((pool as unknown as PoolInternals)._closed === true) resolve()
      else if (isIdle(pool) || performance.now() - started >= grace) end()
      else setTimeout(check, poll).unref()
    }
    check()
  })
}
