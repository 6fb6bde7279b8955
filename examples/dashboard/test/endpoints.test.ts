// The endpoints without a browser: each reply is read with apache-arrow's tableFromIPC and compared
// with what query() gives for the same filter, on the example's own SQLite database.
import { closeAll, connection, type SqlConnection } from '@sqlconn/core'
import { type Table, tableFromIPC } from 'apache-arrow'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARROW_STREAM, createApp } from '../src/app.ts'
import { BY_MONTH_SQL, BY_PRODUCT_SQL, TOP_LINES_SQL } from '../src/queries.ts'
import { PUBLIC_DIR } from '../src/server.ts'

let conn: SqlConnection
let app: Hono

beforeAll(async () => {
  conn = (await connection('shop')) as SqlConnection
  app = createApp(conn, { publicDir: PUBLIC_DIR })
})
afterAll(() => closeAll())

/** Rows as plain objects with bigints as numbers, so Arrow's and the driver's rows compare. */
function plain(rows: Iterable<Record<string, unknown>>): Record<string, unknown>[] {
  return [...rows].map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
  )
}

function rowsOf(table: Table): Record<string, unknown>[] {
  const names = table.schema.fields.map((f) => f.name)
  return plain(table.toArray().map((r) => Object.fromEntries(names.map((n) => [n, r[n]]))))
}

async function arrow(url: string): Promise<{ res: Response; table: Table }> {
  const res = await app.request(url)
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('content-type')).toBe(ARROW_STREAM)
  return { res, table: tableFromIPC(new Uint8Array(await res.arrayBuffer())) }
}

async function badRequest(url: string): Promise<{ error: string; parameter: string }> {
  const res = await app.request(url)
  expect(res.status).toBe(400)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  return (await res.json()) as { error: string; parameter: string }
}

const filter = { region: 'North', from: '2025-01-01', to: '2025-06-30' }
const qs = new URLSearchParams(filter).toString()

describe('Arrow replies', () => {
  it('revenue by product is the Arrow of query() for the same filter', async () => {
    const { table } = await arrow(`/api/revenue-by-product?${qs}`)
    const expected = await conn.query(BY_PRODUCT_SQL, { params: filter, cache: false })
    expect(table.schema.fields.map((f) => f.name)).toEqual(['product', 'revenue', 'units'])
    expect(rowsOf(table)).toEqual(plain(expected))
  })

  it("revenue by product agrees with the database's own totals written independently", async () => {
    const { table } = await arrow(`/api/revenue-by-product?${qs}`)
    const own = await conn.query(
      `select product, sum(quantity * unit_price) as revenue from order_lines
       where region = ? and ordered_on >= ? and ordered_on <= ? group by product`,
      { params: [filter.region, filter.from, filter.to], cache: false },
    )
    const byName = new Map(plain(own).map((r) => [r.product, r.revenue as number]))
    expect(table.numRows).toBe(own.numRows)
    for (const row of rowsOf(table)) expect(row.revenue).toBeCloseTo(byName.get(row.product)!, 6)
  })

  it('revenue by month has one row per month of the range, as query() gives it', async () => {
    const { table } = await arrow(`/api/revenue-by-month?${qs}`)
    const expected = await conn.query(BY_MONTH_SQL, { params: filter, cache: false })
    expect(rowsOf(table).map((r) => r.month)).toEqual([
      '2025-01',
      '2025-02',
      '2025-03',
      '2025-04',
      '2025-05',
      '2025-06',
    ])
    expect(rowsOf(table)).toEqual(plain(expected))
  })

  it('all regions and the whole range are the default filter', async () => {
    const { table } = await arrow('/api/revenue-by-month')
    expect(table.numRows).toBe(24)
    const total = await conn.query('select sum(quantity * unit_price) as revenue from order_lines', { cache: false })
    const sum = rowsOf(table).reduce((s, r) => s + (r.revenue as number), 0)
    expect(sum).toBeCloseTo(total.get(0)!.revenue as number, 2)
  })

  it('top lines gives `limit` rows, largest revenue first, as query() does', async () => {
    const { table } = await arrow(`/api/top-lines?${qs}&limit=7`)
    const expected = await conn.query(TOP_LINES_SQL, { params: { ...filter, limit: 7 }, cache: false })
    expect(table.numRows).toBe(7)
    expect(rowsOf(table)).toEqual(plain(expected))
    const revenue = rowsOf(table).map((r) => r.revenue as number)
    expect(revenue).toEqual([...revenue].sort((a, b) => b - a))
  })

  it('the download streams every line of the filter as Arrow', async () => {
    const res = await app.request(`/api/order-lines.arrow?${qs}`)
    expect(res.headers.get('content-type')).toBe(ARROW_STREAM)
    expect(res.headers.get('content-disposition')).toContain('order-lines-North-2025-01-01-2025-06-30.arrow')
    expect(res.headers.get('x-sqlconn-cache')).toBe('none')
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()))
    const count = await conn.query(
      'select count(*) as n from order_lines where region = :region and ordered_on between :from and :to',
      { params: filter, cache: false },
    )
    expect(table.numRows).toBe(Number(count.get(0)!.n))
    expect(new Set(rowsOf(table).map((r) => r.region))).toEqual(new Set(['North']))
  })
})

describe('cache headers', () => {
  it('the second identical request is a cache hit; both say how long the query took', async () => {
    const url = '/api/revenue-by-product?region=South&from=2024-03-01&to=2024-09-30'
    const first = (await arrow(url)).res
    const second = (await arrow(url)).res
    expect(first.headers.get('x-sqlconn-cache')).toBe('miss')
    expect(second.headers.get('x-sqlconn-cache')).toBe('hit')
    for (const res of [first, second]) {
      expect(Number(res.headers.get('x-query-ms'))).toBeGreaterThanOrEqual(0)
      expect(res.headers.get('server-timing')).toMatch(/^query;dur=[\d.]+;desc="cache (hit|miss)"$/)
    }
  })

  it('overlapping requests each report their own cache outcome', async () => {
    const cachedUrl = '/api/revenue-by-month?region=East&from=2024-01-01&to=2024-12-31'
    await arrow(cachedUrl)
    const [fresh, cached] = await Promise.all([
      arrow('/api/revenue-by-month?region=East&from=2024-02-01&to=2024-12-31'),
      arrow(cachedUrl),
    ])
    expect(fresh.res.headers.get('x-sqlconn-cache')).toBe('miss')
    expect(cached.res.headers.get('x-sqlconn-cache')).toBe('hit')
  })
})

describe('bad input', () => {
  it('an unknown region is a 400 that names the regions there are', async () => {
    const body = await badRequest('/api/revenue-by-product?region=Atlantis')
    expect(body).toMatchObject({ parameter: 'region' })
    expect(body.error).toBe('Unknown region "Atlantis": choose all, Central, East, North, South or West.')
  })

  it('request text never becomes SQL: an injection attempt is just an unknown region', async () => {
    const body = await badRequest(`/api/top-lines?region=${encodeURIComponent("North' or 1=1 --")}`)
    expect(body.error).toContain('Unknown region "North\' or 1=1 --"')
  })

  it('a malformed date is a 400 that shows the expected form', async () => {
    const body = await badRequest('/api/revenue-by-month?from=01/02/2025')
    expect(body).toMatchObject({ parameter: 'from' })
    expect(body.error).toBe('from must be a date written YYYY-MM-DD, such as 2025-03-31; got "01/02/2025".')
  })

  it('a day that does not exist is a 400', async () => {
    expect((await badRequest('/api/revenue-by-month?to=2025-02-30')).parameter).toBe('to')
  })

  it('a range that ends before it starts is a 400', async () => {
    const body = await badRequest('/api/revenue-by-product?from=2025-06-01&to=2025-01-01')
    expect(body.error).toBe('from (2025-06-01) is after to (2025-01-01): swap them.')
  })

  it('an unknown or repeated parameter is a 400', async () => {
    expect((await badRequest('/api/revenue-by-product?regoin=North')).error).toBe(
      'Unknown parameter "regoin": this endpoint takes region, from, to.',
    )
    expect((await badRequest('/api/revenue-by-product?region=North&region=East')).parameter).toBe('region')
  })

  it('a limit outside 1 to 100 is a 400', async () => {
    expect((await badRequest('/api/top-lines?limit=1000')).error).toBe(
      'limit must be a whole number from 1 to 100; got "1000".',
    )
  })
})
