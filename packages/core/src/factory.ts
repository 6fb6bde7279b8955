import type { BaseConnection, ConnectionClass } from './connection.js'
import { type Duration, toMilliseconds } from './duration.js'
import { ConfigError } from './errors.js'
import { objectId } from './object-id.js'
import { BUILTIN_TYPES, resolveConnectionType } from './registry.js'
import { secretsFileReports, secretsSection } from './secrets.js'
import { sha256 } from './sha256.js'
import type { SqlConnection, SqlConnectionOptions } from './sql-connection.js'

/** Options of `connection()`: the driver's own options plus sqlconn's. */
export interface ConnectionOptions extends SqlConnectionOptions {
  /** A connection class, a short name (`sqlite`, `postgres`, `mysql`), or a package name. */
  type?: string | ConnectionClass
  /** How long this instance lives before it is closed and rebuilt on the next call. */
  ttl?: Duration
  /** How many instances the cache keeps; the least recently used ones are closed. */
  maxEntries?: number
  /** Everything else is the driver's own option (`filename`, `connectionString`, `uri`, ...). */
  [option: string]: unknown
}

interface Entry {
  readonly promise: Promise<BaseConnection>
  readonly expiresAt: number
}

const instances = new Map<string, Entry>()
const idOf = objectId

/** A digest of the options: equal options give equal keys; functions and stores count by identity. */
function optionsKey(options: Record<string, unknown>): string {
  const stable = JSON.stringify(options, function (this: unknown, _k, v: unknown) {
    if (typeof v === 'function') return `fn${idOf(v)}`
    if (typeof v === 'bigint') return `${v}n`
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null && !(v instanceof Date)) return `obj${idOf(v)}`
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      )
    }
    return v
  })
  return sha256(stable ?? '')
}

/** `cache` options with each duration in milliseconds, so equal durations give equal instance keys. */
function durationsInMs(cache: unknown): unknown {
  if (cache === null || typeof cache !== 'object') return cache
  const out: Record<string, unknown> = { ...(cache as Record<string, unknown>) }
  const ms = (v: unknown, option: string) => {
    try {
      return toMilliseconds(v as Duration, option)
    } catch {
      return v // reported with its option name when the cache is built
    }
  }
  for (const k of ['ttl', 'staleWhileRevalidate']) if (k in out) out[k] = ms(out[k], `cache.${k}`)
  if (out.lock !== null && typeof out.lock === 'object') {
    const lock = { ...(out.lock as Record<string, unknown>) }
    for (const k of ['wait', 'ttl']) if (k in lock) lock[k] = ms(lock[k], `cache.lock.${k}`)
    out.lock = lock
  }
  return out
}

/** No type in code, in the section or as the name: say where it was looked for, file by file, as Streamlit does. */
function noTypeError(name: string): ConfigError {
  const files = secretsFileReports(name).map((f) => {
    const state = !f.exists
      ? 'not found'
      : !f.hasSection
        ? `found, no [connections.${name}] section`
        : f.hasType
          ? 'found, sets type'
          : `found, [connections.${name}] has no type`
    const origin = f.origin === 'SQLCONN_SECRETS_FILE' ? 'from SQLCONN_SECRETS_FILE' : f.origin
    return `  - ${f.path} (${origin}): ${state}`
  })
  return new ConfigError(
    'MISSING_OPTION',
    'type',
    `Connection "${name}" has no type. Pass one in code, connection('${name}', { type: 'sqlite' }) ` +
      `(a built-in name such as sqlite, postgres or mysql, an adapter package or a connection class), ` +
      `or set type = "..." under [connections.${name}] in a secrets file.\nSecrets files looked in:\n${files.join('\n')}`,
  )
}

function resolveName(name: string): string {
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError(
      'INVALID_ARGUMENT',
      'name',
      'connection() needs a name: a [connections.<name>] section, a type such as "sqlite", or "env:VAR".',
    )
  }
  if (!name.startsWith('env:')) return name
  const variable = name.slice(4)
  const value = process.env[variable]
  if (!value) {
    throw new ConfigError(
      'MISSING_OPTION',
      'name',
      `connection("${name}") reads the name from $${variable}, which is not set.`,
    )
  }
  return value
}

/**
 * Returns a ready connection, after Streamlit's `st.connection`. The same name, type and options
 * give the same instance; `ttl` bounds how long it lives and `maxEntries` how many are kept.
 *
 * The type comes from `options.type`, else from the `type` key of `[connections.<name>]`, else
 * from the name itself when it is a type (`connection('sqlite')`).
 *
 * @example
 * const db = await connection('analytics')
 * const top = await db.query('select * from orders where total > :min', { params: { min: 100 }, ttl: '10m' })
 */
export async function connection<C extends BaseConnection = SqlConnection>(
  name: string,
  options: ConnectionOptions = {},
): Promise<C> {
  const resolvedName = resolveName(name)
  const section = secretsSection(resolvedName)
  const type =
    options.type ??
    (section.values.type as string | undefined) ??
    (Object.hasOwn(BUILTIN_TYPES, resolvedName.toLowerCase()) ? resolvedName : undefined)
  if (type === undefined) throw noTypeError(resolvedName)
  const cls = await resolveConnectionType(type as string | ConnectionClass)
  const ttlMs = toMilliseconds(options.ttl, 'ttl')
  const { maxEntries, ...keyed } = options
  // Durations count by length, not spelling: ttl 60, '60s' and '1m' are one instance.
  const key = `${resolvedName}\0${idOf(cls)}\0${optionsKey({ ...keyed, type: undefined, ttl: ttlMs, cache: durationsInMs(keyed.cache) })}`

  for (let existing = instances.get(key); existing; existing = instances.get(key)) {
    const conn = await existing.promise.catch(() => undefined)
    const current = instances.get(key) === existing
    if (conn && !conn.closed && existing.expiresAt > Date.now()) {
      if (current) {
        // Re-insert so Map order is least-recently-used first, for maxEntries.
        instances.delete(key)
        instances.set(key, existing)
      }
      conn.checkSecrets()
      return conn as C
    }
    if (current) instances.delete(key)
    if (conn && !conn.closed) void conn.close().catch(() => {})
  }

  const now = Date.now()
  const promise = Promise.resolve().then(() => {
    const conn = new cls(resolvedName, options)
    void conn.config // validates options now, not at first query
    return conn
  })
  instances.set(key, { promise, expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs })
  let conn: BaseConnection
  try {
    conn = await promise
  } catch (err) {
    if (instances.get(key)?.promise === promise) instances.delete(key)
    throw err
  }
  if (maxEntries !== undefined) await evictBeyond(maxEntries)
  return conn as C
}

async function evictBeyond(maxEntries: number): Promise<void> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new ConfigError('INVALID_OPTION', 'maxEntries', `maxEntries must be a positive integer, got ${maxEntries}.`)
  }
  const closing: Promise<void>[] = []
  for (const [key, entry] of instances) {
    if (instances.size <= maxEntries) break
    instances.delete(key)
    closing.push(entry.promise.then((c) => c.close()).catch(() => {}))
  }
  await Promise.all(closing)
}

/** Closes every cached connection and empties the instance cache. */
export async function closeAll(): Promise<void> {
  const entries = [...instances.values()]
  instances.clear()
  await Promise.all(entries.map((e) => e.promise.then((c) => c.close()).catch(() => {})))
}
