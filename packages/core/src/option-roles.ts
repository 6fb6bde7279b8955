import type { OptionSpec, OptionType } from './contract.js'

/**
 * The options most database drivers share under their own names: the server's address and login,
 * TLS, a URL carrying all of them, and the pool's size and timeouts.
 */
export type OptionRole =
  | 'url'
  | 'host'
  | 'port'
  | 'user'
  | 'password'
  | 'database'
  | 'ssl'
  | 'poolSize'
  | 'idleTimeout'
  | 'connectTimeout'
  | 'keepAlive'
  | 'keepAliveDelay'

/** Roles whose option every driver names the same; the others have a name of each driver's own. */
type NamedRole = 'host' | 'port' | 'user' | 'password' | 'database' | 'ssl'

/** What an adapter says about one of its options in a shared role: only what is its driver's own. */
interface OwnPart {
  /** The one line for the docs and error messages, in the driver's words. */
  readonly description: string
  /** The driver's default, where it differs from the role's (pg's port 5432). */
  readonly default?: unknown
  /** Where the data source's own configuration supplies it (`PGHOST`, `MYSQL_PWD`). */
  readonly native?: readonly string[]
  /** Other names accepted for it; given, they replace the role's own (the `url` role's `url`). */
  readonly aliases?: readonly string[]
  /** Only where the driver takes more than the role's type (pg's password may be a function). */
  readonly type?: OptionType
}

/**
 * An option in a shared role: `role` gives its type, whether it is a secret and the default every
 * driver agrees on; `name` is the driver's own where the role has none (`connectionString`, `max`).
 */
export type RoleOption =
  | (OwnPart & { readonly role: NamedRole; readonly name?: string })
  | (OwnPart & { readonly role: Exclude<OptionRole, NamedRole>; readonly name: string })

/**
 * What core decides for each role. The defaults are those on which every driver sqlconn ships
 * agrees (pg and mysql2 both default to `localhost` and to a pool of 10); a driver that differs
 * says so in its entry.
 */
const ROLES: Readonly<Record<OptionRole, Omit<OptionSpec, 'name' | 'description'>>> = {
  // A URL is accepted as `url` whatever the driver calls it, as in every adapter's secrets.
  url: { type: 'string', aliases: ['url'] },
  host: { type: 'string', default: 'localhost' },
  port: { type: 'number' },
  user: { type: 'string' },
  password: { type: 'string', secret: true },
  database: { type: 'string' },
  ssl: { type: 'any' },
  poolSize: { type: 'number', default: 10 },
  idleTimeout: { type: 'number' },
  connectTimeout: { type: 'number' },
  keepAlive: { type: 'boolean' },
  keepAliveDelay: { type: 'number', default: 0 },
}

/** Whether an entry of `declareOptions` is in a shared role rather than an option of the adapter's own. */
function isRoleOption(entry: OptionSpec | RoleOption): entry is RoleOption {
  return 'role' in entry
}

/**
 * An adapter's option declaration, in its order: each `RoleOption` completed from its role (type,
 * secret, shared default and aliases, which the entry may override), each `OptionSpec` as it is.
 * So an adapter writes down only what is its driver's own, and two adapters cannot drift on what a
 * host or a password is.
 */
export function declareOptions(entries: readonly (OptionSpec | RoleOption)[]): OptionSpec[] {
  return entries.map((entry) => {
    if (!isRoleOption(entry)) return entry
    const { role, ...own } = entry
    return { ...ROLES[role], name: role, ...own }
  })
}
