import { createRequire } from 'node:module'
import path from 'node:path'
import { installCommand } from './errors.js'
import { BUILTIN_TYPES } from './registry.js'
import { loadSecrets, secretsFiles } from './secrets.js'

/** One `[connections.<name>]` section as the secrets files define it, for tools such as `sqlconn connections`. */
export interface ConnectionSection {
  /** The name `connection()` takes. */
  readonly name: string
  /** The section's `type` after merging the files, when one sets it. */
  readonly type: string | undefined
  /** The files that set a key of the section, in precedence order (lowest first). */
  readonly files: readonly string[]
}

/**
 * Every `[connections.<name>]` section across the secrets files (`~/.sqlconn/secrets.toml`,
 * `./.sqlconn/secrets.toml`, `SQLCONN_SECRETS_FILE`), merged as `connection()` merges them, with
 * the files each came from. A malformed file throws the same SecretsFileError `connection()` would.
 */
export function connectionSections(files: readonly string[] = secretsFiles()): ConnectionSection[] {
  const { data, sectionOrigins } = loadSecrets([...files])
  const connections = (data.connections ?? {}) as Record<string, Record<string, unknown>>
  return Object.keys(connections)
    .sort()
    .map((name) => {
      const origins = Object.values(sectionOrigins.get(name) ?? {}).map((o) => o.replace(/^secrets: /, ''))
      const type = connections[name]?.type
      return {
        name,
        type: typeof type === 'string' ? type : undefined,
        files: files.filter((f) => origins.includes(f)),
      }
    })
}

/** The adapter package behind a connection type, and whether and at which version the project has it. */
export interface AdapterPackage {
  /** The npm package: `@sqlconn/postgres` for `postgres`, the type itself for a package name. */
  readonly packageName: string
  /** The installed version, as the project resolves it; undefined when it is not installed. */
  readonly version: string | undefined
  /** What to run to install it (with its driver for a built-in type) when it is missing. */
  readonly installCommand: string
}

/**
 * The package a `type` string loads and its installed version, resolved the way `connection()`
 * resolves adapters (from the working directory's project, then from core's own location), so a
 * tool can say "installed 0.3.1" or "run: npm install @sqlconn/mysql mysql2" before connecting.
 */
export function adapterPackage(type: string): AdapterPackage {
  const builtin = Object.hasOwn(BUILTIN_TYPES, type.toLowerCase()) ? BUILTIN_TYPES[type.toLowerCase()] : undefined
  const packageName = builtin?.packageName ?? type
  let version: string | undefined
  for (const from of [path.join(process.cwd(), 'package.json'), import.meta.url]) {
    try {
      version = (createRequire(from)(`${packageName}/package.json`) as { version?: string }).version
      if (version) break
    } catch {}
  }
  return {
    packageName,
    version,
    installCommand: installCommand(builtin ? [packageName, builtin.driver] : [packageName]),
  }
}
