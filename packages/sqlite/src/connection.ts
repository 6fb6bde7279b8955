import {
  type CompiledSql,
  type ConfigLayer,
  type FieldInit,
  loadKysely,
  type NativeContext,
  type OptionSpec,
  type ResolvedConfig,
  type RowTable,
  SqlConnection,
  TableBuilder,
  withFileOption,
} from '@sqlconn/core'
import Database from 'better-sqlite3'
import type { SqliteDatabase, SqliteDialect } from 'kysely'
import { isBusy, isTransientSqliteError } from './errors.js'
import { absoluteFilename, filenameFromUrl, sqliteNativeConfig } from './native.js'
import { SQLITE_OPTIONS } from './options.js'
import { decimalSize, logicalType } from './types.js'

const STATEMENT_CACHE_SIZE = 100
const SCHEMA_CHECK_INTERVAL_MS = 250

/**
 * SQLite on better-sqlite3. `raw` is the `Database`; `db` is Kysely's SqliteDialect on the same
 * handle. Option names are better-sqlite3's.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own default for an untyped database
export class SqliteConnection<DB = any> extends SqlConnection<Database.Database, DB> {
  static override readonly typeName: string = 'sqlite'

  static override readonly options: readonly OptionSpec[] = SQLITE_OPTIONS

  /** `DATABASE_URL` when it is a sqlite: URL. */
  static override nativeConfig(context: NativeContext): ConfigLayer {
    return sqliteNativeConfig(context)
  }

  readonly #statements = new Map<string, Prepared>()
  /** The handle the cached statements were prepared on: a statement must never outlive its handle. */
  #statementsDb: Database.Database | undefined
  #schemaVersionStmt: Database.Statement | undefined
  #schemaVersion = -1
  #schemaCheckedAt = 0
  /** Set when a statement that may change the schema ran through this connection. */
  #schemaDirty = true

  /** The database file this connection opens (absolute), or ":memory:". */
  get filename(): string {
    return this.config.get<string>('filename')!
  }

  /**
   * `filename` as better-sqlite3 receives it: the file a `url` names (with the url's source) or
   * the given path made absolute, so `config` shows the file really opened.
   */
  protected override refineConfig(config: ResolvedConfig): ResolvedConfig {
    return withFileOption(config, 'filename', filenameFromUrl, absoluteFilename)
  }

  /** Opens the file with better-sqlite3's own options, then applies safeIntegers and pragmas. */
  protected override connect(config: ResolvedConfig): Database.Database {
    const db = new Database(this.filename, {
      readonly: config.get<boolean>('readonly'),
      fileMustExist: config.get<boolean>('fileMustExist'),
      timeout: config.get<number>('timeout'),
      verbose: config.get<(message?: unknown, ...more: unknown[]) => void>('verbose'),
      nativeBinding: config.get<string>('nativeBinding'),
    })
    if (config.get('safeIntegers')) db.defaultSafeIntegers(true)
    for (const [name, value] of Object.entries(config.get<Record<string, unknown>>('pragmas') ?? {})) {
      db.pragma(`${name} = ${String(value)}`)
    }
    return db
  }

  /** Closes the handle; better-sqlite3 finalizes its statements. */
  protected override async disconnect(raw: Database.Database): Promise<void> {
    raw.close()
  }

  /** The file (absolute) identifies the data (core keys each in-memory database to its own handle). */
  protected override cacheIdentity(): Record<string, unknown> {
    return { file: this.filename, safeIntegers: this.config.get('safeIntegers') }
  }

  /** Prepared statements belong to the old handle. */
  protected override onReset(): void {
    super.onReset()
    this.#statements.clear()
    this.#schemaVersionStmt = undefined
    this.#schemaVersion = -1
    this.#schemaDirty = true
  }

  /** Kysely keeps this facade for good; each statement goes to the handle of the moment. */
  protected override createDialect(): SqliteDialect {
    // Kysely loads with the first use of `db`, not with this module (see loadKysely).
    const { SqliteDialect } = loadKysely()
    return new SqliteDialect({
      database: {
        prepare: (sql: string) => {
          const stmt = this.raw.prepare(sql)
          if (!stmt.reader) this.#schemaDirty = true
          return stmt
        },
        // The handle is closed by close() and reset(), not by Kysely.
        close: () => {},
      } as unknown as SqliteDatabase,
    })
  }

  /** A cached prepared statement in raw (array) mode, its rows straight into columns. */
  protected override execute(query: CompiledSql): RowTable | Promise<RowTable> {
    const { stmt, fields } = this.#prepare(query.sql)
    const params = bindable(query.parameters)
    if (!fields) {
      this.#schemaDirty = true
      stmt.run(...params)
      return new TableBuilder([]).finish()
    }
    const rows = stmt.all(...params) as unknown[][]
    const builder = new TableBuilder(fields, rows.length)
    builder.appendRows(rows)
    return builder.finish()
  }

  /** Iterates a statement of its own, one chunk at a time; `return()` on break finalizes it. */
  protected override async *executeStream(query: CompiledSql, chunkSize: number): AsyncIterable<RowTable> {
    // A statement being iterated is busy, so streams get their own rather than a cached one.
    const stmt = this.raw.prepare(query.sql)
    if (!stmt.reader) {
      stmt.run(...bindable(query.parameters))
      return
    }
    stmt.raw(true)
    let fields: FieldInit[] = fieldsOf(stmt)
    const iterator = stmt.iterate(...bindable(query.parameters)) as IterableIterator<unknown[]>
    try {
      let builder = new TableBuilder(fields, chunkSize)
      for (const row of iterator) {
        builder.appendRow(row)
        if (builder.numRows === chunkSize) {
          const chunk = builder.finish()
          // Types inferred from the first chunk's values hold for every chunk of the stream.
          fields = chunk.schema.fields.map((f) => ({
            ...f,
            type: f.type === 'null' ? undefined : f.type,
            // SQLite has no nested types: its fields never have children.
            children: undefined,
          }))
          yield chunk
          builder = new TableBuilder(fields, chunkSize)
        }
      }
      if (builder.numRows > 0) yield builder.finish()
    } finally {
      iterator.return?.()
    }
  }

  /** Another process holds the lock: reopening the file would not help, waiting and retrying does. */
  protected override needsReset(error: unknown): boolean {
    return !isBusy(error)
  }

  /** SQLITE_BUSY (another connection holds the lock past `timeout`) and a closed handle are transient. */
  protected override isTransientError(error: unknown): boolean {
    return isTransientSqliteError(error)
  }

  /** Prepared statements and their columns, kept in a small LRU: `columns()` costs as much as a one-row read. */
  #prepare(sql: string): Prepared {
    // Through `raw` on every call: it is where a rotated secrets section or a reset swaps the handle,
    // and statements prepared on the old handle must go with it (same SQL text, old file otherwise).
    const db = this.raw
    if (db !== this.#statementsDb) {
      this.#statements.clear()
      this.#schemaVersionStmt = undefined
      this.#schemaVersion = -1
      this.#schemaDirty = true
      this.#statementsDb = db
    }
    // A schema change (from here, Kysely or another process) can change a statement's columns.
    // Reading the cookie costs about as much as a one-row query, so it is read after a write or
    // DDL through this connection, and otherwise at most every 250 ms (other processes, raw).
    const now = Date.now()
    if (!this.#schemaDirty && now - this.#schemaCheckedAt < SCHEMA_CHECK_INTERVAL_MS) return this.#cached(db, sql)
    this.#schemaDirty = false
    this.#schemaCheckedAt = now
    this.#schemaVersionStmt ??= db.prepare('pragma schema_version').pluck()
    const version = this.#schemaVersionStmt.get() as number
    if (version !== this.#schemaVersion) {
      this.#statements.clear()
      this.#schemaVersion = version
    }
    return this.#cached(db, sql)
  }

  /** The statement for `sql` from the LRU, prepared on `db` on a miss. */
  #cached(db: Database.Database, sql: string): Prepared {
    let prepared = this.#statements.get(sql)
    if (prepared) {
      // Map order doubles as recency.
      this.#statements.delete(sql)
    } else {
      const stmt = db.prepare(sql)
      if (stmt.reader) stmt.raw(true)
      prepared = { stmt, fields: stmt.reader ? fieldsOf(stmt) : undefined }
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value!)
      }
    }
    this.#statements.set(sql, prepared)
    return prepared
  }
}

interface Prepared {
  readonly stmt: Database.Statement
  /** undefined for statements that return no rows */
  readonly fields: FieldInit[] | undefined
}

function fieldsOf(stmt: Database.Statement): FieldInit[] {
  return stmt.columns().map((c) => ({
    name: c.name,
    type: logicalType(c.type),
    dbType: c.type ?? undefined,
    ...decimalSize(c.type),
  }))
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans and Dates are converted as SQLite stores them. */
function bindable(params: readonly unknown[]): unknown[] {
  let out: unknown[] | undefined
  for (let i = 0; i < params.length; i++) {
    const v = params[i]
    if (typeof v === 'boolean' || v instanceof Date) {
      out ??= [...params]
      out[i] = typeof v === 'boolean' ? (v ? 1 : 0) : v.toISOString()
    }
  }
  return out ?? (params as unknown[])
}
