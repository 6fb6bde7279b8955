import { QueryError } from '@sqlconn/core'
import { describe, expect, it } from 'vitest'
import { urlFor, useDatabase } from './helpers.js'

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
