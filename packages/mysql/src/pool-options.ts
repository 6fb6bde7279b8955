import { ConfigError, type ResolvedConfig } from '@sqlconn/core'
import { socketExists, sourceRank } from './native.js'
import { PASSTHROUGH_OPTIONS, URI_PARTS } from './options.js'

/** mysql2's pool options, as sqlconn hands them over. */
export type PoolOptions = Record<string, unknown> & {
  host?: string
  port?: number
  user?: string
  password?: string
  database?: string
  socketPath?: string
}

const PASSTHROUGH = new Set<string>(PASSTHROUGH_OPTIONS)

/** The parts of a mysql:// URL, with its query parameters read as mysql2 reads them (JSON, else text). */
export function parseMysqlUrl(uri: string): { parts: Partial<PoolOptions>; params: Record<string, unknown> } {
  let url: URL
  try {
    url = new URL(uri)
  } catch (err) {
    throw new ConfigError(
      'INVALID_OPTION',
      'uri',
      'The uri is not a valid URL: write mysql://user:password@host:3306/database.',
      {
        cause: err,
      },
    )
  }
  const parts: Partial<PoolOptions> = {}
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (host) parts.host = decodeURIComponent(host)
  if (url.port) parts.port = Number(url.port)
  if (url.username) parts.user = decodeURIComponent(url.username)
  if (url.password) parts.password = decodeURIComponent(url.password)
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (database) parts.database = database
  const params: Record<string, unknown> = {}
  for (const [key, value] of url.searchParams) {
    if (!PASSTHROUGH.has(key)) {
      throw new ConfigError(
        'INVALID_OPTION',
        'uri',
        `The uri has a query parameter "${key}" that is not a mysql2 option; the ones it may carry are ${PASSTHROUGH_OPTIONS.join(', ')}.`,
      )
    }
    try {
      params[key] = JSON.parse(value)
    } catch {
      params[key] = value
    }
  }
  return { parts, params }
}

/**
 * The options mysql2's `createPool` receives. A `uri`'s parts (host, port, user, password,
 * database and query parameters) are weighed against the separately given options by where each
 * came from: the one from the higher-precedence source wins, and on a tie the separate option wins
 * (as in mysql2). So `uri` in code beats `MYSQL_HOST`, and `password` in secrets completes a `uri`
 * in code that has none.
 */
export function poolOptions(config: ResolvedConfig): PoolOptions {
  const out: PoolOptions = {}
  const uri = config.get<string>('uri')
  const fromUri = uri ? parseMysqlUrl(uri) : { parts: {}, params: {} }
  const uriRank = sourceRank(config.source('uri'))
  const pick = (name: string, fromUrl: unknown) => {
    const given = config.get(name)
    const rank = given === undefined ? Number.POSITIVE_INFINITY : sourceRank(config.source(name))
    const value = fromUrl !== undefined && uriRank < rank ? fromUrl : given
    if (value !== undefined) out[name] = value
  }
  for (const part of URI_PARTS) pick(part, fromUri.parts[part])
  for (const name of PASSTHROUGH_OPTIONS) pick(name, fromUri.params[name])

  // A socket from code or secrets is used as mysql2 uses it; one from the option files or
  // MYSQL_UNIX_PORT only when the host is localhost (the mysql client's rule) and it exists.
  const socketPath = config.get<string>('socketPath')
  if (socketPath !== undefined) {
    const explicit = sourceRank(config.source('socketPath')) <= 1
    if (explicit || ((out.host ?? 'localhost') === 'localhost' && socketExists(socketPath))) {
      out.socketPath = socketPath
    }
  }
  return out
}
