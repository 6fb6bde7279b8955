import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * Imports a package as the user's project sees it (from the working directory) and, failing that,
 * as core sees it: adapters and optional peers are found under npm's, pnpm's and yarn's layouts.
 */
export async function importFromProject(name: string): Promise<Record<string, unknown>> {
  let resolved: string | undefined
  try {
    resolved = createRequire(path.join(process.cwd(), 'package.json')).resolve(name)
  } catch {}
  if (resolved) return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>
  return (await import(name)) as Record<string, unknown>
}

/** Like `importFromProject`, synchronously, for CommonJS-loadable packages (apache-arrow). */
export function requireFromProject(name: string): unknown {
  try {
    return createRequire(import.meta.url)(name)
  } catch {
    return createRequire(path.join(process.cwd(), 'package.json'))(name)
  }
}

/** The module's exports whether it was loaded as ESM or as CommonJS (then they are on `default`). */
export function exportsOf(mod: Record<string, unknown>): Record<string, unknown> {
  const d = mod.default
  return d !== null && typeof d === 'object'
    ? { ...(d as Record<string, unknown>), ...mod, default: (d as { default?: unknown }).default ?? d }
    : mod
}
