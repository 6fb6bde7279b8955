import { declareOptions, type OptionSpec } from '@sqlconn/core'

/** The parts of a server address and login a `uri` can carry. */
export const URI_PARTS = ['host', 'port', 'user', 'password', 'database'] as const

/**
 * Every option of a MySQL/MariaDB connection, declared once with mysql2's names, types and
 * defaults. `url` is accepted for `uri`; `defaultsFile` is the one option that is not mysql2's
 * (it is the mysql client's `--defaults-file`).
 */
export const MYSQL_OPTIONS: readonly OptionSpec[] = declareOptions([
  {
    role: 'url',
    name: 'uri',
    description:
      'mysql://user:password@host:port/database?option=value (mariadb:// too). Separate options given at the same or a higher precedence override its parts.',
    native: ['DATABASE_URL (mysql:// and mariadb:// URLs)'],
  },
  {
    role: 'host',
    description: 'Server host name or IP address.',
    native: ['option files [client] host', 'MYSQL_HOST'],
  },
  {
    role: 'port',
    default: 3306,
    description: 'Server TCP port.',
    native: ['option files [client] port', 'MYSQL_TCP_PORT'],
  },
  {
    name: 'socketPath',
    type: 'string',
    description:
      'Unix socket (or Windows named pipe) to connect through instead of host and port. From option files and MYSQL_UNIX_PORT it is used only when the host is localhost.',
    native: ['option files [client] socket', 'MYSQL_UNIX_PORT'],
  },
  {
    role: 'user',
    description: 'User to log in as.',
    native: ['option files [client] user', 'USER (the login name, as the mysql client does)'],
  },
  { role: 'password', description: 'Password of the user.', native: ['option files [client] password', 'MYSQL_PWD'] },
  {
    role: 'database',
    description: 'Default database (schema) of the session.',
    native: ['option files [client] database'],
  },
  {
    name: 'defaultsFile',
    type: 'string',
    description:
      "An option file to read instead of ~/.my.cnf and /etc/mysql/my.cnf, as the mysql client's --defaults-file: its [client] section.",
  },
  {
    role: 'ssl',
    description: 'TLS: an object of tls.connect options ({ ca, rejectUnauthorized, ... }) or a profile name.',
  },
  { role: 'poolSize', name: 'connectionLimit', description: 'Most connections the pool opens at once.' },
  {
    name: 'queueLimit',
    type: 'number',
    default: 0,
    description: 'Most requests waiting for a free connection (0: no limit).',
  },
  {
    name: 'waitForConnections',
    type: 'boolean',
    default: true,
    description: 'Queue requests when every connection is busy, rather than failing at once.',
  },
  {
    name: 'maxIdle',
    type: 'number',
    description: 'Most idle connections kept open (defaults to connectionLimit).',
  },
  {
    role: 'idleTimeout',
    name: 'idleTimeout',
    default: 60_000,
    description: 'Milliseconds an idle connection is kept before it is closed.',
  },
  {
    role: 'connectTimeout',
    name: 'connectTimeout',
    default: 10_000,
    description: 'Milliseconds to wait for the initial connection.',
  },
  {
    role: 'keepAlive',
    name: 'enableKeepAlive',
    default: true,
    description: 'TCP keep-alive on the sockets, so dead peers are noticed.',
  },
  {
    role: 'keepAliveDelay',
    name: 'keepAliveInitialDelay',
    description: 'Milliseconds of idleness before the first keep-alive probe.',
  },
  {
    name: 'timezone',
    type: 'string',
    default: 'local',
    description:
      "Time zone of DATETIME/TIMESTAMP values: 'local', 'Z' or '+hh:mm'. Dates are built in it and sent in it.",
  },
  {
    name: 'charset',
    type: 'string',
    default: 'UTF8MB4_UNICODE_CI',
    description: 'Connection collation, e.g. UTF8MB4_UNICODE_CI.',
  },
  {
    name: 'decimalNumbers',
    type: 'boolean',
    default: false,
    description: 'Read DECIMAL values as numbers instead of exact strings.',
  },
  {
    name: 'supportBigNumbers',
    type: 'boolean',
    default: false,
    description: 'Read BIGINT values beyond 2^53 as strings (numbers otherwise, which can lose digits).',
  },
  {
    name: 'bigNumberStrings',
    type: 'boolean',
    default: false,
    description: 'With supportBigNumbers, read every BIGINT as a string.',
  },
  {
    name: 'dateStrings',
    type: 'any',
    default: false,
    description: "Read DATE/DATETIME/TIMESTAMP as strings: true, or a list such as ['DATE'].",
  },
  {
    name: 'jsonStrings',
    type: 'boolean',
    default: false,
    description: 'Read JSON values as their text instead of parsed values.',
  },
  {
    name: 'typeCast',
    type: 'any',
    description: "mysql2's typeCast: a function (field, next) => value, or false for raw Buffers.",
  },
  {
    name: 'multipleStatements',
    type: 'boolean',
    default: false,
    description: 'Allow several statements in one query (a SQL-injection risk; query() returns the first result).',
  },
  {
    name: 'flags',
    type: 'any',
    description: "Client capability flags to add or remove, e.g. ['-FOUND_ROWS'].",
  },
  {
    name: 'localAddress',
    type: 'string',
    description: 'Local IP address to connect from.',
  },
  {
    name: 'authPlugins',
    type: 'object',
    description: 'Authentication plugin handlers by name.',
  },
  {
    name: 'enableCleartextPlugin',
    type: 'boolean',
    default: false,
    description: 'Allow the mysql_clear_password plugin (only over TLS or a socket).',
  },
  {
    name: 'authSwitchHandler',
    type: 'any',
    description: 'Legacy handler for an authentication method switch: ({ pluginName, pluginData }, cb) => void.',
  },
  {
    name: 'password1',
    type: 'string',
    secret: true,
    description: 'Multi-factor authentication: the first factor (the same as password).',
  },
  { name: 'password2', type: 'string', secret: true, description: 'Multi-factor authentication: the second factor.' },
  { name: 'password3', type: 'string', secret: true, description: 'Multi-factor authentication: the third factor.' },
  {
    name: 'passwordSha1',
    type: 'string',
    secret: true,
    description: 'The SHA1 of the password, instead of the password (mysql_native_password).',
  },
  { name: 'insecureAuth', type: 'boolean', description: 'Allow the old (pre-4.1), insecure authentication.' },
  {
    name: 'connectAttributes',
    type: 'object',
    description: 'Connection attributes sent to the server (performance_schema.session_connect_attrs).',
  },
  { name: 'charsetNumber', type: 'number', description: 'Connection collation by number, instead of charset.' },
  { name: 'compress', type: 'boolean', description: 'Compress the protocol.' },
  {
    name: 'stream',
    type: 'any',
    description:
      'A function (options) => socket each pool connection uses instead of connecting (a proxy, an SSH tunnel).',
  },
  {
    name: 'infileStreamFactory',
    type: 'any',
    description: 'For LOAD DATA LOCAL INFILE: a function (path) => readable stream of the file to send.',
  },
  { name: 'maxPreparedStatements', type: 'number', description: 'Prepared statements kept per connection (LRU).' },
  {
    name: 'namedPlaceholders',
    type: 'boolean',
    description: "mysql2's own :name placeholders in execute() (query() reads :name itself).",
  },
  {
    name: 'queryFormat',
    type: 'any',
    description: 'A function (sql, values) => sql that formats every query (conn.db and query() alike).',
  },
  {
    name: 'rowsAsArray',
    type: 'boolean',
    description: 'Rows as arrays for every query on the pool: conn.db (Kysely) then sees arrays too.',
  },
  {
    name: 'nestTables',
    type: 'any',
    description: 'Nest columns by table: true, or a separator such as "_" (conn.db sees the nested rows).',
  },
  {
    name: 'stringifyObjects',
    type: 'boolean',
    description: 'Escape objects given as values as strings instead of key = value lists.',
  },
  { name: 'disableEval', type: 'boolean', description: 'Parse rows without generated code (for restricted runtimes).' },
  { name: 'debug', type: 'any', description: 'Log protocol packets: true, or a list of packet names.' },
  { name: 'trace', type: 'boolean', description: 'Keep the caller stack on errors (default true).' },
  {
    name: 'resetOnRelease',
    type: 'boolean',
    description: 'Reset the session state of a connection when it goes back to the pool.',
  },
  { name: 'gracefulEnd', type: 'boolean', description: 'End idle connections with QUIT instead of destroying them.' },
  { name: 'Promise', type: 'any', description: "The Promise implementation of mysql2's promise wrapper." },
])

/** Options that change the values a query returns, for the cache identity. */
export const RESULT_OPTIONS = [
  'timezone',
  'charset',
  'decimalNumbers',
  'supportBigNumbers',
  'bigNumberStrings',
  'dateStrings',
  'jsonStrings',
  'typeCast',
  'queryFormat',
  'rowsAsArray',
  'nestTables',
  'stringifyObjects',
] as const

/**
 * Options handed to mysql2 as they are (the address and login are worked out separately): every
 * option of mysql2's ConnectionConfig and PoolConfig but `isServer` and `pool`, which mysql2 sets
 * for itself (a server-side connection, the pool a connection belongs to).
 */
export const PASSTHROUGH_OPTIONS = [
  'ssl',
  'connectionLimit',
  'queueLimit',
  'waitForConnections',
  'maxIdle',
  'idleTimeout',
  'connectTimeout',
  'enableKeepAlive',
  'keepAliveInitialDelay',
  ...RESULT_OPTIONS,
  'multipleStatements',
  'flags',
  'localAddress',
  'authPlugins',
  'enableCleartextPlugin',
  'authSwitchHandler',
  'password1',
  'password2',
  'password3',
  'passwordSha1',
  'insecureAuth',
  'connectAttributes',
  'charsetNumber',
  'compress',
  'stream',
  'infileStreamFactory',
  'maxPreparedStatements',
  'namedPlaceholders',
  'disableEval',
  'debug',
  'trace',
  'resetOnRelease',
  'gracefulEnd',
  'Promise',
] as const
