import type { ConnectionClass } from './connection.js'
import { AdapterNotInstalledError, InvalidAdapterError, installCommand, UnknownConnectionTypeError } from './errors.js'
import { exportsOf, importFromProject } from './load.js'
import { didYouMean } from './options.js'

interface Builtin {
  readonly packageName: string
  readonly driver: string
}

/** The short names of the built-in adapters and what each needs installed. */
export const BUILTIN_TYPES: Readonly<Record<string, Builtin>> = {
  sqlite: { packageName: '@sqlconn/sqlite', driver: 'better-sqlite3' },
  postgres: { packageName: '@sqlconn/postgres', driver: 'pg' },
  postgresql: { packageName: '@sqlconn/postgres', driver: 'pg' },
  mysql: { packageName: '@sqlconn/mysql', driver: 'mysql2' },
  mariadb: { packageName: '@sqlconn/mysql', driver: 'mysql2' },
}

const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/

/** True when `value` is a class that implements the connection contract (duck-typed across copies of core). */
export function isConnectionClass(value: unknown): value is ConnectionClass {
  return (
    typeof value === 'function' &&
    typeof (value as { prototype?: { connect?: unknown } }).prototype?.connect === 'function' &&
    Array.isArray((value as { options?: unknown }).options)
  )
}

function missingPackage(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string }
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return undefined
  const m = /Cannot find (?:package|module) '([^']+)'/.exec(e.message ?? '')
  if (!m) return undefined
  const spec = m[1]!
  // Node names a path for packages it found but could not load; take the package part.
  const fromPath = /node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(spec)
  if (fromPath) return fromPath[1]!.replace('\\', '/')
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
}

function pickClass(mod: Record<string, unknown>, typeName: string): ConnectionClass | undefined {
  if (isConnectionClass(mod.default)) return mod.default
  const classes = Object.values(mod).filter(isConnectionClass)
  return classes.find((c) => c.typeName === typeName) ?? classes[0]
}

const resolved = new Map<string, ConnectionClass>()

/**
 * Resolves a connection `type`: a class, a built-in short name, or a package that exports a
 * connection class. A missing package gets an error naming the install command.
 */
export async function resolveConnectionType(type: string | ConnectionClass): Promise<ConnectionClass> {
  // Only successes are remembered: a package installed after a failure is found on the next call.
  if (typeof type === 'string') {
    const known = resolved.get(type)
    if (known) return known
    const cls = await resolveUncached(type)
    resolved.set(type, cls)
    return cls
  }
  return resolveUncached(type)
}

async function resolveUncached(type: string | ConnectionClass): Promise<ConnectionClass> {
  if (typeof type === 'function') {
    if (isConnectionClass(type)) return type
    const fn = type as { name?: string }
    throw new UnknownConnectionTypeError(
      fn.name ?? '',
      `${fn.name || 'The given class'} is not a connection class: extend BaseConnection or SqlConnection from @sqlconn/core.`,
    )
  }
  if (typeof type !== 'string' || type.trim() === '') {
    throw new UnknownConnectionTypeError(
      String(type),
      `A connection type must be a class or a name, got ${String(type)}.`,
    )
  }
  const key = type.toLowerCase()
  const builtin = Object.hasOwn(BUILTIN_TYPES, key) ? BUILTIN_TYPES[key] : undefined
  const unknown = (cause?: unknown) =>
    new UnknownConnectionTypeError(
      type,
      `Unknown connection type "${type}".${didYouMean(key, Object.keys(BUILTIN_TYPES))} Use one of ` +
        `${Object.keys(BUILTIN_TYPES).join(', ')}, a connection class, or the name of a package that exports one.`,
      { cause },
    )
  if (!builtin && !NPM_NAME.test(type)) throw unknown()
  const packageName = builtin?.packageName ?? type
  let mod: Record<string, unknown>
  try {
    mod = exportsOf(await importFromProject(packageName))
  } catch (err) {
    const missing = missingPackage(err)
    // A near miss of a built-in name that is not an installed package is a typo, not a package to install.
    if (!builtin && missing === packageName && didYouMean(key, Object.keys(BUILTIN_TYPES))) throw unknown(err)
    if (missing) {
      const needed = missing === packageName && builtin ? [packageName, builtin.driver] : [missing]
      const command = installCommand(needed)
      const what = missing === packageName ? `the package "${packageName}"` : `"${missing}" (needed by ${packageName})`
      throw new AdapterNotInstalledError(
        missing,
        command,
        `Connection type "${type}" needs ${what}, which is not installed. Install it with: ${command}`,
        { cause: err },
      )
    }
    throw err
  }
  const cls = pickClass(mod, key)
  if (!cls) {
    throw new InvalidAdapterError(
      packageName,
      `The package "${packageName}" does not export a connection class (a default export extending BaseConnection from @sqlconn/core).`,
    )
  }
  return cls
}
