import { ConfigError, isGiven, type ResolvedConfig, withUrlParts } from '@sqlconn/core'
import { socketExists } from './native.js'
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
  } catch {
    // No cause attached: Node's "Invalid URL" TypeError carries the whole URL, password included, as `input`.
    throw new ConfigError(
      'INVALID_OPTION',
      'uri',
      'The uri is not a valid URL: write mysql://user:password@host:3306/database (percent-encode @ : / ? # in the password).',
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
 * The config as mysql2 receives it, each value with its source. A `uri`'s parts (host, port, user,
 * password, database and query parameters) are weighed against the separately given options by
 * core's one rule (`withUrlParts`): the higher-precedence source wins, and on a tie the separate
 * option wins (as in mysql2). So `uri` in code beats `MYSQL_HOST`, and `password` in secrets
 * completes a `uri` in code that has none. A part taken from the uri shows the uri's source
 * (`kwargs (uri)`). A socket from the option files or MYSQL_UNIX_PORT that is not used (the host
 * is not localhost, or it does not exist) is left out, as it never reaches mysql2.
 */
export function effectiveConfig(resolved: ResolvedConfig): ResolvedConfig {
  const uri = resolved.get<string>('uri')
  let config = resolved
  if (uri !== undefined) {
    const { parts, params } = parseMysqlUrl(uri)
    config = withUrlParts(resolved, 'uri', { ...parts, ...params })
  }
  // A socket from code or secrets is used as mysql2 uses it; one from the option files or
  // MYSQL_UNIX_PORT only when the host is localhost (the mysql client's rule) and it exists.
  const socket = config.get<string>('socketPath')
  if (socket !== undefined && !isGiven(config.origin('socketPath'))) {
    const host = config.get('host') ?? 'localhost'
    if (!(host === 'localhost' && socketExists(socket))) config = config.without('socketPath')
  }
  return config
}

/** The options mysql2's `createPool` receives: every driver option of `config` (already merged with its uri). */
export function poolOptions(config: ResolvedConfig): PoolOptions {
  const out: PoolOptions = {}
  for (const name of [...URI_PARTS, 'socketPath', ...PASSTHROUGH_OPTIONS]) {
    const value = config.get(name)
    if (value !== undefined) out[name] = value
  }
  return out
}
