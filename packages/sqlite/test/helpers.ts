import path from 'node:path'
import Database from 'better-sqlite3'

export { useSandbox } from '@sqlconn/core/testing'

/**
 * Another process's view of the database holding an exclusive lock, so reads get a real
 * SQLITE_BUSY. `release()` lets them through; `close()` releases and closes (for `finally`).
 */
export function lockDatabase(file: string): { release(): void; close(): void } {
  const locker = new Database(path.resolve(file))
  locker.exec('begin exclusive')
  const release = () => {
    if (locker.inTransaction) locker.exec('rollback')
  }
  return {
    release,
    close() {
      release()
      locker.close()
    },
  }
}
