import { describeConformance } from '@sqlconn/core/testing'
import type { PostgresConnection } from '../src/index.js'
import { breakIdleClients, open, TEST_URL, useSchema } from './helpers.js'

const schema = useSchema()
const targetA = useSchema()
const targetB = useSchema()

describeConformance({
  name: 'postgres',
  create: (options) => open(schema.name, options),
  placeholder: '$1',
  types: { integer: 'integer', float: 'double precision', text: 'text', binary: 'bytea', decimal: 'numeric(38,10)' },
  /**
   * Kills the pool's connections the way a failover or a NAT dropping idle connections does: the
   * server ends every backend, and each client finds out only when it is next used. (A client
   * that hears about it while idle is simply dropped by the pool; see postgres.test.ts.)
   */
  breakConnections: async (conn) => {
    await breakIdleClients(conn as PostgresConnection)
  },
  targets: () => [
    { url: TEST_URL, options: `-c search_path=${targetA.name}` },
    { url: TEST_URL, options: `-c search_path=${targetB.name}` },
  ],
  connectFailures: {
    server: 'PostgreSQL',
    at: (parts) => ({ url: Object.assign(new URL(TEST_URL), parts).toString() }),
  },
  // pg-pool keeps the options it was built with (its clients are made from them).
  driverSettings: (conn) => {
    const o = (conn as PostgresConnection).raw.options as unknown as Record<string, unknown>
    const names = ['host', 'port', 'user', 'database', 'options', 'application_name', 'max', 'idleTimeoutMillis']
    return Object.fromEntries(names.map((n) => [n, o[n]]))
  },
})
