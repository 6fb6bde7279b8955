import path from 'node:path'
import { ConfigError, connection } from '@sqlconn/core'
import { describe, expect, it } from 'vitest'
import { PostgresConnection } from '../src/index.js'
import { TEST_URL, useSandbox } from './helpers.js'

const PG_VARS = [
  'PGHOST',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGDATABASE',
  'PGSSLMODE',
  'PGAPPNAME',
  'PGOPTIONS',
  'PGCONNECT_TIMEOUT',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGSYSCONFDIR',
  'PGPASSFILE',
]
const box = useSandbox(PG_VARS)

function sources(conn: PostgresConnection, ...names: string[]): Record<string, [unknown, string | undefined]> {
  return Object.fromEntries(names.map((n) => [n, [conn.config.get(n), conn.config.source(n)]]))
}

describe('PostgreSQL settings and where they come from', () => {
  it('takes PG* variables when code and secrets say nothing', () => {
    Object.assign(process.env, { PGHOST: 'db.internal', PGPORT: '6543', PGUSER: 'app', PGDATABASE: 'shop' })
    Object.assign(process.env, { PGAPPNAME: 'reports', PGCONNECT_TIMEOUT: '7', PGSSLMODE: 'require' })
    const conn = new PostgresConnection('pg')
    expect(sources(conn, 'host', 'port', 'user', 'database', 'application_name')).toEqual({
      host: ['db.internal', 'env PGHOST'],
      port: [6543, 'env PGPORT'],
      user: ['app', 'env PGUSER'],
      database: ['shop', 'env PGDATABASE'],
      application_name: ['reports', 'env PGAPPNAME'],
    })
    expect(conn.config.get('connectionTimeoutMillis')).toBe(7000)
    expect(conn.config.get('ssl')).toBe('require')
  })

  it('lets secrets beat PG* variables and code beat both', () => {
    Object.assign(process.env, { PGHOST: 'from-env', PGPORT: '1111', PGUSER: 'env-user' })
    box.write('project/.sqlconn/secrets.toml', '[connections.pg]\nhost = "from-secrets"\nport = 2222\n')
    const conn = new PostgresConnection('pg', { host: 'from-code' })
    expect(sources(conn, 'host', 'port', 'user')).toEqual({
      host: ['from-code', 'kwargs'],
      port: [2222, expect.stringMatching(/^secrets: .*secrets\.toml$/)],
      user: ['env-user', 'env PGUSER'],
    })
  })

  it('reads a service from PGSERVICEFILE, and its values beat the PG* variables, as in libpq', () => {
    const file = box.write('pg_service.conf', '[warehouse]\nhost=svc.internal\nport=5433\ndbname=dw\nuser=analyst\n')
    Object.assign(process.env, { PGSERVICE: 'warehouse', PGSERVICEFILE: file, PGHOST: 'env-host', PGUSER: 'env-user' })
    const conn = new PostgresConnection('pg')
    const where = `service "warehouse" in ${file}`
    expect(sources(conn, 'host', 'port', 'database', 'user')).toEqual({
      host: ['svc.internal', where],
      port: [5433, where],
      database: ['dw', where],
      user: ['analyst', where],
    })
  })

  it('finds ~/.pg_service.conf and the system pg_service.conf in PGSYSCONFDIR', () => {
    box.write('home/.pg_service.conf', '[mine]\nhost=home-host\n')
    const system = box.write('etc/pg_service.conf', '[shared]\nhost=system-host\n')
    process.env.PGSYSCONFDIR = path.dirname(system)
    process.env.PGSERVICE = 'mine'
    expect(new PostgresConnection('a').config.get('host')).toBe('home-host')
    process.env.PGSERVICE = 'shared'
    expect(new PostgresConnection('b').config.source('host')).toBe(`service "shared" in ${system}`)
  })

  it('names the files it looked in when PGSERVICE names no service', () => {
    process.env.PGSERVICE = 'nowhere'
    const err = (() => {
      try {
        return new PostgresConnection('pg').config
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toContain('"nowhere"')
    expect((err as Error).message).toContain('.pg_service.conf')
  })

  it('matches ~/.pgpass against the host, port, database and user it resolved', () => {
    const pgpass = box.write(
      'home/.pgpass',
      [
        '# comments are skipped',
        'other:5432:*:app:wrong',
        'db.internal:6543:shop:app:s3cret-from-pgpass',
        '*:*:*:*:fallback',
      ].join('\n'),
    )
    const conn = new PostgresConnection('pg', { host: 'db.internal', port: 6543, user: 'app', database: 'shop' })
    expect(conn.config.get('password')).toBe('s3cret-from-pgpass')
    expect(conn.config.source('password')).toBe(`pgpass ${pgpass}:3`)
    expect(String(conn)).not.toContain('s3cret-from-pgpass')
    expect(new PostgresConnection('other', { host: 'elsewhere', user: 'x' }).config.get('password')).toBe('fallback')
  })

  it('reads PGPASSFILE, and ignores a password file others can read, as libpq does', () => {
    const file = box.write('secret/pass', 'localhost:5432:*:app:from-passfile\n')
    process.env.PGPASSFILE = file
    expect(new PostgresConnection('a', { user: 'app' }).config.source('password')).toBe(
      `pgpass env PGPASSFILE ${file}:1`,
    )
    box.write('secret/pass', 'localhost:5432:*:app:from-passfile\n', 0o644)
    expect(new PostgresConnection('b', { user: 'app' }).config.has('password')).toBe(false)
  })

  it('prefers a password given anywhere over ~/.pgpass', () => {
    box.write('home/.pgpass', '*:*:*:*:from-pgpass\n')
    process.env.PGPASSWORD = 'from-env'
    expect(sources(new PostgresConnection('pg'), 'password')).toEqual({ password: ['from-env', 'env PGPASSWORD'] })
  })

  it('connects with the password pgpass gave (pg receives it)', async () => {
    box.write('home/.pgpass', '*:*:*:postgres:unused-by-trust-auth\n')
    const conn = new PostgresConnection('pg', { url: TEST_URL })
    await conn.ping()
    expect(conn.raw.options.password).toBe('unused-by-trust-auth')
    await conn.close()
  })

  it('splits a URL into its parts, each counting as given where the URL was', () => {
    process.env.PGHOST = 'env-host'
    process.env.PGDATABASE = 'env-db'
    const conn = new PostgresConnection('pg', { url: 'postgresql://ann:pw@url-host:7777/url-db?application_name=etl' })
    expect(sources(conn, 'host', 'port', 'user', 'password', 'database', 'application_name')).toEqual({
      host: ['url-host', 'kwargs (connectionString)'],
      port: [7777, 'kwargs (connectionString)'],
      user: ['ann', 'kwargs (connectionString)'],
      password: ['pw', 'kwargs (connectionString)'],
      database: ['url-db', 'kwargs (connectionString)'],
      application_name: ['etl', 'kwargs (connectionString)'],
    })
    expect(String(conn)).not.toContain(':pw@')
  })

  it('lets an option given beside a URL override that part of it', () => {
    const conn = new PostgresConnection('pg', { url: 'postgres://ann@url-host/url-db', database: 'other' })
    expect(sources(conn, 'host', 'database')).toEqual({
      host: ['url-host', 'kwargs (connectionString)'],
      database: ['other', 'kwargs'],
    })
  })

  it('lets a host in code beat DATABASE_URL, and DATABASE_URL beat the PG* variables', () => {
    process.env.DATABASE_URL = 'postgres://dbu:pw@url-host:6000/url-db'
    process.env.PGHOST = 'env-host'
    process.env.PGDATABASE = 'env-db'
    const conn = new PostgresConnection('pg', { host: 'code-host' })
    expect(sources(conn, 'host', 'database', 'port')).toEqual({
      host: ['code-host', 'kwargs'],
      database: ['url-db', 'env DATABASE_URL (connectionString)'],
      port: [6000, 'env DATABASE_URL (connectionString)'],
    })
  })

  it('ignores a DATABASE_URL of another database', () => {
    process.env.DATABASE_URL = 'mysql://root@localhost/shop'
    const conn = new PostgresConnection('pg')
    expect(conn.config.has('connectionString')).toBe(false)
    expect(conn.config.get('host')).toBe('localhost')
  })

  it('rejects an unknown option with a did-you-mean', () => {
    const err = (() => {
      try {
        return new PostgresConnection('pg', { hots: 'x' }).config
      } catch (e) {
        return e
      }
    })()
    expect((err as ConfigError).code).toBe('UNKNOWN_OPTION')
    expect((err as Error).message).toContain('Did you mean "host"?')
  })

  it('is what connection() gives for type "postgres" and "postgresql"', async () => {
    const a = await connection('warehouse', { type: 'postgresql', url: TEST_URL })
    expect(a.constructor.name).toBe('PostgresConnection')
    box.write('project/.sqlconn/secrets.toml', `[connections.pg]\ntype = "postgres"\nurl = "${TEST_URL}"\n`)
    const b = await connection('pg')
    expect((b.constructor as typeof PostgresConnection).typeName).toBe('postgres')
  })
})
