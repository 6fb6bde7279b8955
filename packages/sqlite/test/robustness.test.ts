import path from 'node:path'
import { ConfigError, ConnectionClosedError, connection, QueryError, SecretsFileError } from '@sqlconn/core'
import { gate } from '@sqlconn/core/testing'
import { beforeEach, describe, expect, it } from 'vitest'
import { SqliteConnection } from '../src/index.js'
import { lockDatabase, useSandbox } from './helpers.js'

const box = useSandbox()

function open(options: Record<string, unknown> = {}): SqliteConnection {
  return new SqliteConnection('test', { filename: 'test.db', retry: { initialDelay: 5, maxDelay: 20 }, ...options })
}

/** The gate every read of `GatedSqlite` waits at: tests open it once the callers overlap. */
let reads = gate()

// An adapter whose reads wait at a gate, so that callers overlap (the database is still real).
class GatedSqlite extends SqliteConnection {
  protected override async execute(query: Parameters<SqliteConnection['execute']>[0]) {
    await reads.opened
    return super.execute(query)
  }
}

describe('aborting', () => {
  beforeEach(() => {
    reads = gate()
  })

  it('one caller aborting leaves the others sharing its query unharmed', async () => {
    const conn = new GatedSqlite('slow', { filename: ':memory:' })
    const a = conn.query('select 1 as one', { signal: AbortSignal.timeout(5) })
    const b = conn.query('select 1 as one')
    await expect(a).rejects.toMatchObject({ name: 'TimeoutError' })
    reads.open()
    expect((await b).get(0)).toEqual({ one: 1 })
    await conn.close()
  })

  it('stops waiting as soon as the signal aborts', async () => {
    const conn = new GatedSqlite('slow', { filename: ':memory:' })
    const controller = new AbortController()
    const p = conn.query('select 2 as two', { cache: false, signal: controller.signal })
    controller.abort(new Error('user left'))
    await expect(p).rejects.toThrow('user left')
    reads.open()
    await conn.close()
  })
})

describe('bounded retries', () => {
  it('gives up after retry.maxDuration even with attempts left', async () => {
    const conn = open({ timeout: 0, retry: { maxAttempts: 1000, initialDelay: 10, maxDelay: 20, maxDuration: 300 } })
    await conn.query('create table t (x)', { cache: false })
    const locker = lockDatabase('test.db')
    try {
      const err = await conn.query('select x from t', { cache: false }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(QueryError)
      expect((err as QueryError).code).toBe('CONNECTION_FAILED')
      expect((err as Error).message).toContain('retry.maxDuration')
    } finally {
      locker.close()
      await conn.close()
    }
  })
})

describe('resets and close', () => {
  it('a query racing close() does not reopen the database', async () => {
    const conn = open()
    await conn.ping()
    const racing = conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    await conn.close()
    await racing
    expect(() => conn.raw).toThrow(ConnectionClosedError)
  })
})

describe('results', () => {
  it('indexCol keeps every column when names repeat', async () => {
    const conn = open({ filename: ':memory:' })
    const t = await conn.query('select 1 as id, 2 as x, 3 as id', { indexCol: 'x' })
    expect(t.schema.fields.map((f) => f.name)).toEqual(['x', 'id', 'id'])
    expect([0, 1, 2].map((j) => t.getChildAt(j)!.get(0))).toEqual([2, 1, 3])
    await conn.close()
  })

  it('every chunk of a stream has the types of the first', async () => {
    const conn = open({ filename: ':memory:' })
    const types: string[] = []
    const query = 'with recursive n(i) as (select 1 union all select i + 1 from n where i < 4) select i * 2 as v from n'
    for await (const chunk of conn.stream(query, { chunkSize: 2 })) types.push(chunk.schema.fields[0]!.type)
    expect(types).toEqual(['int64', 'int64'])
    await conn.close()
  })
})

describe('secrets files that go bad', () => {
  it('still notices a change after the file was malformed for a while', async () => {
    box.write('project/.sqlconn/secrets.toml', '[connections.db]\ntype = "sqlite"\nfilename = "one.db"\n')
    const conn = (await connection('db')) as SqliteConnection
    expect(conn.filename).toBe(path.join(process.cwd(), 'one.db'))
    box.write('project/.sqlconn/secrets.toml', '[connections.db]\ntype = "sqlite"\nfilename = "two.db\n')
    await expect(connection('db')).rejects.toBeInstanceOf(SecretsFileError)
    box.write('project/.sqlconn/secrets.toml', '[connections.db]\ntype = "sqlite"\nfilename = "two.db"\n')
    expect(await connection('db')).toBe(conn)
    expect(conn.filename).toBe(path.join(process.cwd(), 'two.db'))
  })
})

describe('cache settings', () => {
  it('rejects a bad Redis URL without printing its password', async () => {
    const conn = open({ filename: ':memory:', cache: { url: 'redis://:hunter2pw@localhost:99999' } })
    const err = await conn.query('select 1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).not.toContain('hunter2pw')
    await conn.close()
  })
})
