import { randomUUID } from 'node:crypto'
import { createClient } from '@keyv/redis'
import { closeAll, connection, type SqlConnection } from '@sqlconn/core'
import type { Generated } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.js'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = createClient({ url: REDIS_URL })
useSandbox()

beforeAll(async () => {
  await redis.connect()
})

afterAll(async () => {
  await closeAll()
  const keys = await redis.keys('sqlconn-tags-*')
  if (keys.length) await redis.del(keys)
  redis.destroy()
})

interface Items {
  items: { id: Generated<number>; owner: string }
}

/** A file database with `items` rows owned by alice (2) and bob (1), cached as `cache` says. */
async function open(cache: Record<string, unknown>): Promise<SqlConnection<unknown, Items>> {
  const conn = await connection<SqlConnection<unknown, Items>>('sqlite', {
    filename: `${randomUUID()}.db`,
    cache: { maxEntries: 50, ...cache },
  })
  await conn.query('create table items (id integer primary key, owner text)', { cache: false })
  await conn.query("insert into items (owner) values ('alice'), ('alice'), ('bob')", { cache: false })
  return conn
}

const count = async (conn: SqlConnection<unknown, Items>, options: Record<string, unknown> = {}) =>
  Number((await conn.query('select count(*) as n from items', { tags: ['items'], ...options })).get(0)!.n)

describe('tags through a connection', () => {
  it('invalidate({ tags }) makes the next read of a tagged result run the query', async () => {
    const conn = await open({})
    expect(await count(conn)).toBe(3)
    await conn.query("insert into items (owner) values ('carol')", { cache: false })
    expect(await count(conn)).toBe(3) // still cached
    await conn.invalidate({ tags: ['items'] })
    expect(await count(conn)).toBe(4)
  })

  it('with invalidateOnWrite, an insert, update or delete through conn.db invalidates the table’s tag', async () => {
    const conn = await open({ invalidateOnWrite: true })
    expect(await count(conn)).toBe(3)
    await conn.db.insertInto('items').values({ owner: 'carol' }).execute()
    expect(await count(conn)).toBe(4)
    await conn.db.deleteFrom('items').where('owner', '=', 'bob').execute()
    expect(await count(conn)).toBe(3)
    const owners = async () =>
      (await conn.query('select distinct owner from items order by owner', { tags: ['items'] })).toArray()
    expect(await owners()).toEqual([{ owner: 'alice' }, { owner: 'carol' }])
    await conn.db.updateTable('items').set({ owner: 'dave' }).where('owner', '=', 'carol').execute()
    expect(await owners()).toEqual([{ owner: 'alice' }, { owner: 'dave' }])
  })

  it('without invalidateOnWrite, a write through conn.db leaves cached results alone', async () => {
    const conn = await open({})
    expect(await count(conn)).toBe(3)
    await conn.db.insertInto('items').values({ owner: 'carol' }).execute()
    expect(await count(conn)).toBe(3)
  })
})

describe('scopes through a connection', () => {
  it('one user never gets another user’s cached result', async () => {
    const conn = await open({})
    const mine = async (user: string) =>
      (await conn.query('select count(*) as n from items where owner = :user', { params: { user }, scope: user })).get(
        0,
      )!.n
    expect(await mine('alice')).toBe(2)
    expect(await mine('bob')).toBe(1)
    // The same SQL and parameters under two scopes are two entries.
    const sql = 'select count(*) as n from items'
    const a = await conn.query(sql, { scope: 'alice' })
    await conn.query("insert into items (owner) values ('x')", { cache: false })
    const b = await conn.query(sql, { scope: 'bob' })
    expect(a.get(0)!.n).toBe(3)
    expect(b.get(0)!.n).toBe(4)
  })
})

describe('tags and scopes in Redis', () => {
  it('never appear in clear in a key', async () => {
    const ns = `sqlconn-tags-${randomUUID().slice(0, 8)}`
    const conn = await open({ url: REDIS_URL, namespace: ns })
    await conn.query('select count(*) as n from items', { tags: ['customer-invoices'], scope: 'alice@example.com' })
    const keys = await redis.keys(`${ns}:*`)
    expect(keys.length).toBe(2) // the result and its tag's set
    for (const key of keys) expect(key).not.toMatch(/alice|example|invoices|customer/)
    const members = await redis.sMembers(keys.find((k) => k.includes(':tags:'))!)
    for (const m of members) expect(m).not.toMatch(/alice|invoices/)
  })
})
