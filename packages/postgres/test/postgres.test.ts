import { inspect } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import { ParameterError, QueryError } from '@sqlconn/core'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { admin, open, TEST_URL, terminate, useSchema } from './helpers.js'

const schema = useSchema()

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

/** Waits until `check` holds, polling the database (no timing is asserted). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('condition never held')
}

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
    const running = conn.query('select 1 as ok from pg_sleep(0.2)', { cache: false })
    await until(async () => {
      const rows = await admin(`select 1 from pg_stat_activity where application_name = $1 and state = 'active'`, [app])
      return rows.length > 0
    })
    await terminate(app)
    expect((await running).get(0)).toEqual({ ok: 1 })
    expect(retries.length).toBe(1)
    await conn.close()
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
