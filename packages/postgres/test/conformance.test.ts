import { describeConformance } from '@sqlconn/core/testing'
import type { PostgresConnection } from '../src/index.js'
import { breakIdleClients, open, useSchema } from './helpers.js'

const schema = useSchema()

describeConformance({
  name: 'postgres',
  create: (options) => open(schema.name, options),
  placeholder: '$1',
  types: { integer: 'integer', float: 'double precision', text: 'text', binary: 'bytea' },
  /**
   * Kills the pool's connections the way a failover or a NAT dropping idle connections does: the
   * server ends every backend, and each client finds out only when it is next used. (A client
   * that hears about it while idle is simply dropped by the pool; see postgres.test.ts.)
   */
  breakConnections: async (conn) => {
    await breakIdleClients(conn as PostgresConnection)
  },
})
