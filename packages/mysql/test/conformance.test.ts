import { describeConformance } from '@sqlconn/core/testing'
import { MysqlConnection } from '../src/index.js'
import { useDatabase } from './helpers.js'

const database = useDatabase()

describeConformance({
  name: 'mysql',
  create: (options) => new MysqlConnection('conformance', { uri: database.url, ...options }),
  placeholder: '?',
  types: { integer: 'INT', float: 'DOUBLE', text: 'VARCHAR(100)', binary: 'VARBINARY(100)' },
  // KILL every server connection of the pool from another client while this process is busy, as
  // wait_timeout or a DBA does: the next read takes a pooled connection that is already dead.
  breakConnections: async () => {
    await database.killAllWhileBusy()
  },
})
