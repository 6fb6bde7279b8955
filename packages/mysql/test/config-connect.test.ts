import { connection } from '@sqlconn/core'
import { useSandbox } from '@sqlconn/core/testing'
import { describe, expect, it } from 'vitest'
import { MysqlConnection } from '../src/index.js'
import { TEST_URL, useDatabase } from './helpers.js'

// The configuration tests that reach the server; the rest (config.test.ts) run without one.
const database = useDatabase()
const box = useSandbox(['USER', 'LOGNAME', 'MYSQL_HOST', 'MYSQL_TCP_PORT', 'MYSQL_PWD', 'MYSQL_UNIX_PORT'])
const test = new URL(TEST_URL)

describe('MySQL configuration, connected', () => {
  it('connects with settings from ~/.my.cnf alone', async () => {
    box.write(
      'home/.my.cnf',
      `[client]\nhost = ${test.hostname}\nport = ${test.port || 3306}\nuser = ${decodeURIComponent(test.username)}\n` +
        `database = ${database.name}\n${test.password ? `password = ${decodeURIComponent(test.password)}\n` : ''}`,
    )
    const conn = new MysqlConnection('t')
    try {
      const t = await conn.query('select database() as db', { cache: false })
      expect(t.get(0)).toEqual({ db: database.name })
    } finally {
      await conn.close()
    }
  })

  it('hands every mysql2 option to the pool, functions included (infileStreamFactory, authPlugins, stream, ...)', async () => {
    const infileStreamFactory = () => {
      throw new Error('not used')
    }
    const authSwitchHandler = () => {}
    const authPlugins = { mysql_clear_password: () => () => Buffer.alloc(0) }
    const queryFormat = (sql: string) => sql
    const conn = new MysqlConnection('t', {
      uri: database.url,
      infileStreamFactory,
      authSwitchHandler,
      authPlugins,
      queryFormat,
      flags: ['-FOUND_ROWS'],
      enableKeepAlive: false,
      connectAttributes: { program_name: 'sqlconn-test' },
      maxPreparedStatements: 50,
      compress: false,
      gracefulEnd: true,
    })
    try {
      const pool = conn.raw as unknown as { config: { connectionConfig: Record<string, unknown> } }
      const c = pool.config.connectionConfig
      expect(c.infileStreamFactory).toBe(infileStreamFactory)
      expect(c.authSwitchHandler).toBe(authSwitchHandler)
      expect(c.authPlugins).toBe(authPlugins)
      expect(c.queryFormat).toBe(queryFormat)
      expect(c.enableKeepAlive).toBe(false)
      expect(c.connectAttributes).toMatchObject({ program_name: 'sqlconn-test' })
      expect(c.maxPreparedStatements).toBe(50)
      expect(c.gracefulEnd).toBe(true)
      // FOUND_ROWS (2) removed from the capability flags.
      expect((c.clientFlags as number) & 2).toBe(0)
      expect((await conn.query('select 1 as one', { cache: false })).get(0)).toEqual({ one: 1 })
    } finally {
      await conn.close()
    }
  })
})

describe('MySQL and MariaDB connection types', () => {
  it("resolves both 'mysql' and 'mariadb' to MysqlConnection", async () => {
    const maria = await connection('mariadb', { uri: database.url })
    const my = await connection('orders', { type: 'mysql', uri: database.url })
    // core imports the built package, so the class is @sqlconn/mysql's default export rather than this file's import.
    for (const conn of [maria, my]) {
      expect(conn.constructor.name).toBe('MysqlConnection')
      expect((conn.constructor as typeof MysqlConnection).typeName).toBe('mysql')
    }
    expect((await maria.query('select 1 as one', { cache: false })).get(0)).toEqual({ one: 1 })
  })
})
