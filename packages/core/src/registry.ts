import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import type { ConnectionClass } from './contract.js'
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
  duckdb: { packageName: '@sqlconn/duckdb', driver: '@duckdb/node-api' },
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

/** True when `value` looks meant as a connection class, even a broken one: worth telling what is wrong. */
function looksLikeConnectionClass(value: unknown): boolean {
  if (typeof value !== 'function') return false
  const v = value as { prototype?: { connect?: unknown }; options?: unknown; typeName?: unknown }
  return typeof v.prototype?.connect === 'function' || v.options !== undefined || v.typeName !== undefined
}

const OPTION_TYPES = ['string', 'number', 'boolean', 'object', 'any']

/** What is wrong with one entry of a class's `options` declaration, if anything. */
function optionSpecProblems(spec: unknown, i: number, seen: Set<string>): string[] {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    return [`options[${i}] must be an object such as { name: 'host', type: 'string', description: '...' }.`]
  }
  const s = spec as Record<string, unknown>
  const label = typeof s.name === 'string' && s.name !== '' ? `options[${i}] ("${s.name}")` : `options[${i}]`
  const out: string[] = []
  if (typeof s.name !== 'string' || s.name === '') out.push(`${label} has no name: give the driver's own option name.`)
  if (!OPTION_TYPES.includes(s.type as string)) {
    out.push(`${label} has type ${JSON.stringify(s.type)}: use one of ${OPTION_TYPES.join(', ')}.`)
  }
  if (typeof s.description !== 'string') out.push(`${label} has no description (one line for docs and errors).`)
  if (s.aliases !== undefined && !Array.isArray(s.aliases)) out.push(`${label}.aliases must be an array of names.`)
  if (s.native !== undefined && !Array.isArray(s.native)) out.push(`${label}.native must be an array of sources.`)
  for (const name of [s.name, ...(Array.isArray(s.aliases) ? s.aliases : [])]) {
    if (typeof name !== 'string' || name === '') continue
    if (seen.has(name)) out.push(`${label}: the name "${name}" is declared twice.`)
    seen.add(name)
  }
  return out
}

/**
 * Everything that keeps `value` from being used as a connection class, each as one sentence saying
 * what to change; empty when it is fine. Checked by shape, not `instanceof`, so a class built
 * against another copy of @sqlconn/core still passes.
 */
export function connectionClassProblems(value: unknown): string[] {
  if (typeof value !== 'function')
    return ['it is not a class: pass a class that extends SqlConnection from @sqlconn/core.']
  const cls = value as unknown as Record<string, unknown> & { prototype?: Record<string, unknown> }
  const proto = cls.prototype ?? {}
  const out: string[] = []
  if (typeof proto.connect !== 'function') {
    out.push('it has no connect() method: extend BaseConnection or SqlConnection from @sqlconn/core.')
  }
  if (typeof cls.typeName !== 'string' || cls.typeName === '' || cls.typeName === 'base') {
    out.push(
      `it has no typeName: add \`static readonly typeName = 'mydb'\` (the short name in messages and cache keys).`,
    )
  }
  if (cls.options === undefined) {
    out.push('it declares no options: add `static readonly options: OptionSpec[] = [...]`, one entry per option.')
  } else if (!Array.isArray(cls.options)) {
    const got = cls.options === null ? 'null' : typeof cls.options === 'object' ? 'an object' : typeof cls.options
    out.push(
      `its static options is ${got}, not an array: declare \`static readonly options: OptionSpec[] = [{ name, type, description }, ...]\`.`,
    )
  } else {
    const seen = new Set<string>()
    cls.options.forEach((spec, i) => {
      out.push(...optionSpecProblems(spec, i, seen))
    })
  }
  if (typeof cls.nativeConfig !== 'function') {
    out.push('its static nativeConfig is not a function: leave it out to inherit the default, or return a ConfigLayer.')
  }
  // A SqlConnection subclass must implement the abstract methods query() relies on.
  if (typeof proto.query === 'function') {
    for (const method of ['createDialect', 'execute', 'executeStream']) {
      if (typeof proto[method] !== 'function') out.push(`it has no ${method}() method, which SqlConnection needs.`)
    }
  }
  return out
}

/** The error for a class with `problems`, naming each. */
function invalidClass(cls: unknown, problems: readonly string[], packageName?: string): InvalidAdapterError {
  const name = (cls as { name?: string })?.name || 'the class'
  const what = packageName
    ? `The connection class ${name} exported by "${packageName}"`
    : `The connection class ${name}`
  return new InvalidAdapterError(
    packageName ?? name,
    `${what} cannot be used:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  )
}

/** Throws an InvalidAdapterError naming what is wrong with `cls`, if anything. */
export function assertConnectionClass(cls: unknown, packageName?: string): void {
  const problems = connectionClassProblems(cls)
  if (problems.length > 0) throw invalidClass(cls, problems, packageName)
}

/**
 * Adapter packages installed where the project can import them: `@sqlconn/*` (but core and the
 * CLI), `sqlconn-*` and `@scope/sqlconn-*`, found in every node_modules from `cwd` up.
 */
export function installedAdapters(cwd = process.cwd()): string[] {
  const found = new Set<string>()
  const list = (dir: string) => {
    try {
      return readdirSync(dir)
    } catch {
      return []
    }
  }
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const modules = path.join(dir, 'node_modules')
    if (existsSync(modules)) {
      for (const entry of list(modules)) {
        if (entry.startsWith('sqlconn-')) found.add(entry)
        else if (entry.startsWith('@')) {
          for (const sub of list(path.join(modules, entry))) {
            if (entry === '@sqlconn' ? !['core', 'cli'].includes(sub) : sub.startsWith('sqlconn-')) {
              found.add(`${entry}/${sub}`)
            }
          }
        }
      }
    }
    if (path.dirname(dir) === dir) break
  }
  return [...found].sort()
}

/** The built-in short names as users read them: `postgres (or postgresql)`. */
function builtinList(): string {
  const byPackage = new Map<string, string[]>()
  for (const [name, b] of Object.entries(BUILTIN_TYPES))
    byPackage.set(b.packageName, [...(byPackage.get(b.packageName) ?? []), name])
  return [...byPackage.values()]
    .map(([first, ...rest]) => (rest.length ? `${first} (or ${rest.join(', ')})` : first))
    .join(', ')
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

/** The class a package offers: its default export, else the exported one whose typeName matches, broken ones included. */
function pickClass(mod: Record<string, unknown>, typeName: string): unknown {
  if (looksLikeConnectionClass(mod.default)) return mod.default
  const classes = Object.values(mod).filter(looksLikeConnectionClass)
  const valid = classes.filter(isConnectionClass)
  return (
    valid.find((c) => c.typeName === typeName) ??
    valid[0] ??
    classes.find((c) => (c as { typeName?: unknown }).typeName === typeName) ??
    classes[0]
  )
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
    assertConnectionClass(type)
    return type
  }
  if (typeof type !== 'string' || type.trim() === '') {
    throw new UnknownConnectionTypeError(
      String(type),
      `A connection type must be a class or a name, got ${String(type)}.`,
    )
  }
  const key = type.toLowerCase()
  const builtin = Object.hasOwn(BUILTIN_TYPES, key) ? BUILTIN_TYPES[key] : undefined
  const unknown = (cause?: unknown) => {
    const installed = installedAdapters()
    const lines = [
      `Unknown connection type "${type}".${didYouMean(key, [...Object.keys(BUILTIN_TYPES), ...installed])}`,
      `Built-in types: ${builtinList()}.`,
      installed.length
        ? `Adapters installed in this project: ${installed.join(', ')}.`
        : 'No adapter packages are installed in this project.',
      'A connection class works too.',
    ]
    if (NPM_NAME.test(type))
      lines.push(`If "${type}" is an adapter package, install it with: ${installCommand([type])}`)
    return new UnknownConnectionTypeError(type, lines.join('\n'), { cause })
  }
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
  assertConnectionClass(cls, packageName)
  return cls as ConnectionClass
}
