import { endWhenIdle } from '@sqlconn/core'
import type { Pool } from 'mysql2'

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
 * Ends a mysql2 pool once nothing uses it any more (core's `endWhenIdle()`), and resolves when it
 * has ended. mysql2's `end()` fails every caller queued for a connection ("Pool is closed.", which
 * a Kysely query on `conn.db` would see) and quits the connections still checked out after their
 * current command, so a transaction or a stream in progress on them would break.
 */
export function endPoolWhenIdle(pool: Pool): Promise<void> {
  return endWhenIdle(
    {
      idle: () => isIdle(pool),
      ended: () => (pool as unknown as PoolInternals)._closed === true,
      end: () => new Promise<void>((resolve) => pool.end(() => resolve())),
    },
    { endTimeout: END_TIMEOUT_MS },
  )
}
