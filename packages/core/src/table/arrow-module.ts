import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { OptionalDependencyError } from '../errors.js'

/** The apache-arrow module, whichever build of it. */
export type Arrow = typeof import('apache-arrow')

interface Located {
  readonly require: NodeRequire
  /** The CommonJS entry (what `require('apache-arrow')` loads). */
  readonly cjs: string
  /** The ES module entry (what `import 'apache-arrow'` loads), when the package declares one. */
  readonly esm: string | undefined
}

let pinned: Arrow | undefined
let located: Located | undefined
let esmBuild: Arrow | undefined

/**
 * Chooses the apache-arrow module that `toArrow()`, `toArrowIPC()` and `streamArrow()` build
 * with. Needed only when an app loads both of apache-arrow's builds (ESM and CommonJS) and the
 * automatic choice (see docs/rowtable.md) is not the one it serializes with.
 *
 * @example
 * import * as arrow from 'apache-arrow'
 * useArrow(arrow)
 */
export function useArrow(arrow: Arrow): void {
  if (typeof arrow?.makeData !== 'function' || typeof arrow?.Table !== 'function') {
    throw new TypeError('useArrow() takes the apache-arrow module itself: import * as arrow from "apache-arrow".')
  }
  pinned = arrow
}

/**
 * The app's own apache-arrow, loaded synchronously so `toArrow()` stays a plain method.
 *
 * apache-arrow ships an ESM and a CommonJS build whose classes are distinct; a Table made with
 * one serializes to garbage with the other's `tableToIPC`. ESM is what a TypeScript app imports
 * today, so that build is the default (loaded with `require()` of the ESM file, which Node 22.12+
 * shares with the app's `import`). A process that has `require`d the CommonJS build is a CommonJS
 * app (an ESM app never loads it), so that build is used when it is already loaded.
 */
export function loadArrow(what = 'RowTable.toArrow()'): Arrow {
  if (pinned) return pinned
  try {
    located ??= locate()
    const at = located
    if (at.require.cache[at.cjs]) return at.require(at.cjs) as Arrow
    if (!esmBuild) {
      try {
        esmBuild = (at.esm ? at.require(at.esm) : at.require(at.cjs)) as Arrow
      } catch {
        // A Node without require(esm): the CommonJS build is the one such an app can load.
        esmBuild = at.require(at.cjs) as Arrow
      }
    }
    return esmBuild
  } catch (err) {
    throw new OptionalDependencyError('apache-arrow', what, { cause: err })
  }
}

/** Resolves apache-arrow as the app sees it (from the working directory), else as core sees it. */
function locate(): Located {
  let req: NodeRequire
  let cjs: string
  try {
    req = createRequire(path.join(process.cwd(), 'package.json'))
    cjs = req.resolve('apache-arrow')
  } catch {
    req = createRequire(import.meta.url)
    cjs = req.resolve('apache-arrow')
  }
  const root = packageRoot(cjs)
  let esm: string | undefined
  if (root) {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports?: unknown }
    const target = pickExport(pkg.exports, new Set(['node', 'import', 'module-sync', 'default']))
    if (target) esm = path.join(root, target)
  }
  return { require: req, cjs, esm }
}

function packageRoot(file: string): string | undefined {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }
      if (pkg.name === 'apache-arrow') return dir
    } catch {}
  }
  return undefined
}

/** The file an `exports` map gives for `.` under `conditions`, as Node picks it (first matching key). */
function pickExport(exports: unknown, conditions: ReadonlySet<string>): string | undefined {
  if (typeof exports === 'string') return exports
  if (exports === null || typeof exports !== 'object' || Array.isArray(exports)) return undefined
  const map = exports as Record<string, unknown>
  if ('.' in map) return pickExport(map['.'], conditions)
  for (const [key, value] of Object.entries(map)) {
    if (!conditions.has(key)) continue
    const found = pickExport(value, conditions)
    if (found) return found
  }
  return undefined
}
