// Creates and fills the shop's order_lines table on first start, through the same connection the
// endpoints read from. Writes go through `conn.db` (Kysely on the connection's own pool or handle),
// so the one secrets entry decides where the data lives: SQLite by default, PostgreSQL by editing
// .sqlconn/secrets.toml, with no change here.
import { performance } from 'node:perf_hooks'
import type { SqlConnection } from '@sqlconn/core'
import type { CompiledQuery } from 'kysely'

/** The generated shop: who buys what, where, and at about what price. */
export const REGIONS = ['Central', 'East', 'North', 'South', 'West'] as const
export const PRODUCTS = [
  { name: 'Keyboard', price: 89 },
  { name: 'Monitor', price: 229 },
  { name: 'Mouse', price: 25 },
  { name: 'Laptop stand', price: 45 },
  { name: 'USB-C dock', price: 159 },
  { name: 'Headset', price: 119 },
  { name: 'Webcam', price: 79 },
  { name: 'Desk lamp', price: 39 },
] as const
/** Two years of orders, the span the date controls cover. */
export const FIRST_DAY = '2024-01-01'
export const LAST_DAY = '2025-12-31'
export const DEFAULT_ROWS = 200_000
/**
 * Rows per insert (7 values each). Far under SQLite's 32,766 and PostgreSQL's 65,535 parameters:
 * PostgreSQL plans a statement of 7,000 parameters more slowly per row than one of 1,750.
 */
const BATCH = 250

export interface OrderLine {
  id: number
  ordered_on: string
  region: string
  product: string
  customer: string
  quantity: number
  unit_price: number
}

export interface SeedResult {
  /** False when the table was already there (every start after the first). */
  seeded: boolean
  rows: number
  ms: number
}

/** A small seeded PRNG (mulberry32): every database gets the same rows, so SQLite and PostgreSQL agree. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Yields `count` order lines in batches: dates over two years with a December peak and a slow
 * summer, regions of different sizes, prices that drift a little around the list price.
 */
export function* orderLines(count: number, batchSize = BATCH): Generator<OrderLine[]> {
  const next = random(20240101)
  // Each day once, with its weight: growth over the two years, a December peak, a slow summer.
  const start = Date.parse(`${FIRST_DAY}T00:00:00Z`)
  const dayCount = Math.round((Date.parse(`${LAST_DAY}T00:00:00Z`) - start) / 86_400_000) + 1
  const days: string[] = []
  const weights: number[] = []
  for (let i = 0; i < dayCount; i++) {
    const day = new Date(start + i * 86_400_000)
    const month = day.getUTCMonth()
    const growth = 0.85 + (0.3 * ((day.getUTCFullYear() - 2024) * 12 + month)) / 23
    const season = month === 11 ? 1.6 : month === 10 ? 1.25 : month === 6 || month === 7 ? 0.8 : 1
    days.push(day.toISOString().slice(0, 10))
    weights.push(growth * season)
  }
  const heaviest = Math.max(...weights)
  const regionWeights = [0.14, 0.24, 0.27, 0.15, 0.2]
  let batch: OrderLine[] = []
  for (let id = 1; id <= count; id++) {
    let d = 0
    // Rejection sampling on the day weights; it accepts more than half the draws.
    do d = Math.floor(next() * dayCount)
    while (next() * heaviest > weights[d]!)
    let pick = next()
    let r = 0
    while (r < regionWeights.length - 1 && pick >= regionWeights[r]!) pick -= regionWeights[r++]!
    const product = PRODUCTS[Math.floor(next() ** 1.4 * PRODUCTS.length)]!
    batch.push({
      id,
      ordered_on: days[d]!,
      region: REGIONS[r]!,
      product: product.name,
      customer: `customer-${1 + Math.floor(next() * 5000)}`,
      quantity: 1 + Math.floor(next() ** 2 * 6),
      unit_price: Math.round(product.price * (0.9 + next() * 0.2) * 100) / 100,
    })
    if (batch.length === batchSize) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/** One row's values in the insert's column order (the order of OrderLine's keys). */
const valuesOf = (l: OrderLine) => [l.id, l.ordered_on, l.region, l.product, l.customer, l.quantity, l.unit_price]

/**
 * Creates and fills `order_lines` when the database does not have it yet. The table and its rows
 * are written in one transaction, so an interrupted first start leaves no half-filled table.
 */
export async function seedShop(conn: SqlConnection, rows = DEFAULT_ROWS): Promise<SeedResult> {
  const started = performance.now()
  const tables = await conn.db.introspection.getTables()
  if (tables.some((t) => t.name === 'order_lines')) {
    return { seeded: false, rows: 0, ms: performance.now() - started }
  }
  try {
    await fill(conn, rows)
  } catch (err) {
    // Another process (a second server, a test run) created the table first: theirs is complete,
    // as it was written in one transaction.
    if ((await conn.db.introspection.getTables()).some((t) => t.name === 'order_lines')) {
      return { seeded: false, rows: 0, ms: performance.now() - started }
    }
    throw err
  }
  return { seeded: true, rows, ms: performance.now() - started }
}

/** Creates the table, inserts the rows and indexes them, all in one transaction. */
async function fill(conn: SqlConnection, rows: number): Promise<void> {
  await conn.db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('order_lines')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      // ISO text (YYYY-MM-DD): compares and slices to a month the same way in SQLite and PostgreSQL.
      .addColumn('ordered_on', 'varchar(10)', (c) => c.notNull())
      .addColumn('region', 'varchar(32)', (c) => c.notNull())
      .addColumn('product', 'varchar(64)', (c) => c.notNull())
      .addColumn('customer', 'varchar(64)', (c) => c.notNull())
      .addColumn('quantity', 'integer', (c) => c.notNull())
      .addColumn('unit_price', 'double precision', (c) => c.notNull())
      .execute()
    // Kysely compiles the many-row insert once, in the dialect's own placeholders; every batch of
    // the same size then reuses that SQL with its own values (compiling 7,000 values per batch
    // again would cost as much as the database spends writing them).
    let compiled: CompiledQuery | undefined
    for (const batch of orderLines(rows, BATCH)) {
      if (batch.length === BATCH) {
        compiled ??= trx
          .insertInto('order_lines' as never)
          .values(batch as never)
          .compile()
        await trx.executeQuery({ ...compiled, parameters: batch.flatMap(valuesOf) })
      } else {
        await trx
          .insertInto('order_lines' as never)
          .values(batch as never)
          .execute()
      }
    }
    await trx.schema.createIndex('order_lines_region_day').on('order_lines').columns(['region', 'ordered_on']).execute()
    await trx.schema.createIndex('order_lines_day').on('order_lines').column('ordered_on').execute()
  })
}
