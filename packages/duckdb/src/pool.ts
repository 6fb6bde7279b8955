import { type DuckDBConnection, type DuckDBInstance, DuckDBInstanceCache } from '@duckdb/node-api'
import { ConnectionError } from '@sqlconn/core'
import { DuckDBLockError, isLockError } from './errors.js'

/**
 * `conn.raw` of a DuckDB connection: one `DuckDBInstance` (from DuckDB's instance cache, so every
 * connection to a file in this process shares one database, never fighting over its lock) and a
 * small pool of `DuckDBConnection`s on it, so concurrent queries run side by side instead of one
 * after the other on a single connection.
 */
export class DuckDBPool {
  /** The database file (absolute) or ":memory:", as given to DuckDB. */
  readonly path: string
  /** The DuckDB settings given to `DuckDBInstance.create`, as DuckDB takes them (strings). */
  readonly options: Readonly<Record<string, string>>
  /** Most DuckDBConnections open at once. */
  readonly max: number

  readonly #connectionName: string
  #instance: Promise<DuckDBInstance> | undefined
  /** Set once this pool holds a reference on a shared instance. */
  #key: string | undefined
  readonly #idle: DuckDBConnection[] = []
  readonly #all = new Set<DuckDBConnection>()
  readonly #waiting: Array<{ resolve: (c: DuckDBConnection) => void; reject: (e: unknown) => void }> = []
  #opening = 0
  #closed = false

  /** @param connectionName the sqlconn connection's name, for errors */
  constructor(connectionName: string, path: string, options: Record<string, string>, max: number) {
    this.#connectionName = connectionName
    this.path = path
    this.options = Object.freeze({ ...options })
    this.max = Math.max(1, Math.floor(max))
  }

  /** The DuckDBInstance, opened on first use. A failed open (a lock held elsewhere) is tried again next time. */
  instance(): Promise<DuckDBInstance> {
    if (this.#closed) return Promise.reject(new ConnectionError(this.#connectionName, 'The DuckDB pool is closed.'))
    if (!this.#instance) {
      const key = this.path.startsWith(':memory:')
        ? `${this.path}\0${Math.random()}`
        : `${this.path}\0${settingsKey(this.options)}`
      const shared = openShared(key, this.path, this.options)
      this.#instance = shared.then(
        (instance) => {
          if (this.#closed) {
            releaseShared(key)
            throw new ConnectionError(this.#connectionName, 'The DuckDB pool was closed while it opened.')
          }
          this.#key = key
          return instance
        },
        (err: unknown) => {
          this.#instance = undefined
          throw this.#openError(err)
        },
      )
    }
    return this.#instance
  }

  /** Every DuckDBConnection open now, in use or idle (for diagnostics and tests). */
  get connections(): readonly DuckDBConnection[] {
    return [...this.#all]
  }

  /** A connection of its own for one query or transaction; give it back with `release()`. */
  async acquire(): Promise<DuckDBConnection> {
    const idle = this.#idle.pop()
    if (idle) return idle
    if (this.#all.size + this.#opening < this.max) {
      this.#opening++
      try {
        const conn = await (await this.instance()).connect()
        if (this.#closed) {
          conn.closeSync()
          throw new ConnectionError(this.#connectionName, 'The DuckDB pool is closed.')
        }
        this.#all.add(conn)
        return conn
      } catch (err) {
        // A caller queued behind this open would wait for a release that never comes: it tries itself.
        const next = this.#waiting.shift()
        if (next) this.acquire().then(next.resolve, next.reject)
        throw err
      } finally {
        this.#opening--
      }
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }))
  }

  /** Gives a connection back; a broken one (closed under a query) is dropped instead of reused. */
  release(conn: DuckDBConnection, broken = false): void {
    if (broken || this.#closed) {
      this.#all.delete(conn)
      try {
        conn.closeSync()
      } catch {
        // Already closed: that is why it is dropped.
      }
      const next = this.#waiting.shift()
      if (next) this.acquire().then(next.resolve, next.reject)
      return
    }
    const next = this.#waiting.shift()
    if (next) next.resolve(conn)
    else this.#idle.push(conn)
  }

  /**
   * Closes the idle connections and gives up this pool's reference on the instance, which is closed
   * when no pool in the process uses it any more (DuckDB then releases the file's lock).
   * Connections in use are closed when they are released. `linger` (ms) keeps the instance open that
   * long for a pool replacing this one (a reset), so it is not closed and reopened under it.
   */
  async close(options: { linger?: number } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const w of this.#waiting.splice(0))
      w.reject(new ConnectionError(this.#connectionName, 'The DuckDB pool is closed.'))
    for (const conn of this.#idle.splice(0)) {
      this.#all.delete(conn)
      conn.closeSync()
    }
    // In-use connections keep the database alive until released; this pool's reference can go now.
    await this.#instance?.catch(() => undefined)
    const key = this.#key
    this.#key = undefined
    if (key === undefined) return
    if (options.linger) setTimeout(() => releaseShared(key), options.linger).unref()
    else releaseShared(key)
  }

  #openError(err: unknown): unknown {
    if (isLockError(err)) return new DuckDBLockError(this.#connectionName, this.path, err)
    const text = err instanceof Error ? err.message : String(err)
    return new ConnectionError(
      this.#connectionName,
      `Connection "${this.#connectionName}" could not open the DuckDB database "${this.path}": ${text}`,
      { cause: err },
    )
  }
}

interface Shared {
  readonly instance: Promise<DuckDBInstance>
  refs: number
}

/**
 * The instances open in this process, by file and settings, with how many pools use each. A reset
 * replaces a pool's connections but keeps the instance: reopening a file whose old instance still
 * has a streaming result waiting for garbage collection stalls in DuckDB's instance cache until
 * that result is collected.
 */
const SHARED = new Map<string, Shared>()

function settingsKey(options: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** The shared instance for `key`, opened through DuckDB's instance cache on first use; counts a reference. */
function openShared(key: string, path: string, options: Readonly<Record<string, string>>): Promise<DuckDBInstance> {
  let shared = SHARED.get(key)
  if (!shared) {
    const instance = DuckDBInstanceCache.singleton.getOrCreateInstance(path, { ...options })
    const entry: Shared = { instance, refs: 0 }
    shared = entry
    SHARED.set(key, entry)
    // A failed open is forgotten, so the next pool tries again (the lock may be free by then).
    instance.catch(() => {
      if (SHARED.get(key) === entry) SHARED.delete(key)
    })
  }
  shared.refs++
  return shared.instance
}

/** Drops one reference; the last one closes the instance's handle. */
function releaseShared(key: string): void {
  const shared = SHARED.get(key)
  if (!shared || --shared.refs > 0) return
  SHARED.delete(key)
  shared.instance.then(
    (instance) => instance.closeSync(),
    () => {},
  )
}
