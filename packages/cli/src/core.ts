import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/** The @sqlconn/core module. */
export type Core = typeof import('@sqlconn/core')

let loaded: Promise<Core> | undefined

/**
 * @sqlconn/core as the user's project has it, else the CLI's own copy. Using the project's copy
 * means one registry, one secrets reader and one set of error classes with the adapters the project
 * installed, exactly what `connection()` in the app would see.
 */
export function loadCore(): Promise<Core> {
  loaded ??= (async () => {
    let resolved: string | undefined
    try {
      resolved = createRequire(path.join(process.cwd(), 'package.json')).resolve('@sqlconn/core')
    } catch {}
    if (resolved) return (await import(pathToFileURL(resolved).href)) as Core
    return import('@sqlconn/core')
  })()
  return loaded
}

/** The core module if a command loaded it (`--help` never does). */
export function loadedCore(): Promise<Core> | undefined {
  return loaded
}

/** The SQL that reads the server's version, per connection type; others try `select version()`. */
export const VERSION_SQL: Readonly<Record<string, string>> = {
  sqlite: 'select sqlite_version() as version',
  postgres: 'select version() as version',
  mysql: 'select version() as version',
  duckdb: 'select version() as version',
}
