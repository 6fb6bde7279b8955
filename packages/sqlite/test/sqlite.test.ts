import { existsSync } from 'node:fs'
import path from 'node:path'
import { ConnectionError, type OptionSpec, ParameterError, QueryError } from '@sqlconn/core'
import { recordEvents } from '@sqlconn/core/testing'
import { Table, tableFromIPC } from 'apache-arrow'
import type Database from 'better-sqlite3'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { filenameFromUrl, SqliteConnection } from '../src/index.js'
import { lockDatabase, useSandbox } from './helpers.js'

useSandbox()

function open(options: Record<string, unknown> = {}): SqliteConnection {
  return new SqliteConnection('test', { filename: 'test.db', retry: { initialDelay: 5, maxDelay: 20 }, ...options })
}

async function seed(conn: SqliteConnection): Promise<void> {
  conn.raw.exec(`
    create table things (
      id integer primary key, name text, price real, photo blob, born date, seen datetime,
      ok boolean, doc json, amount decimal(10,2), code varchar(8), extra
    );
    insert into things values
      (1, 'one', 1.25, x'00ff10', '2024-02-29', '2024-02-29 13:14:15', 1, '{"a":[1,2]}', 10.5, 'A1', 'x'),
      (2, null, null, null, null, null, 0, null, null, null, 3);
  `)
}

describe('SQLite URLs and paths', () => {
  it('reads sqlite:///relative paths from the working directory', () => {
    expect(filenameFromUrl('sqlite:///data/app.db', '/srv/app')).toBe('/srv/app/data/app.db')
  })

  it('reads sqlite://// as an absolute path', () => {
    expect(filenameFromUrl('sqlite:////var/db/app.db', '/srv/app')).toBe('/var/db/app.db')
  })

  it('reads sqlite:// and sqlite:///:memory: as an in-memory database', () => {
    expect(filenameFromUrl('sqlite://')).toBe(':memory:')
    expect(filenameFromUrl('sqlite:///:memory:')).toBe(':memory:')
  })

  it('rejects a URL that is not sqlite, naming the forms it takes', () => {
    expect(() => filenameFromUrl('postgres://x/y')).toThrow(/sqlite:\/\/\/relative\/path\.db/)
  })

  it('creates a relative filename in the working directory', async () => {
    const conn = open({ filename: 'here.db' })
    await conn.ping()
    expect(existsSync(path.join(process.cwd(), 'here.db'))).toBe(true)
    await conn.close()
  })

  it('opens :memory: databases', async () => {
    const conn = open({ filename: ':memory:' })
    const t = await conn.query('select 40 + 2 as answer', { cache: false })
    expect(t.get(0)).toEqual({ answer: 42 })
    await conn.close()
  })
})

describe('SQLite options', () => {
  it('refuses writes on a readonly connection, as a SQL error that is not retried', async () => {
    const writer = open()
    await writer.ping()
    await writer.close()
    const conn = open({ readonly: true })
    const err = await conn.query('create table t (x)', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(QueryError)
    expect((err as QueryError).code).toBe('QUERY_FAILED')
    expect((err as QueryError).driverCode).toBe('SQLITE_READONLY')
    await conn.close()
  })

  it('fails to open a missing file with fileMustExist, naming the connection', async () => {
    const conn = open({ filename: 'missing.db', fileMustExist: true })
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect((err as ConnectionError).code).toBe('CONNECTION_FAILED')
    expect((err as Error).message).toContain('"test"')
    expect(existsSync('missing.db')).toBe(false)
  })

  it('reads integers as bigint with safeIntegers', async () => {
    const conn = open({ safeIntegers: true })
    const t = await conn.query('select 9007199254740993 as big, 1 as small', { cache: false })
    expect(t.get(0)).toEqual({ big: 9007199254740993n, small: 1n })
    expect(t.schema.fields[0]!.type).toBe('int64')
    await conn.close()
  })

  it('runs pragmas when the database opens', async () => {
    const conn = open({ pragmas: { journal_mode: 'wal' } })
    const t = await conn.query('pragma journal_mode', { cache: false })
    expect(t.get(0)).toEqual({ journal_mode: 'wal' })
    await conn.close()
  })
})

describe('SQLite results', () => {
  it('types columns from their declared types and keeps the driver values', async () => {
    const conn = open()
    await seed(conn)
    const t = await conn.query('select * from things order by id', { cache: false })
    expect(t.schema.fields.map((f) => [f.name, f.type, f.dbType])).toEqual([
      ['id', 'int64', 'INTEGER'],
      ['name', 'utf8', 'TEXT'],
      ['price', 'float64', 'REAL'],
      ['photo', 'binary', 'BLOB'],
      ['born', 'date', 'date'],
      ['seen', 'timestamp', 'datetime'],
      ['ok', 'bool', 'boolean'],
      ['doc', 'json', 'json'],
      ['amount', 'decimal', 'decimal(10,2)'],
      ['code', 'utf8', 'varchar(8)'],
      ['extra', 'unknown', undefined],
    ])
    expect(t.get(0)).toEqual({
      id: 1,
      name: 'one',
      price: 1.25,
      photo: Buffer.from([0, 255, 16]),
      born: '2024-02-29',
      seen: '2024-02-29 13:14:15',
      ok: 1,
      doc: '{"a":[1,2]}',
      amount: 10.5,
      code: 'A1',
      extra: 'x',
    })
    expect(t.get(1)).toMatchObject({ name: null, photo: null, ok: 0, extra: 3 })
    await conn.close()
  })

  it('infers the type of expression columns from their values', async () => {
    const conn = open()
    const t = await conn.query("select 1 as i, 1.5 as f, 'x' as s, x'01' as b, null as n", { cache: false })
    expect(t.schema.fields.map((f) => f.type)).toEqual(['int64', 'float64', 'utf8', 'binary', 'null'])
    await conn.close()
  })

  it('converts to Arrow with each column typed', async () => {
    const conn = open()
    await seed(conn)
    const arrow = (await conn.query('select id, name, price, photo, seen, ok from things order by id')).toArrow()
    expect(arrow.numRows).toBe(2)
    expect(arrow.schema.fields.map((f) => String(f.type))).toEqual([
      'Int64',
      'Utf8',
      'Float64',
      'Binary',
      'Timestamp<MILLISECOND>',
      'Bool',
    ])
    expect(arrow.getChild('seen')!.get(0)).toBe(Date.UTC(2024, 1, 29, 13, 14, 15))
    expect(arrow.getChild('ok')!.get(1)).toBe(false)
    await conn.close()
  })

  it('gives the same Arrow through toArrow(), IPC bytes and streamArrow(), every declared type included', async () => {
    const conn = open()
    await seed(conn)
    const sqlText = 'select * from things order by id'
    const direct = (await conn.query(sqlText, { cache: false })).toArrow()
    const fromIpc = tableFromIPC((await conn.query(sqlText, { cache: false })).toArrowIPC({ format: 'file' }))
    const batches = []
    for await (const batch of conn.streamArrow(sqlText, { batchSize: 1 })) batches.push(batch)
    const streamed = new Table(batches)
    expect(direct.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
      'id: Int64',
      'name: Utf8',
      'price: Float64',
      'photo: Binary',
      'born: Date64<MILLISECOND>',
      'seen: Timestamp<MILLISECOND>',
      'ok: Bool',
      'doc: Utf8',
      'amount: Decimal[10e+2]',
      'code: Utf8',
      'extra: Utf8',
    ])
    for (const other of [fromIpc, streamed]) {
      expect(other.schema.fields.map((f) => String(f.type))).toEqual(direct.schema.fields.map((f) => String(f.type)))
      expect(other.toArray().map((r) => r.toJSON())).toEqual(direct.toArray().map((r) => r.toJSON()))
    }
    await conn.close()
  })

  it("fails a stream with ARROW_TYPE_MISMATCH when a later batch does not fit the first one's types", async () => {
    const conn = open()
    // An expression column: integers in the first batch, text in the second (SQLite allows it).
    const sqlText = "select case when value < 2 then value else 'text' end as v from json_each('[0,1,2,3]')"
    const read = async () => {
      for await (const _ of conn.streamArrow(sqlText, { batchSize: 2 })) {
      }
    }
    await expect(read()).rejects.toMatchObject({ code: 'ARROW_TYPE_MISMATCH', message: expect.stringContaining('"v"') })
    await conn.close()
  })

  it('puts indexCol first and records it as the index', async () => {
    const conn = open()
    await seed(conn)
    const t = await conn.query('select id, name from things', { indexCol: 'name' })
    expect(t.schema.fields.map((f) => f.name)).toEqual(['name', 'id'])
    expect(t.schema.metadata.get('index')).toBe('name')
    await expect(conn.query('select id from things', { indexCol: 'nope' })).rejects.toBeInstanceOf(ParameterError)
    await conn.close()
  })

  it('binds booleans and Dates the way SQLite stores them', async () => {
    const conn = open()
    const t = await conn.query('select :flag as flag, :when as at', {
      params: { flag: true, when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) },
      cache: false,
    })
    expect(t.get(0)).toEqual({ flag: 1, at: '2024-01-02T03:04:05.000Z' })
    await conn.close()
  })

  it('names a :name placeholder that has no value', async () => {
    const conn = open()
    const err = await conn.query('select :a as a, :b as b', { params: { a: 1 } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ParameterError)
    expect((err as ParameterError).code).toBe('MISSING_PARAMETER')
    expect((err as ParameterError).parameter).toBe('b')
    await conn.close()
  })

  it('rejects params that are neither an array nor a plain object', async () => {
    const conn = open()
    const err = await conn.query('select ?', { params: new Date() as never }).catch((e: unknown) => e)
    expect((err as ParameterError).code).toBe('INVALID_PARAMETERS')
    await conn.close()
  })

  it('reports too few positional params as a SQL error', async () => {
    const conn = open()
    const err = await conn.query('select ? as a, ? as b', { params: [1], cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(QueryError)
    expect((err as Error).message).toContain('select ? as a, ? as b')
    await conn.close()
  })
})

describe('SQLite with Kysely', () => {
  it('shares the handle: writes and transactions through db are seen by query()', async () => {
    const conn = open()
    await conn.db.schema.createTable('pets').addColumn('name', 'text').execute()
    await conn.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('pets' as never)
        .values({ name: 'Rex' } as never)
        .execute()
    })
    const t = await conn.query(sql`select name from pets where name = ${'Rex'}`, { cache: false })
    expect(t.toArray()).toEqual([{ name: 'Rex' }])
    await conn.close()
  })
})

describe('SQLite caching and concurrency', () => {
  it('keeps the cached results of two in-memory databases apart', async () => {
    const a = open({ filename: ':memory:' })
    const b = open({ filename: ':memory:' })
    a.raw.exec("create table t (v text); insert into t values ('from a')")
    b.raw.exec("create table t (v text); insert into t values ('from b')")
    expect((await a.query('select v from t')).get(0)).toEqual({ v: 'from a' })
    expect((await b.query('select v from t')).get(0)).toEqual({ v: 'from b' })
    await a.close()
    await b.close()
  })

  it('sees a renamed column through a statement it prepared before', async () => {
    const conn = open()
    conn.raw.exec('create table r (old_name integer); insert into r values (1)')
    expect((await conn.query('select * from r', { cache: false })).get(0)).toEqual({ old_name: 1 })
    await conn.db.schema.alterTable('r').renameColumn('old_name', 'new_name').execute()
    expect((await conn.query('select * from r', { cache: false })).get(0)).toEqual({ new_name: 1 })
    await conn.close()
  })

  it('runs a query once for concurrent identical calls (counted by the database)', async () => {
    const conn = open()
    let calls = 0
    conn.raw.function('tick', () => ++calls)
    const tables = await Promise.all(Array.from({ length: 10 }, () => conn.query('select tick() as n')))
    expect(calls).toBe(1)
    expect(new Set(tables.map((t) => t.get(0)!.n))).toEqual(new Set([1]))
    await conn.close()
  })

  it('streams lazily: leaving after the first chunk reads only that chunk', async () => {
    const conn = open()
    let produced = 0
    conn.raw.function('tick', () => ++produced)
    const query = `with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000) select i, tick() as t from n`
    for await (const chunk of conn.stream(query, { chunkSize: 100 })) {
      expect(chunk.numRows).toBe(100)
      break
    }
    expect(produced).toBeLessThan(1000)
    const t = await conn.query('select 1 as ok', { cache: false })
    expect(t.get(0)).toEqual({ ok: 1 })
    await conn.close()
  })
})

describe('SQLite reliability', () => {
  it('retries a read that hit SQLITE_BUSY once the lock is released', async () => {
    const conn = open({ timeout: 0 })
    await conn.query('create table t (x)', { cache: false })
    await conn.db
      .insertInto('t' as never)
      .values({ x: 1 } as never)
      .execute()
    const locker = lockDatabase('test.db')
    const events = recordEvents(conn)
    conn.on('retry', () => locker.release())
    try {
      const t = await conn.query('select x from t', { cache: false })
      expect(t.toArray()).toEqual([{ x: 1 }])
      expect(events.retry.map((e) => e.attempt)).toEqual([1])
    } finally {
      locker.close()
      await conn.close()
    }
  })

  it('gives up after the retry bound with a CONNECTION_FAILED error', async () => {
    const conn = open({ timeout: 0, retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 2 } })
    await conn.query('create table t (x)', { cache: false })
    const locker = lockDatabase('test.db')
    const events = recordEvents(conn)
    try {
      const err = await conn.query('select x from t', { cache: false }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(QueryError)
      expect((err as QueryError).code).toBe('CONNECTION_FAILED')
      expect((err as QueryError).driverCode).toBe('SQLITE_BUSY')
      expect(events.retry.map((e) => e.attempt)).toEqual([1, 2])
    } finally {
      locker.close()
      await conn.close()
    }
  })

  it('takes retry bounds from the secrets section', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs')
    mkdirSync('.sqlconn')
    writeFileSync('.sqlconn/secrets.toml', '[connections.test]\nretry = { maxAttempts = 0 }\n')
    const conn = new SqliteConnection('test', { filename: 'test.db', timeout: 0 })
    await conn.query('create table t (x)', { cache: false })
    const locker = lockDatabase('test.db')
    const events = recordEvents(conn)
    try {
      await expect(conn.query('select x from t', { cache: false })).rejects.toMatchObject({ code: 'CONNECTION_FAILED' })
      expect(events.retry.map((e) => e.attempt)).toEqual([])
    } finally {
      locker.close()
      await conn.close()
    }
  })

  it('closes with await using', async () => {
    let handle: Database.Database
    {
      await using conn = open()
      await conn.ping()
      handle = conn.raw
    }
    expect(handle.open).toBe(false)
  })
})

describe('secrets stay secret', () => {
  // A third-party style adapter (think SQLCipher) with a secret option, built the documented way.
  class KeyedSqlite extends SqliteConnection {
    static override readonly typeName = 'keyed-sqlite'
    static override readonly options: readonly OptionSpec[] = [
      ...SqliteConnection.options,
      { name: 'key', type: 'string', secret: true, description: 'Encryption key.' },
    ]
  }

  it('masks a secret option in config, toString and JSON', () => {
    const conn = new KeyedSqlite('vault', { filename: ':memory:', key: 'hunter2-s3cret' })
    expect(String(conn)).not.toContain('hunter2-s3cret')
    expect(String(conn.config)).toContain('key')
    expect(JSON.stringify(conn.config)).not.toContain('hunter2-s3cret')
    expect(conn.config.get('key')).toBe('hunter2-s3cret')
  })

  it('keeps a secret out of error messages, even when the SQL holds it', async () => {
    const conn = new KeyedSqlite('vault', { filename: ':memory:', key: 'hunter2-s3cret' })
    const err = await conn.query("selec * from t where k = 'hunter2-s3cret'", { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(QueryError)
    expect((err as Error).message).not.toContain('hunter2-s3cret')
    expect((err as Error).message).toContain('****')
    await conn.close()
  })

  it('masks the password of a URL wherever a config is printed', () => {
    class UrlSqlite extends SqliteConnection {
      static override readonly options: readonly OptionSpec[] = [
        ...SqliteConnection.options,
        { name: 'mirror', type: 'string', description: 'A replica URL.' },
      ]
    }
    const conn = new UrlSqlite('m', { filename: ':memory:', mirror: 'https://user:pa55word@replica.example/db' })
    expect(String(conn)).toContain('https://user:****@replica.example/db')
    expect(String(conn)).not.toContain('pa55word')
  })
})
