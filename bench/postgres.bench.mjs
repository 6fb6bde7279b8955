// sqlconn vs raw pg: speed of query() (cache off) and retained memory of a RowTable, on the same pool
// settings and table. Run with `npx -y pnpm@10.34.9 run bench:postgres` in bench/ (packages built).
// The server comes from SQLCONN_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { closeAll, connection } from '@sqlconn/core'
import pg from 'pg'
import { Bench } from 'tinybench'

if (typeof globalThis.gc !== 'function') {
  console.error('Run with `node --expose-gc postgres.bench.mjs` (the `bench:postgres` script does).')
  process.exit(1)
}

const PG_URL = process.env.SQLCONN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const ROWS = 100_000
const SCHEMA = `sqlconn_bench_${process.pid}`
const SQL = `select * from ${SCHEMA}.items order by id limit $1`

// Per size: tinybench budget. 100,000 rows take a few hundred ms per call over the wire, so they get
// a fixed count that averages over the major GCs landing in some calls and not others.
const SIZES = [
  { limit: 1, options: { time: 1500, iterations: 500, warmupTime: 250, warmupIterations: 50 } },
  { limit: 1_000, options: { time: 2000, iterations: 100, warmupTime: 250, warmupIterations: 10 } },
  { limit: 100_000, options: { time: 0, iterations: 20, warmupTime: 0, warmupIterations: 2 } },
]
const MEMORY_SIZES = [1_000, 100_000]
const MEMORY_REPEATS = 3

// ---------------------------------------------------------------------------------------------
// Data: one table of mixed types, deterministic (setseed) so runs compare.

async function seed(pool) {
  await pool.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`)
  await pool.query(`
    select setseed(0.42);
    create table ${SCHEMA}.items as
    select g as id,
           round((random() * 10000)::numeric, 2)::float8 as price,
           (array['red','amber','blue','violet','green','ox','lynx','heron','pike','walrus','fig','kiwi'])[1 + (g * 7) % 12]
             || case when g % 2 = 0 then ' #' || (g % 1000) else '' end as name,
           decode(md5(g::text), 'hex') as payload,
           timestamptz '2020-01-01 00:00:00+00' + (random() * 5 * 365 * 86400) * interval '1 second' as created_at,
           case when g % 3 = 0 then null else (random() * 10000)::int8 end as qty,
           g % 5 = 0 as flagged,
           jsonb_build_object('k', g % 10, 'tag', 't' || (g % 7)) as attrs
      from generate_series(1, ${ROWS}) g;
    alter table ${SCHEMA}.items add primary key (id);
    analyze ${SCHEMA}.items;
  `)
}

// ---------------------------------------------------------------------------------------------
// Helpers (as in sqlite.bench.mjs)

let sink = 0
const used = () => {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
const tick = () => new Promise((resolve) => setImmediate(resolve))
async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await tick()
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmtInt = (n) => Math.round(n).toLocaleString('en-US')
function fmtTime(ms) {
  if (ms >= 1) return `${ms.toFixed(ms >= 100 ? 1 : 2)} ms`
  return `${(ms * 1000).toFixed(ms * 1000 >= 100 ? 0 : 1)} µs`
}
const fmtBytes = (b) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`)
const yesNo = (ok) => (ok ? '**met**' : '**missed**')

let held = null

/** Retained bytes of what `build` returns: measured while held, then after it is dropped. */
async function retained(build) {
  const samples = []
  for (let r = 0; r < MEMORY_REPEATS; r++) {
    await settle()
    held = await build()
    await settle()
    const withIt = used()
    sink += held.length ?? held.numRows
    held = null
    await settle()
    samples.push(withIt - used())
  }
  return median(samples)
}

// ---------------------------------------------------------------------------------------------

const results = []
const memory = []
const raw = new pg.Pool({ connectionString: PG_URL, max: 2 })
let schemaInfo = ''

try {
  const seeded = performance.now()
  await seed(raw)
  console.error(`seeded ${fmtInt(ROWS)} rows in ${((performance.now() - seeded) / 1000).toFixed(1)} s: ${SCHEMA}.items`)

  const conn = await connection('bench', { type: 'postgres', url: PG_URL, max: 2 })

  // Sanity: both read the same rows and values.
  {
    const a = (await raw.query(SQL, [3])).rows
    const t = await conn.query(SQL, { params: [3], cache: false })
    if (t.numRows !== 3 || JSON.stringify(t.toArray()) !== JSON.stringify(a)) {
      throw new Error(`query() and raw pool.query() disagree:\n${JSON.stringify(t.toArray())}\n${JSON.stringify(a)}`)
    }
    schemaInfo = t.schema.fields.map((f) => `${f.name} ${f.dbType} → ${f.type}`).join(', ')
    console.error(`schema: ${schemaInfo}`)
  }

  for (const { limit, options } of SIZES) {
    const started = performance.now()
    const bench = new Bench({ name: `limit ${limit}`, ...options })
    bench
      .add('raw', async () => {
        sink += (await raw.query(SQL, [limit])).rows.length
      })
      .add('query', async () => {
        sink += (await conn.query(SQL, { params: [limit], cache: false })).numRows
      })
    await bench.run()
    const stat = (name) => {
      const r = bench.getTask(name).result
      if (r.state !== 'completed') throw new Error(`${name} at ${limit}: ${r.state} ${r.error?.stack ?? ''}`)
      return r.latency
    }
    const row = { limit, raw: stat('raw'), query: stat('query') }
    results.push(row)
    console.error(
      `limit ${fmtInt(limit)}: raw ${fmtTime(row.raw.mean)}, query ${fmtTime(row.query.mean)} ` +
        `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
    )
  }

  for (const limit of MEMORY_SIZES) {
    const rawBytes = await retained(async () => (await raw.query(SQL, [limit])).rows)
    const tableBytes = await retained(() => conn.query(SQL, { params: [limit], cache: false }))
    memory.push({ limit, rawBytes, tableBytes })
    console.error(`memory ${fmtInt(limit)}: raw ${fmtBytes(rawBytes)}, RowTable ${fmtBytes(tableBytes)}`)
  }
} finally {
  await closeAll()
  await raw.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => {})
  await raw.end()
}

// ---------------------------------------------------------------------------------------------
// Report

const by = (limit) => results.find((r) => r.limit === limit)
const one = by(1)
const big = by(ROWS)
const bigMem = memory.find((m) => m.limit === ROWS)
const speedRatio = big.query.mean / big.raw.mean
const memRatio = bigMem.tableBytes / bigMem.rawBytes

const lines = []
lines.push('# sqlconn benchmark results: PostgreSQL', '')
lines.push(`- Date: ${new Date().toISOString()}`)
lines.push(`- Node: ${process.version} (${process.platform} ${process.arch}), V8 ${process.versions.v8}`)
lines.push(
  `- Machine: ${os.cpus().length} logical CPUs (${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}), shared with the server`,
)
lines.push(
  `- Server: PostgreSQL on ${new URL(PG_URL).host}, pg ${createRequire(import.meta.url)('pg/package.json').version} Pool (max 2) for both sides`,
)
lines.push(`- Data: ${fmtInt(ROWS)} rows: ${schemaInfo}`)
lines.push(`- Query: \`${SQL.replace(SCHEMA, '<schema>')}\`; raw = \`pool.query(sql, [limit])\` (pg's object rows)`)
lines.push('')
lines.push('## Time (tinybench: mean ± relative margin of error; median below)', '')
lines.push(
  '| rows | raw `pool.query()` | `query()` cache off | `query()` / raw | `query()` − raw | samples (raw/query) |',
)
lines.push('|---:|---:|---:|---:|---:|---:|')
const cell = (l) => `${fmtTime(l.mean)} ± ${l.rme.toFixed(1)}%<br>p50 ${fmtTime(l.p50)}`
const diff = (ms) => `${ms < 0 ? '−' : '+'}${fmtTime(Math.abs(ms))}`
for (const r of results) {
  lines.push(
    `| ${fmtInt(r.limit)} | ${cell(r.raw)} | ${cell(r.query)} | ` +
      `${(r.query.mean / r.raw.mean).toFixed(2)}x<br>p50 ${(r.query.p50 / r.raw.p50).toFixed(2)}x | ` +
      `${diff(r.query.mean - r.raw.mean)} | ${r.raw.samplesCount}/${r.query.samplesCount} |`,
  )
}
lines.push('')
lines.push('## Retained memory (heapUsed + arrayBuffers after gc, held minus released, median of 3)', '')
lines.push('| rows | raw row objects | RowTable | bytes/row raw | bytes/row RowTable | RowTable / raw |')
lines.push('|---:|---:|---:|---:|---:|---:|')
for (const m of memory) {
  lines.push(
    `| ${fmtInt(m.limit)} | ${fmtBytes(m.rawBytes)} | ${fmtBytes(m.tableBytes)} | ${(m.rawBytes / m.limit).toFixed(0)} | ` +
      `${(m.tableBytes / m.limit).toFixed(0)} | ${(m.tableBytes / m.rawBytes).toFixed(2)}x |`,
  )
}
lines.push('')
lines.push('## Targets', '')
lines.push('| target | measured | |')
lines.push('|---|---:|---|')
lines.push(
  `| \`query()\` at ${fmtInt(ROWS)} rows ≤ 0.9x raw time | ${speedRatio.toFixed(2)}x | ${yesNo(speedRatio <= 0.9)} |`,
)
lines.push(
  `| RowTable memory ≤ 0.6x pg's row objects (${fmtInt(ROWS)} rows) | ${memRatio.toFixed(2)}x | ${yesNo(memRatio <= 0.6)} |`,
)
lines.push(`| one row: \`query()\` − raw | ${diff(one.query.mean - one.raw.mean)} | |`)
lines.push('')

const report = lines.join('\n')
console.log(report)
writeFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS-postgres.md'), report)
if (sink < 0) console.log(sink)
