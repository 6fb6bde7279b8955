import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import { SecretsFileError } from './errors.js'
import { lazyModule } from './lazy.js'
import { sha256 } from './sha256.js'

type Table = Record<string, unknown>

/** A connection's `[connections.<name>]` section with, per key, the file that set it. */
export interface SecretsSection {
  readonly values: Readonly<Table>
  readonly origins: Readonly<Record<string, string>>
  /**
   * A digest of the section: it changes exactly when the section's content changes. Computed on
   * first read: while no file changed, a later read gives the same `values` object, and comparing
   * those is enough.
   */
  readonly digest: string
}

interface Parsed {
  readonly stamp: string
  readonly data: Table
}

const parsedFiles = new Map<string, Parsed>()

/**
 * The secrets files in precedence order, lowest first: `~/.sqlconn/secrets.toml`, then
 * `./.sqlconn/secrets.toml`, then each file of `SQLCONN_SECRETS_FILE` (PATH-style list).
 */
export function secretsFiles(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): string[] {
  const files = [path.join(home, '.sqlconn', 'secrets.toml'), path.join(cwd, '.sqlconn', 'secrets.toml')]
  for (const f of (env.SQLCONN_SECRETS_FILE ?? '').split(path.delimiter)) {
    if (f.trim()) files.push(path.resolve(cwd, f.trim()))
  }
  return [...new Set(files)]
}

function stampOf(file: string): string | undefined {
  try {
    const s = statSync(file)
    return `${s.mtimeMs}:${s.ctimeMs}:${s.size}:${s.ino}`
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return undefined
    }
    throw new SecretsFileError(file, undefined, `Cannot read secrets file ${file}: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/**
 * smol-toml, loaded with the first secrets file to parse, through `require()`: its CommonJS build is
 * one file where its ESM build is nine, and every file a CLI run loads is start-up time.
 */
const toml = lazyModule<typeof import('smol-toml')>('smol-toml')

/** Reads and parses one file, reusing the last parse while its stat stamp is unchanged. */
function readSecretsFile(file: string): Table | undefined {
  const stamp = stampOf(file)
  if (stamp === undefined) {
    parsedFiles.delete(file)
    return undefined
  }
  const cached = parsedFiles.get(file)
  if (cached?.stamp === stamp) return cached.data
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new SecretsFileError(file, undefined, `Cannot read secrets file ${file}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  const { parse, TomlError } = toml.get()
  let data: Table
  try {
    data = parse(text) as Table
  } catch (err) {
    if (err instanceof TomlError) {
      // smol-toml's message quotes the offending line, which may hold a password: keep only its first line.
      const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '')
      throw new SecretsFileError(
        file,
        err.line,
        `Secrets file ${file} is not valid TOML at line ${err.line}, column ${err.column}: ${reason}.`,
      )
    }
    throw err
  }
  parsedFiles.set(file, { stamp, data })
  return data
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

function deepMerge(base: Table, over: Table): Table {
  const out: Table = { ...base }
  for (const [k, v] of Object.entries(over)) out[k] = isTable(v) && isTable(out[k]) ? deepMerge(out[k] as Table, v) : v
  return out
}

interface Merged {
  data: Table
  sectionOrigins: Map<string, Record<string, string>>
}

/**
 * The last merge, with the files and the parses it was made from: `connection()` and the connection
 * it builds read the files several times in a row, and while no file changed (each read then gives
 * the same parse) the merge, and the section digests made from it, are the same.
 */
let lastMerge: { files: readonly string[]; parses: readonly (Table | undefined)[]; merged: Merged } | undefined

/** Every secrets file merged key by key (a later file wins), with the file behind each section key. */
export function loadSecrets(files = secretsFiles()): Merged {
  const parses = files.map(readSecretsFile)
  const last = lastMerge
  if (
    last !== undefined &&
    last.files.length === files.length &&
    files.every((f, i) => f === last.files[i] && parses[i] === last.parses[i])
  ) {
    return last.merged
  }
  let data: Table = {}
  const sectionOrigins = new Map<string, Record<string, string>>()
  for (const [i, file] of files.entries()) {
    const parsed = parses[i]
    if (!parsed) continue
    const connections = parsed.connections
    if (connections !== undefined && !isTable(connections)) {
      throw new SecretsFileError(
        file,
        undefined,
        `In secrets file ${file}, "connections" must be a table of [connections.<name>] sections.`,
      )
    }
    for (const [name, section] of Object.entries(connections ?? {})) {
      if (!isTable(section)) {
        throw new SecretsFileError(
          file,
          undefined,
          `In secrets file ${file}, connections.${name} must be a [connections.${name}] table.`,
        )
      }
      const origins = sectionOrigins.get(name) ?? {}
      for (const key of Object.keys(section)) origins[key] = `secrets: ${file}`
      sectionOrigins.set(name, origins)
    }
    data = deepMerge(data, parsed)
  }
  const merged = { data, sectionOrigins }
  lastMerge = { files: [...files], parses, merged }
  return merged
}

/** The section of a name no file has: one object, so its digest is computed once. */
const NO_SECTION: Table = Object.freeze({})

/** Digests of the sections of the merges above, by section object (a changed file gives new objects). */
const sectionDigests = new WeakMap<object, string>()

/** The `[connections.<name>]` section across all secrets files, or an empty one. */
export function secretsSection(name: string, files = secretsFiles()): SecretsSection {
  const { data, sectionOrigins } = loadSecrets(files)
  const connections = (data.connections ?? {}) as Table
  const values = (Object.hasOwn(connections, name) ? connections[name] : NO_SECTION) as Table
  return {
    values,
    origins: sectionOrigins.get(name) ?? {},
    get digest() {
      let digest = sectionDigests.get(values)
      if (digest === undefined) {
        digest = sha256(JSON.stringify(values, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))
        sectionDigests.set(values, digest)
      }
      return digest
    },
  }
}

/** One secrets file as `connection()` looked at it, for messages that say where it looked. */
export interface SecretsFileReport {
  readonly path: string
  /** Why it is read: the home default, the project default, or named by `SQLCONN_SECRETS_FILE`. */
  readonly origin: 'home' | 'project' | 'SQLCONN_SECRETS_FILE'
  readonly exists: boolean
  /** Whether it has a `[connections.<name>]` section for the name asked about. */
  readonly hasSection: boolean
  /** Whether that section sets `type`. */
  readonly hasType: boolean
}

/** Each secrets file in precedence order (lowest first): whether it exists and what it says about `name`. */
export function secretsFileReports(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  home = homedir(),
): SecretsFileReport[] {
  const homeFile = path.join(home, '.sqlconn', 'secrets.toml')
  const projectFile = path.join(cwd, '.sqlconn', 'secrets.toml')
  return secretsFiles(env, cwd, home).map((file) => {
    const origin = file === homeFile ? 'home' : file === projectFile ? 'project' : 'SQLCONN_SECRETS_FILE'
    let data: Table | undefined
    try {
      data = readSecretsFile(file)
    } catch {
      // A malformed file is reported by the lookup that reads it; here it only counts as present.
      return { path: file, origin, exists: true, hasSection: false, hasType: false }
    }
    const connections = isTable(data?.connections) ? data.connections : {}
    const section = Object.hasOwn(connections, name) ? connections[name] : undefined
    return {
      path: file,
      origin,
      exists: data !== undefined,
      hasSection: isTable(section),
      hasType: isTable(section) && section.type !== undefined,
    }
  })
}

/** The top-level `[cache]` table (defaults for every connection's query cache). */
export function secretsCacheDefaults(files = secretsFiles()): Table {
  const { data } = loadSecrets(files)
  return isTable(data.cache) ? data.cache : {}
}
