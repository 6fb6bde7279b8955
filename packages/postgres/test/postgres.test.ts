import v8 from 'node:v8'
import vm from 'node:vm'
import { ParameterError, QueryError } from '@sqlconn/core'
import { recordEvents } from '@sqlconn/core/testing'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { admin, advisoryGate, open, terminate, until, useSchema } from './helpers.js'

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
})

describe('PostgreSQL errors', () => {
  it('never retries constraint and permission errors', async () => {
    const conn = open(schema.name)
    const events = recordEvents(conn)
    await conn.query('create table uniq (id int primary key)', { cache: false })
    await conn.query('insert into uniq values (1)', { cache: false })
    const dup = await conn.query('insert into uniq values (1)', { cache: false }).catch((e) => e)
    expect((dup as QueryError).driverCode).toBe('23505')
    expect(events.retry).toEqual([])
    await conn.close()
  })
})

describe('PostgreSQL stale connections', () => {
  it('retries a read whose backend was terminated while it ran', async () => {
    const conn = open(schema.name)
    const app = conn.config.get<string>('application_name')!
    const events = recordEvents(conn)
    // The read waits at a gate (an advisory lock another session holds), so it is still running when
    // its backend is terminated however slow the machine is; the retry finds the gate open.
    const gate = await advisoryGate()
    try {
      const running = conn.query(gate.select('1 as ok'), { cache: false })
      await until(async () => (await gate.waiting()) === 1, 'the read at the gate')
      await terminate(app)
      await gate.open()
      expect((await running).get(0)).toEqual({ ok: 1 })
      expect(events.retry.length).toBe(1)
    } finally {
      await gate.close()
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
  it('keeps the pool, and the queries running on it, when one backend is terminated', async () => {
    const conn = open(schema.name, { max: 2 })
    const app = conn.config.get<string>('application_name')!
    const events = recordEvents(conn)
    const pool = conn.raw
    const gate = await advisoryGate()
    try {
      const victim = conn.query(gate.select(`'victim' as who`), { cache: false })
      const bystander = conn.query(gate.select(`'bystander' as who`), { cache: false })
      await until(async () => (await gate.waiting()) === 2, 'both reads at the gate')
      const [{ pid }] = (await admin<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = $1 and query like '%victim%'`,
        [app],
      )) as [{ pid: number }]
      await admin('select pg_terminate_backend($1, 5000)', [pid])
      await gate.open()
      expect((await victim).get(0)).toEqual({ who: 'victim' })
      expect((await bystander).get(0)).toEqual({ who: 'bystander' })
      expect(events.retry.length).toBe(1)
      expect(events.reset).toEqual([])
      expect(conn.raw).toBe(pool)
    } finally {
      await gate.close()
      await conn.close()
    }
  })

  it('fails at once, unretried, when every client stays busy past connectionTimeoutMillis', async () => {
    const conn = open(schema.name, { max: 1, connectionTimeoutMillis: 100 })
    const events = recordEvents(conn)
    const gate = await advisoryGate()
    try {
      const slow = conn.query(gate.select('1 as slow'), { cache: false })
      await until(async () => (await gate.waiting()) === 1, 'the slow read holding the client')
      const err = await conn.query('select 2', { cache: false }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(QueryError)
      expect((err as Error).message).toContain('timeout exceeded when trying to connect')
      expect(events.retry).toEqual([])
      await gate.open()
      await slow
    } finally {
      await gate.close()
      await conn.close()
    }
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
