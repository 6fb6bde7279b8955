import { inspect } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import { ParameterError, QueryError } from '@sqlconn/core'
import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { admin, breakIdleClients, open, TEST_URL, terminate, until, useSchema, within } from './helpers.js'

const schema = useSchema()

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

describe('PostgreSQL queries', () => {
  it('binds $1-style params', async () => {
    const conn = open(schema.name)
    const t = await conn.query('select $1::int + $2::int as sum, $3::text as label', { params: [40, 2, 'x'] })
    expect(t.get(0)).toEqual({ sum: 42, label: 'x' })
    await conn.close()
  })

  it('binds :name params, leaving ::casts alone and reusing a name', async () => {
    const conn = open(schema.name)
    const t = await conn.query(`select :n::int * :n::int as square, ':n' as lit, :when::date as day`, {
      params: { n: 7, when: '2024-02-29' },
      cache: false,
    })
    expect(t.toArray()).toEqual([{ square: 49, lit: ':n', day: new Date(2024, 1, 29) }])
    await conn.close()
  })

  it('names a :name placeholder that has no value', async () => {
    const conn = open(schema.name)
    const err = await conn.query('select :a as a', { params: {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ParameterError)
    expect((err as ParameterError).parameter).toBe('a')
    await conn.close()
  })

  it('runs writes through query() and reads them back, with Kysely on the same pool', async () => {
    const conn = open(schema.name)
    await conn.query('create table pets (id serial primary key, name text not null)', { cache: false })
    const inserted = await conn.query(`insert into pets (name) values ('Rex')`, { cache: false })
    expect(inserted.numRows).toBe(0)
    await conn.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('pets' as never)
        .values({ name: 'Tom' } as never)
        .execute()
    })
    const t = await conn.query(sql`select name from pets where name <> ${'nobody'} order by id`, { cache: false })
    expect(t.toArray()).toEqual([{ name: 'Rex' }, { name: 'Tom' }])
    expect(conn.raw.totalCount).toBeGreaterThan(0)
    await conn.close()
  })

  it('reads the last result of a multi-statement string', async () => {
    const conn = open(schema.name)
    const t = await conn.query('select 1 as a; select 2 as b', { cache: false })
    expect(t.toArray()).toEqual([{ b: 2 }])
    await conn.close()
  })

  it('answers 20 concurrent queries on a pool of 5', async () => {
    const conn = open(schema.name, { max: 5 })
    const tables = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        conn.query('select $1::int as i, pg_backend_pid() as pid from pg_sleep(0.02)', { params: [i], cache: false }),
      ),
    )
    expect(tables.map((t) => t.get(0)!.i)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(new Set(tables.map((t) => t.get(0)!.pid)).size).toBeLessThanOrEqual(5)
    expect(conn.raw.totalCount).toBeLessThanOrEqual(5)
    await conn.close()
  })
})

describe('PostgreSQL errors', () => {
  it('reports a syntax error unretried, with the SQL and without the password', async () => {
    const url = new URL(TEST_URL)
    url.password = 'hunter2-pw'
    const conn = open(schema.name, { url: url.toString() })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const err = await conn.query('selec id from pets where id = $1', { params: [1], cache: false }).catch((e) => e)
    expect(err).toBeInstanceOf(QueryError)
    expect((err as QueryError).code).toBe('QUERY_FAILED')
    expect((err as QueryError).driverCode).toBe('42601')
    expect((err as Error).message).toContain('selec id from pets where id = $1')
    expect(retries).toEqual([])
    for (const text of [(err as Error).message, (err as Error).stack, inspect(err, { depth: 5 }), String(conn)]) {
      expect(text).not.toContain('hunter2-pw')
    }
    await conn.close()
  })

  it('never retries constraint and permission errors', async () => {
    const conn = open(schema.name)
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    await conn.query('create table uniq (id int primary key)', { cache: false })
    await conn.query('insert into uniq values (1)', { cache: false })
    const dup = await conn.query('insert into uniq values (1)', { cache: false }).catch((e) => e)
    expect((dup as QueryError).driverCode).toBe('23505')
    expect(retries).toEqual([])
    await conn.close()
  })
})

describe('PostgreSQL stale connections', () => {
  it('answers the next query after every backend of the pool was terminated', async () => {
    const conn = open(schema.name, { max: 3 })
    await Promise.all(
      [1, 2, 3].map((i) => conn.query('select $1::int as i from pg_sleep(0.02)', { params: [i], cache: false })),
    )
    expect(conn.raw.totalCount).toBe(3)
    expect(await terminate(conn.config.get<string>('application_name')!)).toBe(3)
    const t = await conn.query('select 42 as answer', { cache: false })
    expect(t.get(0)).toEqual({ answer: 42 })
    await conn.close()
  })

  it('retries a read whose backend was terminated while it ran', async () => {
    const conn = open(schema.name)
    const app = conn.config.get<string>('application_name')!
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    // The read waits on an advisory lock another session holds, so it is still running when its
    // backend is terminated however slow the machine is; the retry finds the lock released.
    const holder = new pg.Client({ connectionString: TEST_URL })
    await holder.connect()
    try {
      await holder.query('select pg_advisory_lock(4242)')
      const running = conn.query('select 1 as ok from pg_advisory_xact_lock_shared(4242)', { cache: false })
      await until(async () => {
        const rows = await admin(
          `select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
          [app],
        )
        return rows.length > 0
      })
      await terminate(app)
      await holder.query('select pg_advisory_unlock(4242)')
      expect((await running).get(0)).toEqual({ ok: 1 })
      expect(retries.length).toBe(1)
    } finally {
      await holder.end()
      await conn.close()
    }
  })

  it('fails with CONNECTION_FAILED when the server cannot be reached', async () => {
    const conn = open(schema.name, {
      url: 'postgres://postgres@127.0.0.1:1/test',
      retry: { maxAttempts: 1, initialDelay: 1 },
    })
    const err = await conn.query('select 1', { cache: false }).catch((e) => e)
    expect((err as QueryError).code).toBe('CONNECTION_FAILED')
    await conn.close()
  })
})

describe('PostgreSQL resets', () => {
  it('a query waiting for a client during a reset still completes', async () => {
    const conn = open(schema.name, { max: 1 })
    const pool = conn.raw
    const slow = conn.query('select 1 as slow from pg_sleep(0.3)', { cache: false })
    await until(() => pool.totalCount === 1 && pool.idleCount === 0, 'the slow query holding the client')
    const queued = conn.query('select 2 as queued', { cache: false })
    await until(() => pool.waitingCount === 1, 'a query waiting for the client')
    const reset = conn.reset()
    expect((await within(slow, 'the slow query')).get(0)).toEqual({ slow: 1 })
    expect((await within(queued, 'the waiting query')).get(0)).toEqual({ queued: 2 })
    await within(reset, 'reset()')
    expect(pool.totalCount).toBe(0)
    await conn.close()
  })

  it('a Kysely query waiting for a client during a reset still completes', async () => {
    const conn = open(schema.name, { max: 1 })
    const pool = conn.raw
    const slow = conn.query('select 1 as slow from pg_sleep(0.3)', { cache: false })
    await until(() => pool.idleCount === 0 && pool.totalCount === 1, 'the slow query holding the client')
    const queued = sql<{ queued: number }>`select 2 as queued`.execute(conn.db)
    await until(() => pool.waitingCount === 1, 'a query waiting for the client')
    const reset = conn.reset()
    expect((await within(queued, 'the waiting Kysely query')).rows).toEqual([{ queued: 2 }])
    await within(Promise.all([slow, reset]), 'the slow query and reset()')
    await conn.close()
  })

  it('a query after a reset runs at once, while the old pool finishes its slow query', async () => {
    const conn = open(schema.name, { max: 1 })
    const old = conn.raw
    let slowDone = false
    const slow = conn.query('select 1 as slow from pg_sleep(1)', { cache: false }).then((t) => {
      slowDone = true
      return t
    })
    await until(() => old.idleCount === 0 && old.totalCount === 1, 'the slow query holding the client')
    const reset = conn.reset()
    expect((await conn.query('select 2 as fast', { cache: false })).get(0)).toEqual({ fast: 2 })
    expect(slowDone).toBe(false)
    expect((await slow).get(0)).toEqual({ slow: 1 })
    await reset
    await conn.close()
  })

  it('keeps the pool, and the queries running on it, when one backend is terminated', async () => {
    const conn = open(schema.name, { max: 2 })
    const app = conn.config.get<string>('application_name')!
    const resets: string[] = []
    const retries: unknown[] = []
    conn.on('reset', ({ reason }) => resets.push(reason))
    conn.on('retry', (e) => retries.push(e))
    const pool = conn.raw
    const victim = conn.query(`select 'victim' as who from pg_sleep(0.5)`, { cache: false })
    const bystander = conn.query(`select 'bystander' as who from pg_sleep(0.5)`, { cache: false })
    let pid = 0
    await until(async () => {
      const rows = await admin<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = $1 and state = 'active' and query like '%victim%'`,
        [app],
      )
      pid = rows[0]?.pid ?? 0
      return pid !== 0
    }, 'the victim query running')
    await admin('select pg_terminate_backend($1, 5000)', [pid])
    expect((await victim).get(0)).toEqual({ who: 'victim' })
    expect((await bystander).get(0)).toEqual({ who: 'bystander' })
    expect(retries.length).toBe(1)
    expect(resets).toEqual([])
    expect(conn.raw).toBe(pool)
    await conn.close()
  })

  it('replaces the pool when its idle clients turn out dead one after another', async () => {
    const conn = open(schema.name, { max: 5 })
    await Promise.all(Array.from({ length: 5 }, () => conn.query('select pg_sleep(0.05)', { cache: false })))
    const pool = conn.raw
    expect(await breakIdleClients(conn)).toBe(5)
    const resets: string[] = []
    conn.on('reset', ({ reason }) => resets.push(reason))
    expect((await conn.query('select 42 as answer', { cache: false })).get(0)).toEqual({ answer: 42 })
    expect(resets).toEqual(['transient error'])
    expect(conn.raw).not.toBe(pool)
    await conn.close()
  })

  it('fails at once, unretried, when every client stays busy past connectionTimeoutMillis', async () => {
    const conn = open(schema.name, { max: 1, connectionTimeoutMillis: 100 })
    const retries: unknown[] = []
    conn.on('retry', (e) => retries.push(e))
    const slow = conn.query('select 1 as slow from pg_sleep(0.5)', { cache: false })
    await until(() => conn.raw.idleCount === 0 && conn.raw.totalCount === 1, 'the slow query holding the client')
    const err = await conn.query('select 2', { cache: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(QueryError)
    expect((err as Error).message).toContain('timeout exceeded when trying to connect')
    expect(retries).toEqual([])
    await slow
    await conn.close()
  })
})

describe('PostgreSQL streaming', () => {
  it('reads 200,000 rows in chunks while holding only about one chunk', async () => {
    const conn = open(schema.name)
    const query = `select g as id, repeat('x', 200) || g as text from generate_series(1, 200000) g`
    gc()
    const baseline = process.memoryUsage().heapUsed
    let peak = 0
    let rows = 0
    let chunks = 0
    for await (const chunk of conn.stream(query, { chunkSize: 5000 })) {
      rows += chunk.numRows
      if (++chunks % 5 === 0) {
        gc()
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline)
      }
    }
    expect(rows).toBe(200_000)
    expect(chunks).toBe(40)
    // The whole result would hold 200,000 strings of 200+ characters: over 40 MB.
    expect(peak).toBeLessThan(12 * 2 ** 20)
    expect(conn.raw.totalCount).toBe(conn.raw.idleCount)
    await conn.close()
  })

  it("streams a Kysely query through conn.db's own .stream()", async () => {
    const conn = open(schema.name)
    const ids: number[] = []
    const query = conn.db.selectNoFrom(sql<number>`generate_series(1, 5)`.as('id'))
    for await (const row of query.stream(2)) ids.push((row as { id: number }).id)
    expect(ids).toEqual([1, 2, 3, 4, 5])
    await conn.close()
  })

  it('gives its client back to the pool when the loop breaks early', async () => {
    const conn = open(schema.name, { max: 1 })
    for await (const chunk of conn.stream('select g from generate_series(1, 200000) g', { chunkSize: 100 })) {
      expect(chunk.numRows).toBe(100)
      break
    }
    expect(conn.raw.idleCount).toBe(conn.raw.totalCount)
    // With a pool of one, this query could not run if the stream still held the client.
    expect((await conn.query('select 1 as ok', { cache: false })).get(0)).toEqual({ ok: 1 })
    await conn.close()
  })

  it('gives its client back when the query fails midway, with the SQL in the error', async () => {
    const conn = open(schema.name, { max: 1 })
    const seen: number[] = []
    const err = await (async () => {
      for await (const chunk of conn.stream('select 10 / (3 - g) as v from generate_series(1, 5) g', {
        chunkSize: 1,
      })) {
        seen.push(chunk.get(0)!.v as number)
      }
    })().catch((e) => e)
    expect(seen).toEqual([5, 10])
    expect((err as QueryError).driverCode).toBe('22012')
    expect((err as Error).message).toContain('generate_series')
    expect(conn.raw.waitingCount).toBe(0)
    expect((await conn.query('select 1 as ok', { cache: false })).get(0)).toEqual({ ok: 1 })
    await conn.close()
  })
})
