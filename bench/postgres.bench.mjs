// sqlconn vs raw pg: speed of query() (cache off) and retained memory of a RowTable, on the same pool
// settings and table. Run with `npx -y pnpm@10.34.9 run bench:postgres` in bench/ (packages built).
// The server comes from SQLCONN_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
import { createRequire } from 'node:module'
import os from 'node:os'
import { closeAll, connection } from '@sqlconn/core'
import pg from 'pg'
import {
  arrowSection,
  assertSameRows,
  concurrencySection,
  cpuModel,
  elapsed,
  fmtInt,
  fmtSignedDelta,
  fmtTime,
  headline,
  MEMORY_SIZES,
  measureArrow,
  measureConcurrencyPaired,
  measureMemory,
  narrowAndWide,
  pairedSizes,
  queryTasks,
  requireGc,
  sharedTargets,
  sizes,
  timeSizes,
  writeResults,
  yesNo,
} from './lib.mjs'

requireGc('postgres.bench.mjs', 'bench:postgres')

const PG_URL = process.env.SQLCONN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const ROWS = 100_000
const SCHEMA = `sqlconn_bench_${process.pid}`
const SQL = `select * from ${SCHEMA}.items order by id limit $1`
/** The narrow result of the concurrency test: two integer columns. */
const NARROW_SQL = `select id, n from ${SCHEMA}.items order by id limit $1`
/** Pool size of both sides in the concurrency test: pg's default. */
const CONCURRENT_POOL = 10

// 100,000 rows take a few hundred ms per call over the wire: 20 calls.
const SIZES = sizes({ one: 500, thousand: 100, all: [20, 2] })

// ---------------------------------------------------------------------------------------------
// Data: one table of 12 columns of mixed types (the issue's `bench_rows`), deterministic
// (setseed) so runs compare.

async function seed(pool) {
  await pool.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`)
  await pool.query(`
    select setseed(0.42);
    create table ${SCHEMA}.items as
    select g as id,
           round((random() * 10000)::numeric, 2)::float8 as price,
           (array['red','amber','blue','violet','green','ox','lynx','heron','pike','walrus','fig','kiwi'])[1 + (g * 7) % 12]
             || case when g % 2 = 0 then ' #' || (g % 1000) else '' end as name,
           ('SKU-' || lpad((g * 7919 % 100000)::text, 6, '0'))::varchar(16) as code,
           decode(md5(g::text), 'hex') as payload,
           timestamptz '2020-01-01 00:00:00+00' + (random() * 5 * 365 * 86400) * interval '1 second' as created_at,
           case when g % 3 = 0 then null else (random() * 10000)::int8 end as qty,
           g % 5 = 0 as flagged,
           jsonb_build_object('k', g % 10, 'tag', 't' || (g % 7)) as attrs,
           round((random() * 200000 - 100000)::numeric, 2)::numeric(12,2) as amount,
           (g * 37 % 1000)::int4 as n,
           case when g % 4 = 0 then null else 'note ' || (g % 977) end as note
      from generate_series(1, ${ROWS}) g;
    alter table ${SCHEMA}.items add primary key (id);
    analyze ${SCHEMA}.items;
  `)
}

// ---------------------------------------------------------------------------------------------

let sink = 0
let results
let memory
let arrow
let concurrency
let paired
const raw = new pg.Pool({ connectionString: PG_URL, max: 2 })
// The concurrency test's pools, pg's default size on both sides.
const rawWide = new pg.Pool({ connectionString: PG_URL, max: CONCURRENT_POOL })
let schemaInfo = ''

try {
  const seeded = performance.now()
  await seed(raw)
  console.error(`seeded ${fmtInt(ROWS)} rows in ${elapsed(seeded)} s: ${SCHEMA}.items`)

  const conn = await connection('bench', { type: 'postgres', url: PG_URL, max: 2 })

  // Sanity: both read the same rows and values.
  const t = await assertSameRows(conn, SQL, async (n) => (await raw.query(SQL, [n])).rows, 'pool.query()')
  schemaInfo = t.schema.fields.map((f) => `${f.name} ${f.dbType} → ${f.type}`).join(', ')
  console.error(`schema: ${schemaInfo}`)

  results = await timeSizes(SIZES, async (limit) => ({
    raw: async () => {
      sink += (await raw.query(SQL, [limit])).rows.length
    },
    ...(await queryTasks(conn, SQL, limit)),
  }))

  // The one-row, 1,000-row and 100,000-row targets from interleaved pairs of calls (see
  // pairedRatio): tinybench runs each side separately, seconds apart, and a ratio of two such runs
  // swung by tenths from run to run on this shared machine.
  paired = await pairedSizes(async (limit) => (await raw.query(SQL, [limit])).rows, conn, SQL, ROWS)

  memory = await measureMemory(MEMORY_SIZES, async (limit) => (await raw.query(SQL, [limit])).rows, conn, SQL)

  arrow = await measureArrow(conn, SQL, ROWS, async (limit) => (await raw.query(SQL, [limit])).rows)

  const shared = await connection('bench-concurrent', { type: 'postgres', url: PG_URL, max: CONCURRENT_POOL })
  const rows = (sql) => async (limit) => (await rawWide.query(sql, [limit])).rows
  // Pairs of short slices with the heap collected before each (see measureConcurrencyPaired): pg's
  // object rows leave garbage that the side measured after them would otherwise pay for.
  concurrency = await measureConcurrencyPaired(
    narrowAndWide(shared, {
      narrow: { name: 'narrow (1,000 rows x 2 int4)', sql: NARROW_SQL, raw: rows(NARROW_SQL) },
      wide: { sql: SQL, raw: rows(SQL) },
    }),
  )
} finally {
  await closeAll()
  await raw.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => {})
  await raw.end()
  await rawWide.end()
}

// ---------------------------------------------------------------------------------------------
// Report

const { one, speedRatio, memRatio } = headline(results, memory, ROWS)
const pgVersion = createRequire(import.meta.url)('pg/package.json').version

writeResults('RESULTS-postgres.md', {
  title: 'sqlconn benchmark results: PostgreSQL',
  info: [
    `- Machine: ${os.cpus().length} logical CPUs (${cpuModel()}), shared with the server`,
    `- Server: PostgreSQL on ${new URL(PG_URL).host}, pg ${pgVersion} Pool (max 2) for both sides`,
    `- Data: ${fmtInt(ROWS)} rows: ${schemaInfo}`,
    `- Query: \`${SQL.replace(SCHEMA, '<schema>')}\`; raw = \`pool.query(sql, [limit])\` (pg's object rows)`,
    `- Narrow query (concurrency): \`${NARROW_SQL.replace(SCHEMA, '<schema>')}\``,
  ],
  results,
  memory,
  rawLabel: 'raw `pool.query()`',
  delta: fmtSignedDelta,
  sections: [...arrowSection(arrow), ...concurrencySection(concurrency, `raw \`pg.Pool\` (max ${CONCURRENT_POOL})`)],
  targets: [
    ...sharedTargets({ results, arrow, concurrency, rows: ROWS, paired, oneRowTarget: true }),
    [`\`query()\` at ${fmtInt(ROWS)} rows ≤ 0.9x raw time`, `${speedRatio.toFixed(2)}x`, yesNo(speedRatio <= 0.9)],
    [
      `RowTable memory ≤ 0.6x pg's row objects (${fmtInt(ROWS)} rows)`,
      `${memRatio.toFixed(2)}x`,
      yesNo(memRatio <= 0.6),
    ],
    ['one row: `query()` − raw', fmtSignedDelta(one.query.mean - one.raw.mean), ''],
    [
      'one row, p50 of the interleaved pairs: raw / `query()` (informational)',
      `${fmtTime(paired.oneRow.rawP50)} / ${fmtTime(paired.oneRow.queryP50)}`,
      '',
    ],
  ],
})
if (sink < 0) console.log(sink)
