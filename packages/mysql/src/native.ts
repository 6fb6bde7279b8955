import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { ConfigLayer, NativeContext } from '@sqlconn/core'

/** The system-wide option files the mysql and mariadb clients read, lowest precedence first. */
export const GLOBAL_OPTION_FILES = ['/etc/my.cnf', '/etc/mysql/my.cnf']

/** `[client]` keys of an option file and the mysql2 option each one sets. */
const CLIENT_KEYS: Readonly<Record<string, string>> = {
  host: 'host',
  port: 'port',
  user: 'user',
  password: 'password',
  database: 'database',
  socket: 'socketPath',
}

/** A mysql:// or mariadb:// URL, with SQLAlchemy's `+driver` suffix allowed (`mysql+pymysql://`). */
const MYSQL_URL = /^(mysql|mariadb)(\+[a-z0-9]+)?:\/\//i

const MAX_INCLUDE_DEPTH = 8

/**
 * Reads the `[client]` section of a MySQL option file, as the mysql client does: `key = value`
 * lines (dashes and underscores alike, quotes and backslash escapes in values), `#` and `;`
 * comments, and `!include file` / `!includedir dir` (its `*.cnf` files, in name order). A later
 * value wins over an earlier one. Returns the mysql2 option names with the file each came from.
 */
export function readOptionFile(
  file: string,
  into: Map<string, { value: string; file: string }> = new Map(),
  depth = 0,
) {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return into
  }
  let section = ''
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const include = /^!(include|includedir)\s+(.+)$/.exec(line)
    if (include) {
      if (depth >= MAX_INCLUDE_DEPTH) continue
      const target = path.resolve(path.dirname(file), include[2]!.trim())
      if (include[1] === 'include') readOptionFile(target, into, depth + 1)
      else {
        let names: string[] = []
        try {
          names = readdirSync(target)
            .filter((n) => n.endsWith('.cnf'))
            .sort()
        } catch {}
        for (const n of names) readOptionFile(path.join(target, n), into, depth + 1)
      }
      continue
    }
    const header = /^\[([^\]]+)\]/.exec(line)
    if (header) {
      section = header[1]!.trim().toLowerCase()
      continue
    }
    if (section !== 'client') continue
    const eq = line.indexOf('=')
    if (eq < 0) continue // a bare flag (`password` alone asks for a prompt): nothing to read
    const key = line.slice(0, eq).trim().toLowerCase().replace(/_/g, '-')
    const option = CLIENT_KEYS[key]
    if (!option) continue
    into.set(option, { value: unquote(line.slice(eq + 1).trim()), file })
  }
  return into
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', s: ' ', '\\': '\\' }

function unquote(value: string): string {
  const q = value[0]
  if ((q === '"' || q === "'") && value.length >= 2) {
    const end = value.lastIndexOf(q)
    if (end > 0) return value.slice(1, end).replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? c)
  }
  // Unquoted: a `#` starts a comment; escapes still apply.
  const hash = value.indexOf('#')
  const bare = (hash >= 0 ? value.slice(0, hash) : value).trimEnd()
  return bare.replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? c)
}

/**
 * The data source's own configuration, as layers highest first (the order the mysql client gives
 * them: option files over environment variables), with `DATABASE_URL` above both because it names
 * this application's database:
 *
 * 1. `DATABASE_URL` when it is a mysql:// or mariadb:// URL (as `uri`);
 * 2. the `[client]` section of the option files: `defaultsFile` alone when given, else
 *    `~/.my.cnf` over `/etc/mysql/my.cnf` over `/etc/my.cnf`;
 * 3. `MYSQL_HOST`, `MYSQL_TCP_PORT`, `MYSQL_PWD`, `MYSQL_UNIX_PORT`;
 * 4. `USER` (or `LOGNAME`) for `user`: the mysql client logs in as the login name by default.
 */
export function nativeLayers(
  { env, home, cwd }: NativeContext,
  options: { defaultsFile?: string; globalFiles?: readonly string[] } = {},
): ConfigLayer[] {
  const fromUrl = layer()
  const url = env.DATABASE_URL
  if (url && MYSQL_URL.test(url)) fromUrl.set('uri', url, 'env DATABASE_URL')

  const fromFiles = layer()
  const files = options.defaultsFile
    ? [path.resolve(cwd, options.defaultsFile)]
    : [...(options.globalFiles ?? GLOBAL_OPTION_FILES), path.join(home, '.my.cnf')]
  const read = new Map<string, { value: string; file: string }>()
  for (const file of files) readOptionFile(file, read)
  for (const [name, { value, file }] of read) {
    fromFiles.set(name, name === 'port' ? Number(value) : value, `option file ${file}`)
  }

  const fromEnv = layer()
  fromEnv.set('host', env.MYSQL_HOST, 'env MYSQL_HOST')
  if (env.MYSQL_TCP_PORT) fromEnv.set('port', Number(env.MYSQL_TCP_PORT), 'env MYSQL_TCP_PORT')
  fromEnv.set('password', env.MYSQL_PWD, 'env MYSQL_PWD')
  fromEnv.set('socketPath', env.MYSQL_UNIX_PORT, 'env MYSQL_UNIX_PORT')

  const fromLogin = layer()
  if (env.USER) fromLogin.set('user', env.USER, 'env USER')
  else fromLogin.set('user', env.LOGNAME, 'env LOGNAME')

  return [fromUrl.layer, fromFiles.layer, fromEnv.layer, fromLogin.layer]
}

/** A native layer filled key by key; an empty value gives nothing. */
function layer() {
  const values: Record<string, unknown> = {}
  const origins: Record<string, string> = {}
  return {
    layer: { kind: 'native', values, origins } as ConfigLayer,
    set(name: string, value: unknown, origin: string) {
      if (value === undefined || value === '') return
      values[name] = value
      origins[name] = origin
    },
  }
}

/** True when a socket path names something that exists (a stale option file may name none). */
export function socketExists(socketPath: string): boolean {
  try {
    return existsSync(socketPath) && !statSync(socketPath).isDirectory()
  } catch {
    return false
  }
}
