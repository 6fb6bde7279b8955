import path from 'node:path'
import { ConfigError, ConnectionError } from '@sqlconn/core'
import { useSandbox } from '@sqlconn/core/testing'
import { describe, expect, it } from 'vitest'
import { MysqlConnection } from '../src/index.js'

// Each test gets an empty HOME (so no real ~/.my.cnf or ~/.sqlconn is read) and no MYSQL_* variables.
// Nothing here reaches a server: the tests that connect are in config-connect.test.ts.
const box = useSandbox(['USER', 'LOGNAME', 'MYSQL_HOST', 'MYSQL_TCP_PORT', 'MYSQL_PWD', 'MYSQL_UNIX_PORT'])
const write = (file: string, text: string): string => box.write(file, text)

describe('MySQL configuration and precedence', () => {
  it('reads MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_PWD and USER when nothing else gives them', () => {
    Object.assign(process.env, {
      MYSQL_HOST: 'db.internal',
      MYSQL_TCP_PORT: '3310',
      MYSQL_PWD: 'from-env',
      USER: 'ann',
    })
    const conn = new MysqlConnection('t')
    expect(conn.poolOptions).toMatchObject({ host: 'db.internal', port: 3310, password: 'from-env', user: 'ann' })
    expect(conn.config.source('host')).toBe('env MYSQL_HOST')
    expect(conn.config.source('port')).toBe('env MYSQL_TCP_PORT')
    expect(conn.config.source('password')).toBe('env MYSQL_PWD')
    expect(conn.config.source('user')).toBe('env USER')
  })

  it('lets options in code win over MYSQL_* variables', () => {
    Object.assign(process.env, { MYSQL_HOST: 'db.internal', MYSQL_PWD: 'from-env' })
    const conn = new MysqlConnection('t', { host: 'db.code', password: 'from-code' })
    expect(conn.poolOptions).toMatchObject({ host: 'db.code', password: 'from-code' })
    expect(conn.config.source('host')).toBe('kwargs')
  })

  it('reads the [client] section of ~/.my.cnf, over MYSQL_* variables', () => {
    process.env.MYSQL_HOST = 'db.env'
    const file = write(
      'home/.my.cnf',
      [
        '[mysql]',
        'host = not-client',
        '[client]',
        'host = db.file',
        'port=3311',
        'user = "bob"',
        "password = 'p#ss w\\\\rd' # a comment",
        'default_character_set = utf8mb4',
        '[mysqld]',
        'user = mysql',
      ].join('\n'),
    )
    const conn = new MysqlConnection('t')
    expect(conn.poolOptions).toMatchObject({ host: 'db.file', port: 3311, user: 'bob', password: 'p#ss w\\rd' })
    expect(conn.config.source('host')).toBe(`option file ${file}`)
  })

  it('follows !include and !includedir in option files', () => {
    write('conf.d/10-a.cnf', '[client]\nuser = from-dir\nhost = from-dir\n')
    write('conf.d/20-b.cnf', '[client]\nhost = later-in-dir\n')
    write('conf.d/ignored.txt', '[client]\nhost = not-a-cnf\n')
    write('extra.cnf', '[client]\ndatabase = from-include\n')
    write(
      'home/.my.cnf',
      `!includedir ${path.join(box.dir(), 'conf.d')}\n!include ${path.join(box.dir(), 'extra.cnf')}\n`,
    )
    const conn = new MysqlConnection('t')
    expect(conn.poolOptions).toMatchObject({ host: 'later-in-dir', user: 'from-dir', database: 'from-include' })
  })

  it('reads defaultsFile instead of ~/.my.cnf, as the mysql client reads --defaults-file', () => {
    write('home/.my.cnf', '[client]\nhost = from-home\nuser = home-user\n')
    const file = write('project.cnf', '[client]\nhost = from-defaults-file\n')
    process.env.USER = 'login-name'
    const conn = new MysqlConnection('t', { defaultsFile: file })
    expect(conn.poolOptions).toMatchObject({ host: 'from-defaults-file', user: 'login-name' })
    expect(conn.config.source('host')).toBe(`option file ${file}`)
    expect(() => new MysqlConnection('t', { defaultsFile: path.join(box.dir(), 'missing.cnf') }).config).toThrow(
      ConfigError,
    )
  })

  it("takes a uri's parts over lower sources, and completes it from higher or equal ones", () => {
    process.chdir(write('project/.keep', '') && path.join(box.dir(), 'project'))
    write('project/.sqlconn/secrets.toml', '[connections.app]\npassword = "from-secrets"\n')
    Object.assign(process.env, { MYSQL_HOST: 'db.env', MYSQL_PWD: 'from-env' })
    const conn = new MysqlConnection('app', { url: 'mysql://ann@db.url:3312/shop?connectionLimit=3', port: 3399 })
    expect(conn.poolOptions).toMatchObject({
      host: 'db.url', // the uri (code) beats MYSQL_HOST
      port: 3399, // a separate option in code beats the uri's port
      user: 'ann',
      password: 'from-secrets', // the uri has none; secrets beat MYSQL_PWD
      database: 'shop',
      connectionLimit: 3,
    })
  })

  it('reads DATABASE_URL when it is a mysql:// or mariadb:// URL, and ignores other schemes', () => {
    process.env.DATABASE_URL = 'mariadb://svc@db.deploy/orders'
    expect(new MysqlConnection('t').poolOptions).toMatchObject({ host: 'db.deploy', user: 'svc', database: 'orders' })
    process.env.DATABASE_URL = 'postgres://svc@db.deploy/orders'
    expect(new MysqlConnection('t').config.has('uri')).toBe(false)
  })

  it('uses a socket from the option files only for localhost', () => {
    const socket = write('mysqld.sock', '')
    write('home/.my.cnf', `[client]\nsocket = ${socket}\n`)
    expect(new MysqlConnection('t').poolOptions.socketPath).toBe(socket)
    expect(new MysqlConnection('t', { host: '127.0.0.1' }).poolOptions.socketPath).toBeUndefined()
  })

  it('masks the password of the uri, of MYSQL_PWD and of the option wherever printed', () => {
    process.env.MYSQL_PWD = 'env-s3cret'
    const conn = new MysqlConnection('t', { uri: 'mysql://ann:uri-s3cret@db.x/shop' })
    const shown = `${String(conn)} ${JSON.stringify(conn.config)} ${String(conn.config)}`
    expect(shown).not.toContain('uri-s3cret')
    expect(shown).not.toContain('env-s3cret')
    expect(shown).toContain('mysql://ann:****@db.x/shop')
  })

  it('rejects a uri query parameter that is not a mysql2 option', async () => {
    const conn = new MysqlConnection('t', { uri: 'mysql://root@127.0.0.1:3306/test?connectionLimt=3' })
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toContain('connectionLimt')
  })

  it('shows in config the host, user, database and pool size a uri gives the pool, with its source', async () => {
    const conn = new MysqlConnection('t', { url: 'mysql://dwshop@127.0.0.1/test?connectionLimit=5' })
    const shown = Object.fromEntries(
      ['host', 'user', 'database', 'connectionLimit'].map((n) => [n, conn.config.get(n)]),
    )
    expect(shown).toEqual({ host: '127.0.0.1', user: 'dwshop', database: 'test', connectionLimit: 5 })
    expect(conn.config.source('host')).toBe('kwargs (uri)')
    expect(conn.config.source('connectionLimit')).toBe('kwargs (uri)')
    const pool = conn.raw as unknown as {
      config: { connectionLimit: number; connectionConfig: Record<string, unknown> }
    }
    expect(pool.config.connectionLimit).toBe(5)
    expect(pool.config.connectionConfig).toMatchObject({ host: '127.0.0.1', user: 'dwshop', database: 'test' })
    await conn.close()
  })

  it("shows the uri's host in config when MYSQL_HOST names another", () => {
    process.env.MYSQL_HOST = 'db.env'
    const conn = new MysqlConnection('t', { url: 'mysql://ann@db.url/shop' })
    expect(conn.config.get('host')).toBe('db.url')
    expect(conn.config.source('host')).toBe('kwargs (uri)')
    expect(conn.poolOptions.host).toBe('db.url')
  })

  it('leaves out of config a socket from the option files that is not used', () => {
    const socket = write('mysqld.sock', '')
    write('home/.my.cnf', `[client]\nsocket = ${socket}\n`)
    expect(new MysqlConnection('t', { host: '127.0.0.1' }).config.has('socketPath')).toBe(false)
    expect(new MysqlConnection('t').config.get('socketPath')).toBe(socket)
  })

  it('names the unknown option with a suggestion', () => {
    expect(() => new MysqlConnection('t', { hots: 'x' }).config).toThrow(/Did you mean "host"/)
  })
})

describe('MySQL and MariaDB connection types', () => {
  it('reports a server that cannot be reached as a connection error, after retries', async () => {
    const conn = new MysqlConnection('t', {
      uri: 'mysql://root@127.0.0.1:1/test',
      retry: { maxAttempts: 1, initialDelay: 1, maxDelay: 2 },
    })
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect((err as ConnectionError).driverCode).toBe('ECONNREFUSED')
    await conn.close()
  })
})
