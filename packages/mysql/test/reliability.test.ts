import { QueryError } from '@sqlconn/core'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { until, urlFor, useDatabase, within } from './helpers.js'

const database = useDatabase()

describe('MySQL stale connections and concurrency', () => {
  it('answers the next query() after every connection of the pool was KILLed', async () => {
    const conn = database.open({ connectionLimit: 4 })
    await Promise.all(Array.from({ length: 4 }, () => conn.query('select sleep(0.05) as s', { cache: false })))
    expect(await database.killAll()).toBeGreaterThanOrEqual(1)
    const t = await conn.query('select 42 as answer', { cache: false })
    expect(t.get(0)).toEqual({ answer: 42 })
    await conn.close()
  })

  it('resets the pool and retries a read that met a connection KILLed while the app was busy', async () => {
    const conn = database.open()
    await conn.query('select 1', { cache: false })
    const events: string[] = []
    conn.on('retry', ({ error }) => events.push(`retry ${(error as { code?: string }).code}`))
    conn.on('reset', ({ reason }) => events.push(`reset ${reason}`))
    await database.killAllWhileBusy()
    const t = await conn.query('select 42 as answer', { cache: false })
    expect(t.get(0)).toEqual({ answer: 42 })
    expect(events).toContain('reset transient error')
    expect(events.some((e) => e.startsWith('retry'))).toBe(true)
    await conn.close()
  })

  it('answers 20 concurrent queries on a pool of 5 connections', async () => {
    const conn = database.open({ connectionLimit: 5 })
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        conn.query('select ? as i, connection_id() as cid, sleep(0.02) as s', { params: [i], cache: false }),
      ),
    )
    expect(results.map((t) => t.get(0)!.i)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    const connections = new Set(results.map((t) => t.get(0)!.cid))
    expect(connections.size).toBeLessThanOrEqual(5)
    expect(connections.size).toBeGreaterThan(1)
    await conn.close()
  })

  it('reports a SQL error at once, unretried, with the SQL and without the password', async () => {
    const user = `sqlconn_u${Math.random().toString(36).slice(2, 8)}`
    const password = 'Sup3r-s3cret-pw'
    await database.admin(`create user '${user}'@'%' identified by '${password}'`)
    await database.admin(`grant all on ${database.name}.* to '${user}'@'%'`)
    try {
      const u = new URL(database.url)
      u.username = user
      u.password = password
      const conn = database.open({ uri: urlFor(database.name, u.toString()) })
      expect((await conn.query('select current_user() as me', { cache: false })).get(0)!.me).toContain(user)
      const retries: unknown[] = []
      conn.on('retry', (e) => retries.push(e))
      const sql = `select * from no_such_table where note = '${password}'`
      const err = await conn.query(sql, { cache: false }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(QueryError)
      expect((err as QueryError).code).toBe('QUERY_FAILED')
      expect((err as QueryError).driverCode).toBe('ER_NO_SUCH_TABLE')
      expect((err as Error).message).toContain("select * from no_such_table where note = '****'")
      expect(retries).toEqual([])
      const everything = `${(err as Error).message} ${(err as Error).stack} ${String(conn)} ${JSON.stringify(conn.config)}`
      expect(everything).not.toContain(password)
      await conn.close()
    } finally {
      await database.admin(`drop user '${user}'@'%'`)
    }
  })

  it('does not retry a wrong password', async () => {
    const u = new URL(database.url)
    u.password = 'wrong-password'
    const conn = database.open({ uri: u.toString() })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('select 1', { cache: false }).catch((e: unknown) => e)
    expect((err as QueryError).driverCode).toBe('ER_ACCESS_DENIED_ERROR')
    expect((err as Error).message).not.toContain('wrong-password')
    expect(retries).toEqual([])
    await conn.close()
  })
})

describe('MySQL resets', () => {
  it('a query waiting for a connection during a reset still completes, without a retry', async () => {
    const conn = database.open({ connectionLimit: 1 })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const pool = conn.raw
    const slow = conn.query('select sleep(0.3) as slow', { cache: false })
    const enqueued = new Promise((resolve) => pool.once('enqueue', resolve))
    const queued = conn.query('select 2 as queued', { cache: false })
    await within(enqueued, 'a query waiting for the connection')
    const reset = conn.reset()
    expect((await within(slow, 'the slow query')).get(0)).toEqual({ slow: 0 })
    expect((await within(queued, 'the waiting query')).get(0)).toEqual({ queued: 2 })
    await within(reset, 'reset()')
    expect(retries).toEqual([])
    await conn.close()
  })

  it('a Kysely query waiting for a connection during a reset still completes', async () => {
    const conn = database.open({ connectionLimit: 1 })
    const pool = conn.raw
    const slow = conn.query('select sleep(0.3) as slow', { cache: false })
    const enqueued = new Promise((resolve) => pool.once('enqueue', resolve))
    const queued = sql<{ queued: number }>`select 2 as queued`.execute(conn.db)
    await within(enqueued, 'a Kysely query waiting for the connection')
    const reset = conn.reset()
    expect((await within(queued, 'the waiting Kysely query')).rows).toEqual([{ queued: 2 }])
    await within(Promise.all([slow, reset]), 'the slow query and reset()')
    await conn.close()
  })

  it('a transaction open during a reset can still commit', async () => {
    const conn = database.open()
    await conn.query('create table ledger (id int primary key)', { cache: false })
    let inserted = false
    let proceed!: () => void
    const gate = new Promise<void>((resolve) => {
      proceed = resolve
    })
    const transaction = conn.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('ledger' as never)
        .values({ id: 1 } as never)
        .execute()
      inserted = true
      await gate
      await trx
        .insertInto('ledger' as never)
        .values({ id: 2 } as never)
        .execute()
    })
    await until(() => inserted, 'the first insert')
    const reset = conn.reset()
    proceed()
    await within(transaction, 'the transaction')
    await within(reset, 'reset()')
    expect((await conn.query('select count(*) as n from ledger', { cache: false })).get(0)).toEqual({ n: 2 })
    await conn.close()
  })

  it('a query after a reset runs at once, while the old pool finishes its slow query', async () => {
    const conn = database.open({ connectionLimit: 1 })
    let slowDone = false
    const slow = conn.query('select sleep(1) as slow', { cache: false }).then((t) => {
      slowDone = true
      return t
    })
    await until(async () => {
      const rows = (await database.admin(
        `select 1 from information_schema.processlist where db = ? and info like 'select sleep(1)%'`,
        [database.name],
      )) as unknown[]
      return rows.length > 0
    }, 'the slow query running')
    const reset = conn.reset()
    expect((await conn.query('select 2 as fast', { cache: false })).get(0)).toEqual({ fast: 2 })
    expect(slowDone).toBe(false)
    expect((await slow).get(0)).toEqual({ slow: 0 })
    await reset
    await conn.close()
  })
})
