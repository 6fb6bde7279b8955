/**
 * Which SQLite errors a retry can cure. SQLite has no network: what is transient is another
 * connection holding the lock, and a handle closed under a read (a reset reopens it).
 */

/** SQLITE_BUSY and its extended codes: another connection held the lock past `timeout`. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

/**
 * True for SQLITE_BUSY (another connection holds the lock past `timeout`) and a closed handle,
 * which sqlconn retries. Exported for code that runs its own retries around `conn.db` or `conn.raw`.
 */
export function isTransientSqliteError(error: unknown): boolean {
  if (isBusy(error)) return true
  const e = error as { message?: unknown }
  return e instanceof TypeError && e.message === 'The database connection is not open'
}
