import { configurationOptionDescriptions } from '@duckdb/node-api'
import { declareOptions, type OptionSpec } from '@sqlconn/core'

/** sqlconn's own options for a DuckDB connection: where the database is, and the pool. */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = declareOptions([
  {
    name: 'path',
    type: 'string',
    group: 'path',
    default: ':memory:',
    description:
      'Database file (relative to the working directory), or ":memory:". Connections to one file share one DuckDBInstance.',
  },
  {
    name: 'url',
    type: 'string',
    group: 'path',
    description: "duckdb_engine's SQLAlchemy URL: duckdb:///relative.db, duckdb:////absolute.db, duckdb:///:memory:.",
    native: ['DATABASE_URL (duckdb: URLs)'],
  },
  {
    role: 'poolSize',
    name: 'max',
    default: 4,
    aliases: ['poolSize'],
    description: 'Most DuckDBConnections open at once on the instance: how many queries run at the same time.',
  },
])

/**
 * The DuckDB settings users set most, first in the docs. Every other DuckDB setting is accepted too,
 * under DuckDB's own name.
 */
export const COMMON_SETTINGS: readonly string[] = [
  'access_mode',
  'threads',
  'memory_limit',
  'max_memory',
  'temp_directory',
  'default_order',
  'enable_external_access',
  'preserve_insertion_order',
  'autoinstall_known_extensions',
  'autoload_known_extensions',
]

/**
 * Every DuckDB configuration option, as DuckDB names and describes it (`duckdb_settings()`), read
 * from the driver so the list matches the installed DuckDB. Values are passed to
 * `DuckDBInstance.create` as strings (`threads = 4` becomes `'4'`), so TOML numbers and booleans work.
 */
function duckdbSettings(): OptionSpec[] {
  const taken = new Set(CONNECTION_OPTIONS.flatMap((o) => [o.name, ...(o.aliases ?? [])]))
  const all = configurationOptionDescriptions()
  const names = Object.keys(all).filter((n) => !n.startsWith('__') && !taken.has(n))
  const common = COMMON_SETTINGS.filter((n) => names.includes(n))
  const rest = names.filter((n) => !common.includes(n)).sort()
  return [...common, ...rest].map((name) => ({
    name,
    type: 'any',
    description: `DuckDB setting: ${all[name]!.replace(/\s+/g, ' ').trim()}`,
  }))
}

/** Every option of a DuckDB connection, declared once: sqlconn's, then DuckDB's settings. */
export const DUCKDB_OPTIONS: readonly OptionSpec[] = [...CONNECTION_OPTIONS, ...duckdbSettings()]

/** Names of the DuckDB settings among the options: what goes to `DuckDBInstance.create`. */
export const SETTING_NAMES: ReadonlySet<string> = new Set(
  DUCKDB_OPTIONS.slice(CONNECTION_OPTIONS.length).map((o) => o.name),
)

/** The options docs/duckdb.md lists in its table: sqlconn's own and the common DuckDB settings. */
export const DOCUMENTED_OPTIONS: readonly OptionSpec[] = DUCKDB_OPTIONS.filter(
  (o) => CONNECTION_OPTIONS.includes(o) || COMMON_SETTINGS.includes(o.name),
)
