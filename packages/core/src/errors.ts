/** Codes carried by every error sqlconn throws, so callers can branch without parsing messages. */
export type SqlconnErrorCode =
  | 'UNKNOWN_TYPE'
  | 'ADAPTER_NOT_INSTALLED'
  | 'INVALID_ADAPTER'
  | 'SECRETS_FILE_INVALID'
  | 'UNKNOWN_OPTION'
  | 'MISSING_OPTION'
  | 'INVALID_OPTION'
  | 'MISSING_PARAMETER'
  | 'INVALID_PARAMETERS'
  | 'QUERY_FAILED'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_CLOSED'
  | 'OPTIONAL_DEPENDENCY_MISSING'
  | 'INVALID_ARGUMENT'
  | 'ARROW_TYPE_MISMATCH'
  | 'CACHE_UNAVAILABLE'

/** Base class of every error sqlconn throws: a `code`, an actionable message and the `cause`. */
export class SqlconnError extends Error {
  readonly code: SqlconnErrorCode

  /** Builds an error; `cause` is attached as the standard `Error.cause`. */
  constructor(code: SqlconnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The connection `type` is neither a class, a known short name, nor a package name. */
export class UnknownConnectionTypeError extends SqlconnError {
  /** @param type the type that was asked for */
  constructor(
    readonly type: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('UNKNOWN_TYPE', message, options)
  }
}

/** A package given as a connection type does not export a connection class. */
export class InvalidAdapterError extends SqlconnError {
  /** @param packageName the package that was loaded */
  constructor(
    readonly packageName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('INVALID_ADAPTER', message, options)
  }
}

/** The package that implements a connection type is not installed; the message names the command. */
export class AdapterNotInstalledError extends SqlconnError {
  /** @param packageName the missing package @param installCommand what to run to install it */
  constructor(
    readonly packageName: string,
    readonly installCommand: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('ADAPTER_NOT_INSTALLED', message, options)
  }
}

/** A secrets file could not be read or parsed; `path` and `line` say where. */
export class SecretsFileError extends SqlconnError {
  /** @param path the file @param line 1-based line of the problem, when known */
  constructor(
    readonly path: string,
    readonly line: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('SECRETS_FILE_INVALID', message, options)
  }
}

/** An option is unknown, missing or of the wrong type. */
export class ConfigError extends SqlconnError {
  /** @param option the option's name */
  constructor(
    code: 'UNKNOWN_OPTION' | 'MISSING_OPTION' | 'INVALID_OPTION' | 'INVALID_ARGUMENT',
    readonly option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
  }
}

/** Required options are not set; `missing` names every one (`option` is the first). */
export class MissingOptionsError extends ConfigError {
  /** @param missing every missing option, in declared order */
  constructor(
    readonly missing: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super('MISSING_OPTION', missing[0] ?? '', message, options)
  }
}

/** Query parameters do not match the SQL (a `:name` without a value, the wrong shape). */
export class ParameterError extends SqlconnError {
  /** @param parameter the offending parameter, when there is one */
  constructor(
    code: 'MISSING_PARAMETER' | 'INVALID_PARAMETERS',
    message: string,
    readonly parameter?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
  }
}

/**
 * The database rejected a statement, or a connection could not be (re)established.
 * `sql` is the statement; the driver's own error is the `cause` (its `code` is copied to `driverCode`).
 */
export class QueryError extends SqlconnError {
  readonly sql: string
  readonly driverCode: string | undefined

  /** @param sql the statement that failed */
  constructor(code: 'QUERY_FAILED' | 'CONNECTION_FAILED', message: string, sql: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.sql = sql
    const cause = options?.cause as { code?: unknown } | undefined
    this.driverCode = typeof cause?.code === 'string' ? cause.code : undefined
  }
}

/**
 * The driver could not open a connection (bad path, refused, unknown host, TLS, auth failed); the
 * driver's error is the cause, and its code is copied to `driverCode` as on QueryError.
 */
export class ConnectionError extends SqlconnError {
  readonly driverCode: string | undefined

  /** @param connectionName the connection's name */
  constructor(
    readonly connectionName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('CONNECTION_FAILED', message, options)
    const cause = options?.cause as { code?: unknown } | undefined
    this.driverCode = typeof cause?.code === 'string' ? cause.code : undefined
  }
}

/** The connection was closed and cannot be used again. */
export class ConnectionClosedError extends SqlconnError {
  /** @param name the connection's name */
  constructor(readonly connectionName: string) {
    super('CONNECTION_CLOSED', `Connection "${connectionName}" is closed; call connection() again for a new one.`)
  }
}

/**
 * The shared cache store did not carry out an invalidation (Redis down or too slow). Reads never
 * throw this (a store that is down costs speed, not a result); `conn.invalidate()` does, since
 * other servers may serve the results it meant to drop until their ttl.
 */
export class CacheUnavailableError extends SqlconnError {
  /** @param what what was being done @param options the store's error as `cause` */
  constructor(what: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'no answer')
    super(
      'CACHE_UNAVAILABLE',
      `${what} failed: the cache store did not answer (${why}). Entries it meant to drop may be served until their ttl; try again once the store answers.`,
      options,
    )
  }
}

/** An optional peer dependency (apache-arrow, @keyv/redis) is needed but not installed. */
export class OptionalDependencyError extends SqlconnError {
  /** @param packageName the missing package @param feature what needs it */
  constructor(
    readonly packageName: string,
    feature: string,
    options?: { cause?: unknown },
  ) {
    super(
      'OPTIONAL_DEPENDENCY_MISSING',
      `${feature} needs the optional package "${packageName}". Install it with: ${installCommand([packageName])}`,
      options,
    )
  }
}

/** The install command for the package manager the user runs (from npm_config_user_agent or the lockfile). */
export function installCommand(packages: string[], cwd = process.cwd()): string {
  const list = packages.join(' ')
  const agent = process.env.npm_config_user_agent ?? ''
  let pm = agent.split('/')[0] ?? ''
  if (!['npm', 'pnpm', 'yarn', 'bun'].includes(pm)) pm = detectFromLockfile(cwd)
  if (pm === 'npm') return `npm install ${list}`
  return `${pm} add ${list}`
}

function detectFromLockfile(cwd: string): string {
  // Imported lazily so errors.ts stays free of fs at module load for bundlers.
  const fs = process.getBuiltinModule('node:fs')
  const path = process.getBuiltinModule('node:path')
  let dir = cwd
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-lock.yaml'))) return 'pnpm'
    if (fs.existsSync(path.join(dir, 'yarn.lock'))) return 'yarn'
    if (fs.existsSync(path.join(dir, 'bun.lockb')) || fs.existsSync(path.join(dir, 'bun.lock'))) return 'bun'
    if (fs.existsSync(path.join(dir, 'package-lock.json'))) return 'npm'
    const parent = path.dirname(dir)
    if (parent === dir) return 'npm'
    dir = parent
  }
}
