import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describeConformance } from '@sqlconn/core/testing'
import { SqliteConnection } from '../src/index.js'

const filename = path.join(mkdtempSync(path.join(tmpdir(), 'sqlconn-conf-')), 'conformance.db')

describeConformance({
  name: 'sqlite',
  create: (options) => new SqliteConnection('conformance', { filename, ...options }),
  placeholder: '?',
  types: { integer: 'INTEGER', float: 'REAL', text: 'TEXT', binary: 'BLOB' },
  // The handle is closed under the connection, as when a file handle goes away.
  breakConnections: async (conn) => {
    ;(conn as SqliteConnection).raw.close()
  },
})
