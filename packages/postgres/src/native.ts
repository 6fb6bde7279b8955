/**
 * PostgreSQL's own configuration, read as libpq reads it (the PG* variables, the service file and
 * DATABASE_URL), so that a machine already set up for psql needs no secrets file at all.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { ConfigError, type ConfigLayer, type NativeContext } from '@sqlconn/core'
import ini from 'ini'

/** The connection fields that a URL, a service file and the PG* variables can give. */
const CONNECTION_FIELDS = [
  'host',
  'port',
  'user',
  'password',
  'database',
  'ssl',
  'application_name',
  'options',
  'connectionTimeoutMillis',
] as const

const ENV: Readonly<Record<string, (typeof CONNECTION_FIELDS)[number]>> = {
  PGHOST: 'host',
  PGPORT: 'port',
  PGUSER: 'user',
  PGPASSWORD: 'password',
  PGDATABASE: 'database',
  PGSSLMODE: 'ssl',
  PGAPPNAME: 'application_name',
  PGOPTIONS: 'options',
  PGCONNECT_TIMEOUT: 'connectionTimeoutMillis',
}

const SERVICE_KEYS: Readonly<Record<string, (typeof CONNECTION_FIELDS)[number]>> = {
  host: 'host',
  port: 'port',
  user: 'user',
  password: 'password',
  dbname: 'database',
  sslmode: 'ssl',
  application_name: 'application_name',
  options: 'options',
  connect_timeout: 'connectionTimeoutMillis',
}

/** True for postgres: and postgresql: URLs. */
function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim())
}

/** libpq's connect_timeout is in seconds; pg's connectionTimeoutMillis in milliseconds. */
function nativeValue(field: string, value: string): unknown {
  if (field === 'connectionTimeoutMillis') {
    const seconds = Number(value)
    return Number.isFinite(seconds) ? seconds * 1000 : value
  }
  return value
}

/**
 * PostgreSQL's own configuration, as libpq reads it, as layers highest first: DATABASE_URL when it
 * is a postgres URL (a conninfo string beats the variables in libpq), the service named by
 * PGSERVICE (its values win over the variables, as in libpq), then the PG* variables. Read so that
 * a machine already set up for psql needs no secrets file at all. ~/.pgpass is read later, once the
 * host, port, database and user are known (see settings.ts).
 */
export function postgresNativeConfig({ env, home }: NativeContext): ConfigLayer[] {
  const url = env.DATABASE_URL
  const fromUrl: ConfigLayer =
    url && isPostgresUrl(url)
      ? { kind: 'native', values: { connectionString: url }, origins: { connectionString: 'env DATABASE_URL' } }
      : { kind: 'native', values: {} }
  const fromService = nativeLayer()
  const service = env.PGSERVICE
  if (service) {
    const found = readService(service, env, home)
    for (const [key, value] of Object.entries(found.values)) {
      const field = SERVICE_KEYS[key]
      if (field === undefined || typeof value !== 'string') continue
      fromService.values[field] = nativeValue(field, value)
      fromService.origins[field] = `service "${service}" in ${found.file}`
    }
  }
  const fromEnv = nativeLayer()
  for (const [variable, field] of Object.entries(ENV)) {
    const v = env[variable]
    if (v === undefined || v === '') continue
    fromEnv.values[field] = nativeValue(field, v)
    fromEnv.origins[field] = `env ${variable}`
  }
  return [fromUrl, fromService, fromEnv]
}

function nativeLayer(): { kind: 'native'; values: Record<string, unknown>; origins: Record<string, string> } {
  return { kind: 'native', values: {}, origins: {} }
}

/** The section of a service in the user's file (PGSERVICEFILE or ~/.pg_service.conf), else the system one. */
function readService(
  service: string,
  env: NodeJS.ProcessEnv,
  home: string,
): { file: string; values: Record<string, unknown> } {
  const files = [env.PGSERVICEFILE ?? path.join(home, '.pg_service.conf')]
  if (env.PGSYSCONFDIR) files.push(path.join(env.PGSYSCONFDIR, 'pg_service.conf'))
  for (const file of files) {
    if (!existsSync(file)) continue
    const sections = ini.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    const section = sections[service]
    if (section && typeof section === 'object') return { file, values: section as Record<string, unknown> }
  }
  throw new ConfigError(
    'INVALID_OPTION',
    'PGSERVICE',
    `PGSERVICE names service "${service}", which is not defined in ${files.join(' or ')}.`,
  )
}
