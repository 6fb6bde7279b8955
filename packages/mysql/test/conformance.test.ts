import { describeConformance } from '@sqlconn/core/testing'
import { MysqlConnection } from '../src/index.js'
import { TEST_URL, useDatabase } from './helpers.js'

const database = useDatabase()
const targetA = useDatabase()
const targetB = useDatabase()

describeConformance({
  name: 'mysql',
  create: (options) => new MysqlConnection('conformance', { uri: database.url, ...options }),
  placeholder: '?',
  types: { integer: 'INT', float: 'DOUBLE', text: 'VARCHAR(100)', binary: 'VARBINARY(100)', decimal: 'DECIMAL(38,10)' },
  // KILL every server connection of the pool from another client while this process is busy, as
  // wait_timeout or a DBA does: the next read takes a pooled connection that is already dead.
  breakConnections: async () => {
    await database.killAllWhileBusy()
  },
  targets: () => [{ uri: targetA.url }, { uri: targetB.url }],
  connectFailures: { server: 'MySQL', at: (parts) => ({ uri: Object.assign(new URL(TEST_URL), parts).toString() }) },
  // mysql2's pool keeps what it was given: its own settings and each new connection's config.
  driverSettings: (conn) => {
    const pool = (conn as MysqlConnection).raw as unknown as {
      config: Record<string, unknown> & { connectionConfig: Record<string, unknown> }
    }
    const c = pool.config.connectionConfig
    return {
      host: c.host,
      port: c.port,
      user: c.user,
      database: c.database,
      connectTimeout: c.connectTimeout,
      timezone: c.timezone,
      connectionLimit: pool.config.connectionLimit,
      queueLimit: pool.config.queueLimit,
      idleTimeout: pool.config.idleTimeout,
    }
  },
})
