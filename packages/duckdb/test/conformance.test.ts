import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describeConformance } from '@sqlconn/core/testing'
import { DuckDBConnection } from '../src/index.js'

const dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-duckdb-conf-'))
const file = path.join(dir, 'conformance.duckdb')

describeConformance({
  name: 'duckdb',
  create: (options) => new DuckDBConnection('conformance', { path: file, ...options }),
  placeholder: '$1',
  types: { integer: 'INTEGER', float: 'DOUBLE', text: 'VARCHAR', binary: 'BLOB', decimal: 'DECIMAL(38,10)' },
  // Every DuckDBConnection of the pool is closed under it, as when the database goes away.
  breakConnections: async (conn) => {
    for (const c of (conn as DuckDBConnection).raw.connections) c.closeSync()
  },
  targets: () => [{ path: path.join(dir, 'target-a.duckdb') }, { path: path.join(dir, 'target-b.duckdb') }],
  inMemory: { path: ':memory:' },
  // The pool keeps the path and settings it gave DuckDBInstance.create, and its size.
  driverSettings: (conn) => {
    const pool = (conn as DuckDBConnection).raw
    return { path: pool.path, max: pool.max }
  },
})
