import { existsSync } from 'node:fs'
import path from 'node:path'
import {
  type CompiledSql,
  ConfigError,
  type ConfigLayer,
  ConnectionError,
  loadKysely,
  type NativeContext,
  type OptionSpec,
  type ResolvedConfig,
  type RowTable,
  SqlConnection,
} from '@sqlconn/core'
import type { MysqlDialect, MysqlPool } from 'kysely'
import { createPool, type Pool, type PoolConnection } from 'mysql2'
import { endPoolWhenIdle } from './drain.js'
import { connectFailure, describeConnectFailure, isRefusalMysqlError, isTransientMysqlError } from './errors.js'
import { nativeLayers } from './native.js'
import { MYSQL_OPTIONS, RESULT_OPTIONS } from './options.js'
import { effectiveConfig, type PoolOptions, poolOptions } from './pool-options.js'
import { destroyConnection, getConnection, queryTable, type Reader, RecentSizes, ResultReader } from './read.js'
import { ShapeCache } from './shapes.js'

const ignore = () => {}

/**
 * MySQL and MariaDB on mysql2. `raw` is mysql2's (callback) `Pool`; `db` is Kysely's MysqlDialect
 * on the same pool. Option names, defaults and values are mysql2's.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export class MysqlConnection<DB = any> extends SqlConnection<Pool, DB> {
  static override readonly typeName: string = 'mysql'

  static override readonly options: readonly OptionSpec[] = MYSQL_OPTIONS

  /**
   * DATABASE_URL (mysql://), the [client] section of the option files, MYSQL_* variables, USER,
   * highest first. With `defaultsFile` (from code or secrets), that file's [client] section
   * replaces the other option files, as the mysql client's --defaults-file.
   */
  static override nativeConfig(context: NativeContext, given?: ResolvedConfig): ConfigLayer[] {
    const defaultsFile = given?.get<string>('defaultsFile')
    if (defaultsFile !== undefined && !existsSync(path.resolve(context.cwd, defaultsFile))) {
      throw new ConfigError(
        'INVALID_OPTION',
        'defaultsFile',
        `defaultsFile "${defaultsFile}" (from ${given!.source('defaultsFile')}) does not exist.`,
      )
    }
    return nativeLayers(context, { defaultsFile })
  }

  protected override backslashEscapes = true

  #poolOptions: PoolOptions | undefined
  #reader: Reader | undefined

  /** A `uri` merged with the separate options, an unused socket left out (see effectiveConfig). */
  protected override refineConfig(resolved: ResolvedConfig): ResolvedConfig {
    this.#poolOptions = undefined
    this.#reader = undefined
    return effectiveConfig(resolved)
  }

  /**
   * What mysql2's `createPool` receives (the password included): `config`'s values, in which a
   * `uri` is already merged with the separate options by precedence.
   */
  get poolOptions(): Readonly<PoolOptions> {
    const config = this.config
    this.#poolOptions ??= poolOptions(config)
    return this.#poolOptions
  }

  /**
   * mysql2's callback pool (the API Kysely's MysqlDialect takes), from `poolOptions`. Every
   * connection gets an 'error' listener: an idle connection the server closes would otherwise
   * crash the process.
   */
  protected override connect(): Pool {
    const pool = createPool({ ...this.poolOptions } as Parameters<typeof createPool>[0])
    // An idle connection the server closes emits 'error'; without a listener that would crash the process.
    pool.on('connection', (conn) => conn.on('error', ignore))
    ;(pool as unknown as NodeJS.EventEmitter).on('error', ignore)
    letProcessExitWhenIdle(pool)
    return pool
  }

  /**
   * Lets a replaced (or closed) pool finish what it was given: callers queued for a connection are
   * served, and queries, streams and transactions on checked-out connections complete, before the
   * pool ends. mysql2's own `end()` would fail the queued callers and quit the busy connections
   * under their owners. Resolves once the pool has ended (bounded: 30 s of draining, then 2 s for
   * `end()`, since a pool whose sockets are dead may never call back).
   */
  protected override disconnect(raw: Pool): Promise<void> {
    return endPoolWhenIdle(raw)
  }

  /**
   * Kysely's MysqlDialect on a stand-in pool that asks `this.raw` for each connection, so a `db`
   * the user keeps goes on working after a reset replaces the pool. Kysely never ends the real
   * pool (`db.destroy()` is a no-op for it): `reset()` and `close()` own it.
   */
  protected override createDialect(): MysqlDialect {
    const pool: MysqlPool = {
      getConnection: (callback) => this.raw.getConnection(callback as Parameters<Pool['getConnection']>[0]),
      end: (callback) => callback(undefined),
    }
    // Kysely loads with the first use of `db`, not with this module (see loadKysely).
    const { MysqlDialect } = loadKysely()
    return new MysqlDialect({ pool })
  }

  /**
   * The server, database and user and every option that changes the values read, for cache keys.
   * Never the password or pool sizes: rotating a password must not throw away the cached results.
   */
  protected override cacheIdentity(): Record<string, unknown> {
    const o = this.poolOptions
    const identity: Record<string, unknown> = o.socketPath
      ? { socketPath: o.socketPath }
      : { host: o.host ?? 'localhost', port: o.port ?? 3306 }
    identity.database = o.database
    identity.user = o.user
    for (const name of RESULT_OPTIONS) identity[name] = o[name]
    return identity
  }

  /** The options are resolved again after a reset (rotated credentials, a changed option file). */
  protected override onReset(): void {
    super.onReset()
    this.#poolOptions = undefined
    this.#reader = undefined
  }

  /**
   * mysql2's text protocol (`pool.query`), as Kysely uses it: one round trip, values escaped by
   * mysql2, any statement. Rows come as arrays (`rowsAsArray`) and go straight into the table.
   */
  protected override execute(query: CompiledSql, options: { signal?: AbortSignal }): Promise<RowTable> {
    return queryTable(this.raw, query.sql, query.parameters, this.#readOptions(), options.signal, (err) =>
      this.#connectError(err),
    )
  }

  /**
   * mysql2's streaming read on one pool connection: rows go into a chunk as they arrive, and the
   * connection is paused (`connection.pause()`, what mysql2's `.stream()` does) while a full chunk
   * waits for the loop. Leaving the loop early, or an error, destroys the connection if its result
   * is still being read (the pool then opens a fresh one) and releases it otherwise.
   */
  protected override async *executeStream(
    query: CompiledSql,
    chunkSize: number,
    signal?: AbortSignal,
  ): AsyncIterable<RowTable> {
    signal?.throwIfAborted()
    const conn: PoolConnection = await getConnection(this.raw).catch((err: unknown) => {
      throw this.#connectError(err)
    })
    const ready: RowTable[] = []
    let done = false
    let failure: { error: unknown } | undefined
    let wake: (() => void) | undefined
    const notify = () => {
      const w = wake
      wake = undefined
      w?.()
    }
    const reader = new ResultReader(this.#readOptions(), chunkSize, (table) => {
      ready.push(table)
      conn.pause()
      notify()
    })
    const fail = (error: unknown) => {
      failure ??= { error }
      notify()
    }
    const onAbort = () => fail(signal!.reason)
    // mysql2 reports a connection dying under an event-style query on the connection only.
    const onConnectionError = (error: unknown) => {
      broken = true
      fail(error)
    }
    let broken = false
    signal?.addEventListener('abort', onAbort, { once: true })
    conn.on('error', onConnectionError)
    try {
      const q = conn.query({ sql: query.sql, values: query.parameters as unknown[], rowsAsArray: true })
      reader.attach(q)
      q.on('error', (error: unknown) => {
        if (isTransientMysqlError(error)) broken = true
        fail(error)
      })
      q.on('end', () => {
        if (!failure) {
          const last = reader.finish()
          if (last) ready.push(last)
        }
        done = true
        notify()
      })
    } catch (error) {
      onConnectionError(error)
    }
    try {
      for (;;) {
        if (failure) throw failure.error
        const chunk = ready.shift()
        if (chunk) {
          // Read the next chunk while this one is being used.
          if (ready.length === 0 && !done) conn.resume()
          yield chunk
          continue
        }
        if (done) return
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      conn.off('error', onConnectionError)
      // A connection still reading its result, or broken, is destroyed; the pool opens a fresh one.
      if (!done || broken) destroyConnection(conn)
      else conn.release()
    }
  }

  /**
   * Lost and refused connections, a server shutting down or out of connections: a later attempt
   * can succeed. Never SQL errors or the server's refusals of a login, which would only repeat.
   */
  protected override isTransientError(error: unknown): boolean {
    return isTransientMysqlError(error)
  }

  /**
   * A lost connection replaces the pool: its other connections were likely killed too (a restart,
   * wait_timeout) and would each fail one attempt. But a server out of connections
   * (ER_CON_COUNT_ERROR) only needs the backoff: a second pool, opened while the first drains,
   * would ask it for yet more. A read that lost its place on a pool already replaced ("Pool is
   * closed.") needs nothing either.
   */
  protected override needsReset(error: unknown): boolean {
    return !isRefusalMysqlError(error)
  }

  /**
   * A failure to open a connection (refused, unknown host, TLS, login, no such database) as a
   * ConnectionError (CONNECTION_FAILED) whose message says what to check, rather than a failed
   * query with its SQL. Other errors are returned as they are; retries judge mysql2's error, the cause.
   */
  #connectError(error: unknown): unknown {
    const kind = connectFailure(error)
    if (kind === undefined) return error
    const o = this.poolOptions
    const message = describeConnectFailure(kind, error, {
      name: this.name,
      host: o.host ?? 'localhost',
      port: o.port ?? 3306,
      user: o.user,
      database: o.database,
    })
    return new ConnectionError(this.name, this.redact(message), { cause: error })
  }

  #readOptions(): Reader {
    if (!this.#reader) {
      const o = this.poolOptions
      const typeCast = o.typeCast !== undefined
      const read = {
        jsonAsText: !typeCast && !o.jsonStrings && !o.supportBigNumbers,
        bigintAsText: !typeCast && o.supportBigNumbers === true && o.bigNumberStrings === true,
      }
      this.#reader = { ...read, shapes: new ShapeCache(read), sizes: new RecentSizes() }
    }
    return this.#reader
  }
}

interface IdleInternals {
  _removeIdleTimeoutConnections?: () => void
  _removeIdleTimeoutConnectionsTimer?: NodeJS.Timeout
}

/**
 * Lets a script end without `closeAll()`, as pg's `allowExitOnIdle` does: a connection's socket is
 * unref'd while it sits idle in the pool and ref'd again when it is taken, so only work in progress
 * holds the process open. mysql2's timer that closes idle connections (when maxIdle <
 * connectionLimit) is re-armed every second; it is unref'd too (private API, checked before use).
 * A server's own listening socket keeps it running as before.
 */
function letProcessExitWhenIdle(pool: Pool): void {
  const socketOf = (conn: unknown) => (conn as { stream?: { ref?: () => void; unref?: () => void } }).stream
  pool.on('acquire', (conn) => socketOf(conn)?.ref?.())
  pool.on('release', (conn) => socketOf(conn)?.unref?.())
  const p = pool as unknown as IdleInternals
  const rearm = p._removeIdleTimeoutConnections
  if (typeof rearm === 'function') {
    p._removeIdleTimeoutConnectionsTimer?.unref?.()
    p._removeIdleTimeoutConnections = function (this: IdleInternals) {
      rearm.call(this)
      this._removeIdleTimeoutConnectionsTimer?.unref?.()
    }
  }
}
