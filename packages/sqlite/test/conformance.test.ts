import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describeConformance } from '@sqlconn/core/testing'
import { SqliteConnection } from '../src/index.js'

const dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-conf-'))
const filename = path.join(dir, 'conformance.db')

describeConformance({
  name: 'sqlite',
  create: (options) => new SqliteConnection('conformance', { filename, ...options }),
  placeholder: '?',
  types: { integer: 'INTEGER', float: 'REAL', text: 'TEXT', binary: 'BLOB' },
  // The handle is closed under the connection, as when a file handle goes away.
  breakConnections: async (conn) => {
    ;(conn as SqliteConnection).raw.close()
  },
  targets: () => [{ filename: path.join(dir, 'target-a.db') }, { filename: path.join(dir, 'target-b.db') }],
  inMemory: { filename: ':memory:' },
  // better-sqlite3 keeps the path it opened and its read-only flag; the busy timeout is SQLite's own.
  driverSettings: (conn) => {
    const db = (conn as SqliteConnection).raw
    return { filename: db.name, readonly: db.readonly, timeout: db.pragma('busy_timeout', { simple: true }) }
  },
})
