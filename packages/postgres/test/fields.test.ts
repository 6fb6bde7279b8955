import type { Field } from '@sqlconn/core'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PostgresConnection } from '../src/index.js'
import { admin, open, useSchema } from './helpers.js'

const schema = useSchema()
let conn: PostgresConnection

beforeAll(async () => {
  await admin(`
    set search_path = ${schema.name};
    create table orders (id int primary key, label text not null, note text, total numeric(12,2) not null,
                         ratio numeric(10), free numeric, customer_id int);
    create table customers (id int primary key, name text not null);
    create table lines (order_id int not null, qty int not null);
    insert into orders values (1, 'a', null, 10.5, 3, 1.25, 7), (2, 'b', 'x', -0.01, null, null, null);
    insert into customers values (7, 'jane');
    insert into lines values (1, 2);
  `)
  conn = open(schema.name)
})

afterAll(async () => {
  await conn?.close()
})

function byName(fields: readonly Field[]): Record<string, Field> {
  return Object.fromEntries(fields.map((f) => [f.name, f]))
}

/** Counts the catalog reads for NOT NULL columns that `conn`'s current pool runs. */
function countCatalogReads(c: PostgresConnection): { readonly count: number } {
  const pool = c.raw
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown
  const counter = { count: 0 }
  ;(pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as pg.QueryConfig).text
    if (text.includes('attnotnull')) counter.count++
    return query(...args)
  }
  return counter
}

describe('PostgreSQL field nullability', () => {
  it('says nullable: false for NOT NULL table columns and true for the others and for expressions', async () => {
    const t = await conn.query('select id, label, note, total, id + 1 as next, upper(label) as up from orders', {
      cache: false,
    })
    const f = byName(t.schema.fields)
    expect([f.id!.nullable, f.label!.nullable, f.total!.nullable]).toEqual([false, false, false])
    expect([f.note!.nullable, f.next!.nullable, f.up!.nullable]).toEqual([true, true, true])
  })

  it('says nullable: true for a NOT NULL column on the outer side of a join that read a null', async () => {
    const t = await conn.query(
      'select o.id, c.name from orders o left join customers c on c.id = o.customer_id order by o.id',
      { cache: false },
    )
    expect(t.getChild('name')!.toArray()).toEqual(['jane', null])
    expect(byName(t.schema.fields).name!.nullable).toBe(true)
    expect(byName(t.schema.fields).id!.nullable).toBe(false)
  })

  it('reads a table’s NOT NULL columns once, shared by concurrent first reads, then from its cache', async () => {
    const fresh = open(schema.name)
    try {
      await fresh.query('select 1', { cache: false })
      const reads = countCatalogReads(fresh)
      const tables = await Promise.all(
        Array.from({ length: 10 }, () => fresh.query('select order_id, qty from lines', { cache: false })),
      )
      for (const t of tables) expect(t.schema.fields.map((f) => f.nullable)).toEqual([false, false])
      expect(reads.count).toBe(1)
      await fresh.query('select qty from lines', { cache: false })
      expect(reads.count).toBe(1)
      await fresh.query('select l.qty, c.name from lines l, customers c', { cache: false })
      expect(reads.count).toBe(2)
    } finally {
      await fresh.close()
    }
  })

  it('reports the same nullability in every stream() chunk', async () => {
    const chunks = []
    for await (const chunk of conn.stream('select id, note from orders order by id', { chunkSize: 1 }))
      chunks.push(chunk)
    expect(chunks).toHaveLength(2)
    for (const chunk of chunks) expect(chunk.schema.fields.map((f) => f.nullable)).toEqual([false, true])
  })
})

describe('PostgreSQL decimal precision and scale', () => {
  it('gives numeric(p,s) columns their declared precision and scale', async () => {
    const t = await conn.query('select total, ratio, total * 2 as doubled, 1.5::numeric(5,1) as cast from orders', {
      cache: false,
    })
    const f = byName(t.schema.fields)
    expect([f.total!.precision, f.total!.scale]).toEqual([12, 2])
    expect([f.ratio!.precision, f.ratio!.scale]).toEqual([10, 0])
    expect([f.cast!.precision, f.cast!.scale]).toEqual([5, 1])
    expect(f.doubled!.precision).toBeUndefined()
    expect(t.getChild('total')!.toArray()).toEqual(['10.50', '-0.01'])
  })

  it('leaves unconstrained numeric without a precision or scale', async () => {
    const t = await conn.query('select free, sum(total) as s from orders group by free', { cache: false })
    for (const f of t.schema.fields) {
      expect(f.type).toBe('decimal')
      expect(f.precision).toBeUndefined()
      expect(f.scale).toBeUndefined()
    }
  })

  it('keeps nullability, precision and scale in a cached table', async () => {
    const cached = open(schema.name, { cache: { store: new Map(), serialize: true } })
    try {
      const first = await cached.query('select id, note, total from orders', { ttl: 60 })
      const again = await cached.query('select id, note, total from orders', { ttl: 60 })
      expect(cached.cacheStats?.hits).toBe(1)
      expect(again.schema.fields).toEqual(first.schema.fields)
      expect(byName(again.schema.fields).total).toMatchObject({ nullable: false, precision: 12, scale: 2 })
    } finally {
      await cached.close()
    }
  })
})
