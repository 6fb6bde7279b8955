import { endWhenIdle } from '@sqlconn/core'
import type pg from 'pg'
import { POOL_REPLACED_MESSAGE } from './errors.js'

interface PendingItem {
  callback: (error: Error) => void
}

/**
 * Ends a pg pool once nothing uses it any more (core's `endWhenIdle()`), and resolves when it has
 * ended. pg-pool's `end()` never hands a client to a caller already queued for one (with `max: 1`,
 * a read queued behind a slow one would wait forever) and waits for every checked-out client, so
 * callers still queued when the grace period is over fail with a transient error instead of hanging.
 */
export function endPoolWhenIdle(pool: pg.Pool): Promise<void> {
  return endWhenIdle({
    idle: () => pool.waitingCount === 0 && pool.idleCount === pool.totalCount,
    failWaiting: () => failWaiting(pool),
    end: () => pool.end(),
  })
}

/** Fails the callers queued for a client; pg-pool keeps them in `_pendingQueue` (no public API). */
function failWaiting(pool: pg.Pool): void {
  const queue = (pool as unknown as { _pendingQueue?: PendingItem[] })._pendingQueue
  if (!Array.isArray(queue) || queue.length === 0) return
  for (const item of queue.splice(0)) item.callback(new Error(POOL_REPLACED_MESSAGE))
}
