// The same dashboard on PostgreSQL, with only the secrets file changed: the example's file with its
// type and url lines replaced, pointing at a database of its own on the test server.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { closeAll } from '@sqlconn/core'
import { tableFromIPC } from 'apache-arrow'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BY_MONTH_SQL, BY_PRODUCT_SQL } from '../src/queries.ts'
import { type Dashboard, startDashboard } from '../src/server.ts'

const example = process.cwd()
const PG_URL = process.env.SQLCONN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const DATABASE = 'sqlconn_dashboard'
const ROWS = 20_000
const dir = path.join(example, 'test-output', `postgres-${process.pid}`)
let dashboard: Dashboard

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

beforeAll(async () => {
  await admin(`drop database if exists ${DATABASE} with (force)`)
  await admin(`create database ${DATABASE}`)
  const url = new URL(PG_URL)
  url.pathname = `/${DATABASE}`
  const secrets = readFileSync(path.join(example, '.sqlconn/secrets.toml'), 'utf8')
    .replace(/^type = "sqlite"$/m, 'type = "postgres"')
    .replace(/^url = ".*"$/m, `url = "${url.href}"`)
  expect(secrets).toContain('type = "postgres"')
  mkdirSync(path.join(dir, '.sqlconn'), { recursive: true })
  writeFileSync(path.join(dir, '.sqlconn/secrets.toml'), secrets)
  process.chdir(dir)
  // 20,000 lines, not 200,000: PostgreSQL takes 10 to 30 s for the full seed on a busy 2-core CI
  // machine. The generator is seeded, so these are exactly the first 20,000 lines of the SQLite file.
  dashboard = await startDashboard({ rows: ROWS })
}, 60_000)

afterAll(async () => {
  await dashboard?.close()
  await closeAll()
  process.chdir(example)
  rmSync(dir, { recursive: true, force: true })
  await admin(`drop database if exists ${DATABASE} with (force)`)
})

/**
 * The same statement on the example's SQLite file (seeded by the global setup), read directly and
 * limited to the lines the PostgreSQL database has.
 */
function onSqlite(sql: string, params: Record<string, string>): Record<string, unknown>[] {
  const db = new Database(path.join(example, 'data/shop.db'), { readonly: true })
  try {
    const firstLines = sql.replace('where ', `where id <= ${ROWS} and `)
    return db.prepare(firstLines.replaceAll(/:(\w+)/g, '@$1')).all(params) as Record<string, unknown>[]
  } finally {
    db.close()
  }
}

async function arrowRows(url: string): Promise<{ res: Response; rows: Record<string, unknown>[] }> {
  const res = await fetch(new URL(url, dashboard.url))
  expect(res.status).toBe(200)
  const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()))
  const names = table.schema.fields.map((f) => f.name)
  const rows = table
    .toArray()
    .map((r) => Object.fromEntries(names.map((n) => [n, typeof r[n] === 'bigint' ? Number(r[n]) : r[n]])))
  return { res, rows }
}

describe('on PostgreSQL', () => {
  it('the first start seeds the lines into PostgreSQL through the same code', async () => {
    console.log(`seeded ${dashboard.seed.rows} lines into PostgreSQL in ${dashboard.seed.ms.toFixed(0)} ms`)
    expect(dashboard.seed).toMatchObject({ seeded: true, rows: ROWS })
    const t = await dashboard.conn.query('select count(*) as n from order_lines', { cache: false })
    expect(Number(t.get(0)!.n)).toBe(ROWS)
  })

  it('revenue by product and by month are the numbers SQLite gives for the same filter', async () => {
    const filter = { region: 'North', from: '2024-04-01', to: '2025-03-31' }
    const qs = new URLSearchParams(filter).toString()
    for (const [endpoint, sql, key] of [
      ['/api/revenue-by-product', BY_PRODUCT_SQL, 'product'],
      ['/api/revenue-by-month', BY_MONTH_SQL, 'month'],
    ] as const) {
      const { rows } = await arrowRows(`${endpoint}?${qs}`)
      const expected = onSqlite(sql, filter)
      expect(rows.map((r) => r[key])).toEqual(expected.map((r) => r[key]))
      rows.forEach((row, i) => {
        expect(row.revenue).toBeCloseTo(expected[i]!.revenue as number, 4)
      })
    }
  })

  it('the second identical request is a cache hit', async () => {
    const url = '/api/revenue-by-product?region=West'
    const first = await arrowRows(url)
    const second = await arrowRows(url)
    expect([first.res.headers.get('x-sqlconn-cache'), second.res.headers.get('x-sqlconn-cache')]).toEqual([
      'miss',
      'hit',
    ])
  })

  it('an unknown region is the same 400 as on SQLite', async () => {
    const res = await fetch(new URL('/api/top-lines?region=Atlantis', dashboard.url))
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'Unknown region "Atlantis": choose all, Central, East, North, South or West.',
    )
  })
})
