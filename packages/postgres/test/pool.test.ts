import { describePoolConformance } from '@sqlconn/core/testing'
import type pg from 'pg'
import type { PostgresConnection } from '../src/index.js'
import { advisoryGate, breakIdleClients, open, TEST_URL, terminate, useSchema } from './helpers.js'

const schema = useSchema()

describePoolConformance({
  name: 'postgres',
  create: (options) => open(schema.name, options),
  poolOfSize: (max) => ({ max }),
  poolCounts: (raw) => {
    const pool = raw as pg.Pool
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }
  },
  intParam: '$1::int',
  connectionId: 'pg_backend_pid()',
  gate: advisoryGate,
  killAll: (conn) => terminate(conn.config.get<string>('application_name')!),
  killIdle: (conn) => breakIdleClients(conn as PostgresConnection),
  // The test server trusts local logins: any password gets in, and must never be shown.
  withPassword: async (password) => {
    const url = new URL(TEST_URL)
    url.password = password
    return { options: { url: url.toString() }, drop: async () => {} }
  },
  errorCodes: { syntax: '42601', noSuchTable: '42P01' },
})
