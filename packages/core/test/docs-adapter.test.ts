import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { closeAll, connection } from '../src/index.js'
import { describeConformance } from '../src/testing.js'
import { NodeSqliteConnection } from './fixtures/node-sqlite-adapter.js'

const dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-docs-adapter-'))
const file = path.join(dir, 'conformance.db')

afterAll(async () => {
  await closeAll()
})

describe('the adapter docs/writing-an-adapter.md builds', () => {
  it('is the fixture these tests run, line for line', () => {
    const docs = readFileSync(fileURLToPath(new URL('../../../docs/writing-an-adapter.md', import.meta.url)), 'utf8')
    const block = /```ts\n([\s\S]*?)```/.exec(docs)![1]!
    const fixture = readFileSync(fileURLToPath(new URL('./fixtures/node-sqlite-adapter.ts', import.meta.url)), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('// '))
      .join('\n')
      .replace("from '../../src/index.js'", "from '@sqlconn/core'")
    expect(fixture).toBe(block)
  })

  it('never serves one in-memory database the cached rows of another', async () => {
    const a = await connection('a', { type: NodeSqliteConnection, path: ':memory:' })
    const b = await connection('b', { type: NodeSqliteConnection, path: ':memory:' })
    for (const [conn, name] of [
      [a, 'rex'],
      [b, 'tom'],
    ] as const) {
      await conn.query('create table pets (name text)', { cache: false })
      await conn.query('insert into pets values (?)', { params: [name], cache: false })
    }
    expect((await a.query('select name from pets')).toArray()).toEqual([{ name: 'rex' }])
    expect((await b.query('select name from pets')).toArray()).toEqual([{ name: 'tom' }])
  })
})

describeConformance({
  name: 'docs adapter (node:sqlite)',
  create: (options) => new NodeSqliteConnection('conformance', { path: file, ...options }),
  placeholder: '?',
  types: { integer: 'INTEGER', float: 'REAL', text: 'TEXT', binary: 'BLOB' },
  breakConnections: async (conn) => {
    ;(conn as NodeSqliteConnection).raw.close()
  },
  targets: () => [{ path: path.join(dir, 'a.db') }, { path: path.join(dir, 'b.db') }],
  driverSettings: (conn) => ({ path: (conn as NodeSqliteConnection).raw.location() ?? ':memory:' }),
  inMemory: { path: ':memory:' },
})
