/**
 * What the conformance suite needs to know about an adapter and its database: the options of
 * `describeConformance()`, in the order an adapter author fills them in.
 */
import type { SqlConnection } from '../sql-connection.js'

/** What the suite needs to know about an adapter and its database. */
export interface ConformanceOptions {
  /** Shown in test names. */
  name: string
  /** A new, uncached connection to the test database; `options` are extra sqlconn/driver options. */
  create(options?: Record<string, unknown>): SqlConnection | Promise<SqlConnection>
  /** The dialect's positional placeholder for the first parameter (`?`, `$1`). */
  placeholder: string
  /** Column types for the fixture table, in the dialect's DDL. */
  types: {
    integer: string
    float: string
    text: string
    binary: string
    /** An exact `DECIMAL(38,10)` in the dialect's DDL, when it has one: checks Decimal128 digit for digit. */
    decimal?: string
  }
  /**
   * Makes every driver connection of `conn` stale the way production does (terminate backends,
   * KILL, close the handle), so the next read must detect it, reset and retry.
   */
  breakConnections(conn: SqlConnection): Promise<void>
  /** Drops the suite's table; defaults to `drop table if exists`. */
  dropTable?(conn: SqlConnection, table: string): Promise<void>
  /**
   * Two different targets (two files, databases or schemas the suite may create a table in), each as
   * the values of a `[connections.<name>]` section: plain strings, numbers and booleans. The suite
   * writes them into a secrets file of its own (through `SQLCONN_SECRETS_FILE`) to rotate a
   * connection from one to the other.
   */
  targets():
    | [Record<string, unknown>, Record<string, unknown>]
    | Promise<[Record<string, unknown>, Record<string, unknown>]>
  /**
   * The settings the driver object of `conn` really holds (read back from `conn.raw`: the pool's or
   * handle's own config), under the adapter's option names. The suite checks `conn.config` shows
   * each of them with the same value.
   */
  driverSettings(conn: SqlConnection): Record<string, unknown>
  /**
   * Options that open an in-memory database (`{ filename: ':memory:' }`), when the adapter has
   * one: the suite checks two such connections never share a cached result.
   */
  inMemory?: Record<string, unknown>
  /**
   * For adapters that reach a server over the network: the suite then checks that a connection
   * which cannot be opened (refused port, unknown host, user or database) is a CONNECTION_FAILED
   * error saying what to check, without SQL or password, and that only the refused port is retried.
   */
  connectFailures?: ConnectFailureOptions
}

/** How the suite points an adapter at a server it cannot reach or log in to. */
export interface ConnectFailureOptions {
  /** The server's name as the adapter's messages give it (`PostgreSQL`, `MySQL`). */
  server: string
  /**
   * Options for the test server with these parts of its URL replaced (a refused port, an unknown
   * host, user or database, a password); they are merged over `create()`'s options.
   */
  at(parts: {
    hostname?: string
    port?: string
    username?: string
    password?: string
    pathname?: string
  }): Record<string, unknown>
}
