import { ConnectionError } from '@sqlconn/core'

/** What DuckDB says when another process holds the file's lock (DuckDB allows one writing process per file). */
const LOCK = /Could not set lock on file|Conflicting lock is held/i

/** What @duckdb/node-api says when a DuckDBConnection was closed under a query. */
const DISCONNECTED = /connection disconnected|Connection (has been|was|already) closed|database has been closed/i

/**
 * The database file is locked by another process. DuckDB lets one process open a file for writing
 * (or several read-only); the lock is released when that process closes it. Reads are retried with
 * backoff until `retry.maxDuration`, then the read fails with this as its cause.
 */
export class DuckDBLockError extends ConnectionError {
  /** The process holding the lock, when DuckDB names it. */
  readonly pid: number | undefined

  /** @param connectionName the connection's name @param file the database file @param cause DuckDB's error */
  constructor(
    connectionName: string,
    readonly file: string,
    cause: unknown,
  ) {
    const text = cause instanceof Error ? cause.message : String(cause)
    const pid = /\bPID (\d+)/.exec(text)?.[1]
    super(
      connectionName,
      `Connection "${connectionName}": the DuckDB file "${file}" is locked by another process${pid ? ` (PID ${pid})` : ''}. ` +
        'DuckDB lets one process write a file at a time: close that process, or open the file with ' +
        'access_mode = "READ_ONLY" in every process that only reads it.',
      { cause },
    )
    this.name = 'DuckDBLockError'
    this.pid = pid === undefined ? undefined : Number(pid)
  }
}

/** True when DuckDB refused to open a file because another process holds its lock. */
export function isLockError(error: unknown): boolean {
  const message = (error as { message?: unknown })?.message
  return error instanceof DuckDBLockError || (typeof message === 'string' && LOCK.test(message))
}

/** True when the DuckDBConnection (or the instance under it) was closed while in use. */
export function isDisconnected(error: unknown): boolean {
  const message = (error as { message?: unknown })?.message
  return typeof message === 'string' && DISCONNECTED.test(message)
}

/**
 * Errors a wait, or a reset and retry, can cure: a file locked by another process, a connection
 * closed under the query. SQL errors (parser, binder, catalog, constraint, conversion) never are.
 */
export function isTransientDuckDBError(error: unknown): boolean {
  return isLockError(error) || isDisconnected(error)
}
