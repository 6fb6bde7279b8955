import { describePoolConformance } from '@sqlconn/core/testing'
import { useDatabase } from './helpers.js'

const database = useDatabase()

interface Counted {
  readonly length: number
}

describePoolConformance({
  name: 'mysql',
  create: (options) => database.open(options),
  poolOfSize: (connectionLimit) => ({ connectionLimit }),
  // mysql2's pool has no public counts: it keeps its connections and waiters in these queues.
  // An ended pool keeps its list of connections, each of them quit: it holds none open.
  poolCounts: (raw) => {
    const pool = raw as {
      _closed: boolean
      _allConnections: Counted
      _freeConnections: Counted
      _connectionQueue: Counted
    }
    return {
      total: pool._closed ? 0 : pool._allConnections.length,
      idle: pool._freeConnections.length,
      waiting: pool._connectionQueue.length,
    }
  },
  intParam: '?',
  connectionId: 'connection_id()',
  gate: () => database.gate(),
  killAll: () => database.killAll(),
  // KILLed while this process is busy, as wait_timeout or a DBA does: the pool still holds them as idle.
  killIdle: () => database.killAllWhileBusy(),
  withPassword: async (password) => {
    const user = `sqlconn_u${Math.random().toString(36).slice(2, 8)}`
    await database.admin(`create user '${user}'@'%' identified by '${password}'`)
    await database.admin(`grant all on ${database.name}.* to '${user}'@'%'`)
    const u = new URL(database.url)
    u.username = user
    u.password = password
    return {
      options: { uri: u.toString() },
      drop: async () => {
        await database.admin(`drop user '${user}'@'%'`)
      },
    }
  },
  errorCodes: { syntax: 'ER_PARSE_ERROR', noSuchTable: 'ER_NO_SUCH_TABLE' },
})
