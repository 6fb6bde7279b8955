import type { Socket } from 'node:net'
import { describeConformance } from '@sqlconn/core/testing'
import type pg from 'pg'
import type { PostgresConnection } from '../src/index.js'
import { open, terminate, useSchema } from './helpers.js'

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
    const pool = (conn as PostgresConnection).raw
    const clients: pg.PoolClient[] = []
    for (let i = pool.idleCount; i > 0; i--) clients.push(await pool.connect())
    for (const client of clients) {
      const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream
      socket.pause()
      const write = socket.write
      socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
        socket.write = write
        socket.resume()
        return write.apply(this, args)
      } as Socket['write']
      client.release()
    }
    await terminate((conn as PostgresConnection).config.get<string>('application_name')!)
  },
})
