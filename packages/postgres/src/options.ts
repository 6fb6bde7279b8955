import { declareOptions, type OptionSpec } from '@sqlconn/core'

/**
 * Every option of a PostgreSQL connection, with pg's names, defaults and value types, declared
 * once: it drives validation (unknown and mistyped options), masking of the password and the
 * options table in docs/postgres.md.
 */
export const POSTGRES_OPTIONS: readonly OptionSpec[] = declareOptions([
  {
    role: 'url',
    name: 'connectionString',
    description:
      'postgres://user:password@host:port/database?sslmode=...; each part counts as given where the URL was given.',
    native: ['DATABASE_URL (postgres:, postgresql: URLs)'],
  },
  {
    role: 'host',
    description: 'Server host name, or a directory holding its Unix socket.',
    native: ['PGHOST', 'PGSERVICE'],
  },
  { role: 'port', default: 5432, description: 'Server port.', native: ['PGPORT', 'PGSERVICE'] },
  {
    role: 'user',
    description: 'Role to connect as (pg: the USER of the process when unset).',
    native: ['PGUSER', 'PGSERVICE'],
  },
  {
    role: 'password',
    type: 'any',
    description:
      'Password of the role: a string, or a function returning one (or a promise of one), called per connection.',
    native: ['PGPASSWORD', 'PGSERVICE', '~/.pgpass', 'PGPASSFILE'],
  },
  {
    role: 'database',
    description: 'Database to connect to (pg: the user name when unset).',
    native: ['PGDATABASE', 'PGSERVICE'],
  },
  {
    role: 'ssl',
    description:
      'TLS: false, true, a tls.connect options object, or an sslmode ("disable", "require", "no-verify", "verify-full").',
    native: ['PGSSLMODE', 'PGSERVICE'],
  },
  {
    name: 'application_name',
    type: 'string',
    description: 'Shown in pg_stat_activity and server logs.',
    native: ['PGAPPNAME', 'PGSERVICE'],
  },
  {
    name: 'options',
    type: 'string',
    description: 'Server options sent at connection start, e.g. "-c search_path=app,public".',
    native: ['PGOPTIONS', 'PGSERVICE'],
  },
  { role: 'poolSize', name: 'max', aliases: ['poolSize'], description: 'Most clients the pool opens.' },
  { name: 'min', type: 'number', default: 0, description: 'Clients the pool keeps open when idle.' },
  {
    role: 'idleTimeout',
    name: 'idleTimeoutMillis',
    default: 10000,
    description: 'How long a client may sit idle before the pool closes it (0: never).',
  },
  {
    role: 'connectTimeout',
    name: 'connectionTimeoutMillis',
    default: 0,
    description: 'How long to wait for a connection before failing (0: no limit).',
    native: ['PGCONNECT_TIMEOUT (seconds)', 'PGSERVICE'],
  },
  {
    name: 'statement_timeout',
    type: 'number',
    description: 'Server-side limit on each statement, in milliseconds.',
  },
  { name: 'query_timeout', type: 'number', description: 'Client-side limit on each query, in milliseconds.' },
  { name: 'lock_timeout', type: 'number', description: 'Server-side limit on waiting for a lock, in milliseconds.' },
  {
    name: 'idle_in_transaction_session_timeout',
    type: 'number',
    description: 'Server-side limit on an idle open transaction, in milliseconds.',
  },
  { name: 'client_encoding', type: 'string', description: 'Client encoding (pg: UTF8).' },
  { role: 'keepAlive', name: 'keepAlive', default: false, description: 'TCP keep-alive on client sockets.' },
  {
    role: 'keepAliveDelay',
    name: 'keepAliveInitialDelayMillis',
    description: 'Delay before the first keep-alive probe.',
  },
  { name: 'maxUses', type: 'number', description: 'Close a client after this many uses (pg-pool).' },
  { name: 'maxLifetimeSeconds', type: 'number', description: 'Close a client after this many seconds (pg-pool).' },
  {
    name: 'allowExitOnIdle',
    type: 'boolean',
    default: true,
    description:
      "Let the process exit while only idle clients are open (sqlconn's default: a script ends without closeAll()); false holds it open.",
  },
  {
    name: 'types',
    type: 'any',
    description: "Type parsers for this pool (pg's `types`, e.g. a TypeOverrides); default: pg.types.",
  },
  {
    name: 'fallback_application_name',
    type: 'string',
    description: 'application_name to use when none is given.',
  },
  {
    name: 'sslnegotiation',
    type: 'string',
    description: '"postgres" (an SSLRequest first, the default) or "direct" (TLS at once; PostgreSQL 17+).',
  },
  {
    name: 'enableChannelBinding',
    type: 'boolean',
    description: 'Use SCRAM-SHA-256-PLUS (channel binding) when the server offers it over TLS.',
  },
  {
    name: 'scramMaxIterations',
    type: 'number',
    description: 'Most SCRAM iterations accepted from the server (a guard against a hostile server).',
  },
  { name: 'replication', type: 'any', description: 'Open a replication connection: true or "database".' },
  { name: 'binary', type: 'boolean', description: 'Ask for results in binary format (pg: false).' },
  { name: 'pipeline', type: 'boolean', description: 'Pipeline queries on each client (pg 8.17+).' },
  {
    name: 'stream',
    type: 'any',
    description: 'A function (config) => Duplex stream used instead of a TCP socket (a proxy, a custom DNS lookup).',
  },
  { name: 'log', type: 'any', description: 'A function pg-pool calls with its debug messages.' },
  {
    name: 'onConnect',
    type: 'any',
    description: 'A function (client) => void | Promise, run on each new client before it is used (pg-pool).',
  },
  {
    name: 'verify',
    type: 'any',
    description: 'A function (client, done) that checks each new client before it is used (pg-pool).',
  },
  { name: 'Client', type: 'any', description: "The Client class the pool makes clients with (pg's own by default)." },
  { name: 'Promise', type: 'any', description: 'A Promise implementation (deprecated in pg).' },
])
