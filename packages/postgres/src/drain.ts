import type pg from 'pg'
import { POOL_REPLACED_MESSAGE } from './errors.js'

/** How often a pool being let go is checked for idleness. */
const POLL_MS = 50
/** How long a pool being let go may keep clients checked out before it is ended anyway. */
const GRACE_MS = 30_000

interface PendingItem {
  callback: (error: Error) => void
}

/**
 * Ends a pool once nothing uses it any more, and resolves when it has ended.
 *
 * pg-pool's `end()` never hands a client to a caller already queued for one (with `max: 1`, a read
 * queued behind a slow one would wait forever), and it waits for every checked-out client anyway.
 * So the pool is ended at once only when nobody waits and no client is out; otherwise queued callers
 * are served and running queries finish first (a reset does not cut them off), checked every
 * `poll` ms on an unref'd timer. After `grace` ms (a client that is never released) the pool is
 * ended regardless, and callers still queued fail with a transient error instead of hanging.
 */
export function endWhenIdle(pool: pg.Pool, { poll = POLL_MS, grace = GRACE_MS } = {}): Promise<void> {
  const started = performance.now()
  return new Promise<void>((resolve) => {
    const check = () => {
      const idle = pool.waitingCount === 0 && pool.idleCount === pool.totalCount
      if (!idle && performance.now() - started < grace) {
        setTimeout(check, poll).unref()
        return
      }
      failWaiting(pool)
      pool.end().then(
        () => resolve(),
        // Already ended (by the user through `raw`): nothing left to wait for.
        () => resolve(),
      )
    }
    check()
  })
}

/** Fails the callers queued for a client; pg-pool keeps them in `_pendingQueue` (no public API). */
function failWaiting(pool: pg.Pool): void {
  const queue = (pool as unknown as { _pendingQueue?: PendingItem[] })._pendingQueue
  if (!Array.isArray(queue) || queue.length === 0) return
  for (const item of queue.splice(0)) item.callback(new Error(POOL_REPLACED_MESSAGE))
}
