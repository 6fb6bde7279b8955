// sqlconn vs raw mysql2: speed of query() (cache off and cache hit) and memory of a RowTable.
// Run with `npx -y pnpm@10.34.9 run bench:mysql` in bench/ after building the packages. The server is
// SQLCONN_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test); the bench works in a database of
// its own (sqlconn_bench_<random>) and drops it at the end.
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { closeAll, connection } from '@sqlconn/core'
import mysql from 'mysql2'
import {
  arrowSection,
  assertSameRows,
  concurrencySection,
  cpuModel,
  elapsed,
  fmtInt,
  fmtTime,
  headline,
  item,
  MEMORY_SIZES,
  measureArrow,
  measureConcurrencyPaired,
  measureMemory,
  narrowAndWide,
  pairedSizes,
  prng,
  queryTasks,
  requireGc,
  sharedTargets,
  sizes,
  timeSizes,
  writeResults,
  yesNo,
} from './lib.mjs'

requireGc('mysql.bench.mjs', 'bench:mysql')

const SERVER_URL = process.env.SQLCONN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const DATABASE = `sqlconn_bench_${randomBytes(4).toString('hex')}`
const ROWS = 100_000
const SQL = 'select * from items limit ?'
/** The narrow result of the concurrency test: two integer columns. */
const NARROW_SQL = 'select id, n from items limit ?'
/** Pool size of both sides in the concurrency test: mysql2's default connectionLimit. */
const CONCURRENT_POOL = 10

// 100,000 rows take ~0.2 s per call: 30 calls.
const SIZES = sizes({ one: 1000, thousand: 100, all: [30, 3] })

// ---------------------------------------------------------------------------------------------
// Data: one table of 12 columns of mixed types, deterministic so runs compare.

const run = (pool, sql, values) =>
  new Promise((resolve, reject) => pool.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows))))

async function seed(pool) {
  const rand = prng(42)
  await run(
    pool,
    `create table items (
      id int primary key,
      price decimal(10,2) not null,
      name varchar(64) not null,
      payload varbinary(16) not null,
      created_at datetime not null,
      in_stock tinyint(1) not null,
      qty int null,
      big bigint not null,
      ratio double not null,
      note text null,
      attrs json not null,
      n int not null
    )`,
  )
  let batch = []
  for (let i = 1; i <= ROWS; i++) {
    const { name, payload, created, qty, price } = item(rand, i)
    const inStock = rand() < 0.5
    const big = i * 1_000_003 + Math.floor(rand() * 1000)
    const note = i % 4 === 0 ? null : `note ${i % 977}`
    const attrs = JSON.stringify({ k: i % 10, tag: `t${i % 7}` })
    batch.push([
      i,
      price.toFixed(2),
      name,
      payload,
      created,
      inStock,
      qty,
      big,
      rand() * 1000,
      note,
      attrs,
      (i * 37) % 1000,
    ])
    if (batch.length === 2000) {
      await run(pool, 'insert into items values ?', [batch])
      batch = []
    }
  }
  if (batch.length) await run(pool, 'insert into items values ?', [batch])
}

// ---------------------------------------------------------------------------------------------

let sink = 0
const serverUrl = new URL(SERVER_URL)
const url = new URL(SERVER_URL)
url.pathname = `/${DATABASE}`
let results
let memory
let arrow
let concurrency
let paired
let version = ''

const admin = mysql.createPool({ uri: SERVER_URL, connectionLimit: 1 })
await run(admin, `create database ${DATABASE}`)
try {
  // The raw side: mysql2's callback pool with default options, object rows, as a mysql2 user writes it.
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 2 })
  const seeded = performance.now()
  await seed(pool)
  version = (await run(pool, 'select version() as v'))[0].v
  console.error(`seeded ${fmtInt(ROWS)} rows in ${elapsed(seeded)} s (${version})`)

  const conn = await connection('bench', { type: 'mysql', uri: url.toString(), connectionLimit: 2 })

  // Sanity: both read the same rows and values.
  const t = await assertSameRows(conn, SQL, (n) => run(pool, SQL, [n]), 'pool.query()')
  console.error(`schema: ${t.schema.fields.map((f) => `${f.name}:${f.type}`).join(', ')}`)

  results = await timeSizes(SIZES, async (limit) => ({
    raw: async () => {
      sink += (await run(pool, SQL, [limit])).length
    },
    ...(await queryTasks(conn, SQL, limit, { hit: true })),
  }))

  // The one-row, 1,000-row and 100,000-row targets from interleaved pairs of calls (see
  // pairedRatio): tinybench runs each side separately, seconds apart, and a ratio of two such runs
  // swung by tenths from run to run on this shared machine.
  paired = await pairedSizes((limit) => run(pool, SQL, [limit]), conn, SQL, ROWS)

  memory = await measureMemory(MEMORY_SIZES, (limit) => run(pool, SQL, [limit]), conn, SQL)

  arrow = await measureArrow(conn, SQL, ROWS, (limit) => run(pool, SQL, [limit]))

  // The concurrency test's pools, mysql2's default size on both sides.
  const rawWide = mysql.createPool({ uri: url.toString(), connectionLimit: CONCURRENT_POOL })
  const shared = await connection('bench-concurrent', {
    type: 'mysql',
    uri: url.toString(),
    connectionLimit: CONCURRENT_POOL,
  })
  concurrency = await measureConcurrencyPaired(
    narrowAndWide(shared, {
      narrow: {
        name: 'narrow (1,000 rows x 2 int)',
        sql: NARROW_SQL,
        raw: (limit) => run(rawWide, NARROW_SQL, [limit]),
      },
      wide: { sql: SQL, raw: (limit) => run(rawWide, SQL, [limit]) },
    }),
  )
  await new Promise((resolve) => rawWide.end(resolve))

  await new Promise((resolve) => pool.end(resolve))
} finally {
  await closeAll()
  await run(admin, `drop database if exists ${DATABASE}`)
  await new Promise((resolve) => admin.end(resolve))
}

// ---------------------------------------------------------------------------------------------
// Report

const { overheadUs, speedRatio, hitPct, memRatio } = headline(results, memory, ROWS)

writeResults('RESULTS-mysql.md', {
  title: 'sqlconn MySQL benchmark results',
  info: [
    `- Machine: 2 cores (${cpuModel()}, ${os.cpus().length} logical CPUs reported), shared`,
    `- Server: ${version} on ${serverUrl.host} (same machine), mysql2 text protocol`,
    `- Data: table \`items\`, ${fmtInt(ROWS)} rows, 12 columns (int id, decimal(10,2), short varchar, 16-byte varbinary, datetime, tinyint(1), int null in 1/3 of rows, bigint, double, text null in 1/4, json, int)`,
    `- Query: \`${SQL}\`; raw = mysql2's callback pool, \`pool.query(sql, [limit], cb)\` with default options (object rows)`,
    `- Narrow query (concurrency): \`${NARROW_SQL}\``,
  ],
  results,
  memory,
  rawLabel: 'raw `pool.query()`',
  sections: [
    ...arrowSection(arrow),
    ...concurrencySection(concurrency, `raw mysql2 pool (connectionLimit ${CONCURRENT_POOL})`),
  ],
  targets: [
    ...sharedTargets({ results, arrow, concurrency, rows: ROWS, paired, oneRowTarget: true }),
    [`\`query()\` at ${fmtInt(ROWS)} rows ≤ 0.9x raw time`, `${speedRatio.toFixed(2)}x`, yesNo(speedRatio <= 0.9)],
    [
      `RowTable memory ≤ 0.6x the driver's row objects (${fmtInt(ROWS)} rows)`,
      `${memRatio.toFixed(2)}x`,
      yesNo(memRatio <= 0.6),
    ],
    ['overhead for one row (informational)', `${overheadUs.toFixed(1)} µs`, ''],
    [
      'one row, p50 of the interleaved pairs: raw / `query()` (informational)',
      `${fmtTime(paired.oneRow.rawP50)} / ${fmtTime(paired.oneRow.queryP50)}`,
      '',
    ],
    [`memory-cache hit / \`query()\` (${fmtInt(ROWS)} rows, informational)`, `${hitPct.toFixed(3)}%`, ''],
  ],
})
if (sink < 0) console.log(sink)
