// sqlconn vs raw mysql2: speed of query() (cache off and cache hit) and memory of a RowTable.
// Run with `npx -y pnpm@10.34.9 run bench:mysql` in bench/ after building the packages. The server is
// SQLCONN_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test); the bench works in a database of
// its own (sqlconn_bench_<random>) and drops it at the end.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { closeAll, connection } from '@sqlconn/core'
import mysql from 'mysql2'
import { Bench } from 'tinybench'

if (typeof globalThis.gc !== 'function') {
  console.error('Run with `node --expose-gc mysql.bench.mjs` (the `bench:mysql` script does).')
  process.exit(1)
}

const SERVER_URL = process.env.SQLCONN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const DATABASE = `sqlconn_bench_${randomBytes(4).toString('hex')}`
const ROWS = 100_000
const SQL = 'select * from items limit ?'

// Per size: tinybench budget. 100,000 rows take ~0.2 s per call, so they get a fixed count that
// averages over the major GCs landing in some calls and not others.
const SIZES = [
  { limit: 1, options: { time: 1500, iterations: 1000, warmupTime: 250, warmupIterations: 100 } },
  { limit: 1_000, options: { time: 2000, iterations: 100, warmupTime: 250, warmupIterations: 10 } },
  { limit: 100_000, options: { time: 0, iterations: 30, warmupTime: 0, warmupIterations: 3 } },
]
const MEMORY_SIZES = [1_000, 100_000]
const MEMORY_REPEATS = 3

// ---------------------------------------------------------------------------------------------
// Data: one table of mixed types, deterministic so runs compare.

function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = ['red', 'amber', 'blue', 'violet', 'green', 'ox', 'lynx', 'heron', 'pike', 'walrus', 'fig', 'kiwi']

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
      qty int null
    )`,
  )
  const start = Date.UTC(2020, 0, 1)
  let batch = []
  for (let i = 1; i <= ROWS; i++) {
    const words = 1 + Math.floor(rand() * 3)
    let name = ''
    for (let w = 0; w < words; w++) name += (w ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)]
    if (rand() < 0.5) name += ` #${Math.floor(rand() * 1000)}`
    const payload = Buffer.alloc(16)
    for (let b = 0; b < 16; b++) payload[b] = Math.floor(rand() * 256)
    const created = new Date(start + Math.floor(rand() * 5 * 365 * 86_400_000))
    const qty = i % 3 === 0 ? null : Math.floor(rand() * 10_000)
    batch.push([i, (Math.round(rand() * 1e6) / 100).toFixed(2), name, payload, created, rand() < 0.5, qty])
    if (batch.length === 2000) {
      await run(pool, 'insert into items values ?', [batch])
      batch = []
    }
  }
  if (batch.length) await run(pool, 'insert into items values ?', [batch])
}

// ---------------------------------------------------------------------------------------------
// Helpers

let sink = 0
const used = () => {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
const tick = () => new Promise((resolve) => setImmediate(resolve))
async function settle() {
  // Several full collections with turns in between, so finalizers and the array-buffer sweeper run.
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

// Held across gc() in a module-level slot so nothing can consider it dead while measuring.
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
    const without = used()
    samples.push(withIt - without)
  }
  return median(samples)
}

// ---------------------------------------------------------------------------------------------

const serverUrl = new URL(SERVER_URL)
const url = new URL(SERVER_URL)
url.pathname = `/${DATABASE}`
const results = []
const memory = []
let version = ''

const admin = mysql.createPool({ uri: SERVER_URL, connectionLimit: 1 })
await run(admin, `create database ${DATABASE}`)
try {
  // The raw side: mysql2's callback pool with default options, object rows, as a mysql2 user writes it.
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 2 })
  const seeded = performance.now()
  await seed(pool)
  version = (await run(pool, 'select version() as v'))[0].v
  console.error(`seeded ${fmtInt(ROWS)} rows in ${((performance.now() - seeded) / 1000).toFixed(1)} s (${version})`)

  const conn = await connection('bench', { type: 'mysql', uri: url.toString(), connectionLimit: 2 })

  // Sanity: both read the same rows and values.
  {
    const a = await run(pool, SQL, [3])
    const t = await conn.query(SQL, { params: [3], cache: false })
    if (t.numRows !== 3 || JSON.stringify(t.toArray()) !== JSON.stringify(a)) {
      throw new Error(`query() and raw pool.query() disagree:\n${JSON.stringify(t.toArray())}\n${JSON.stringify(a)}`)
    }
    console.error(`schema: ${t.schema.fields.map((f) => `${f.name}:${f.type}`).join(', ')}`)
  }

  for (const { limit, options } of SIZES) {
    const started = performance.now()
    // One warm-up call so the cache-hit task only ever hits.
    await conn.query(SQL, { params: [limit] })
    const bench = new Bench({ name: `limit ${limit}`, ...options })
    bench
      .add('raw', async () => {
        sink += (await run(pool, SQL, [limit])).length
      })
      .add('query', async () => {
        sink += (await conn.query(SQL, { params: [limit], cache: false })).numRows
      })
      .add('hit', async () => {
        sink += (await conn.query(SQL, { params: [limit] })).numRows
      })
    await bench.run()
    const stat = (name) => {
      const r = bench.getTask(name).result
      if (r.state !== 'completed') throw new Error(`${name} at ${limit}: ${r.state} ${r.error?.stack ?? ''}`)
      return r.latency
    }
    const row = { limit, raw: stat('raw'), query: stat('query'), hit: stat('hit') }
    results.push(row)
    console.error(
      `limit ${fmtInt(limit)}: raw ${fmtTime(row.raw.mean)}, query ${fmtTime(row.query.mean)}, hit ${fmtTime(row.hit.mean)} ` +
        `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
    )
  }

  for (const limit of MEMORY_SIZES) {
    const rawBytes = await retained(() => run(pool, SQL, [limit]))
    const tableBytes = await retained(() => conn.query(SQL, { params: [limit], cache: false }))
    memory.push({ limit, rawBytes, tableBytes })
    console.error(`memory ${fmtInt(limit)}: raw ${fmtBytes(rawBytes)}, RowTable ${fmtBytes(tableBytes)}`)
  }

  await new Promise((resolve) => pool.end(resolve))
} finally {
  await closeAll()
  await run(admin, `drop database if exists ${DATABASE}`)
  await new Promise((resolve) => admin.end(resolve))
}

// ---------------------------------------------------------------------------------------------
// Report

const by = (limit) => results.find((r) => r.limit === limit)
const one = by(1)
const big = by(ROWS)
const bigMem = memory.find((m) => m.limit === ROWS)
const overheadUs = (one.query.mean - one.raw.mean) * 1000
const speedRatio = big.query.mean / big.raw.mean
const hitPct = (big.hit.mean / big.query.mean) * 100
const memRatio = bigMem.tableBytes / bigMem.rawBytes

const lines = []
lines.push('# sqlconn MySQL benchmark results', '')
lines.push(`- Date: ${new Date().toISOString()}`)
lines.push(`- Node: ${process.version} (${process.platform} ${process.arch}), V8 ${process.versions.v8}`)
lines.push(
  `- Machine: 2 cores (${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}, ${os.cpus().length} logical CPUs reported), shared`,
)
lines.push(`- Server: ${version} on ${serverUrl.host} (same machine), mysql2 text protocol`)
lines.push(
  `- Data: table \`items\`, ${fmtInt(ROWS)} rows (int id, decimal(10,2), short varchar, 16-byte varbinary, datetime, tinyint(1), int null in 1/3 of rows)`,
)
lines.push(
  `- Query: \`${SQL}\`; raw = mysql2's callback pool, \`pool.query(sql, [limit], cb)\` with default options (object rows)`,
)
lines.push('')
lines.push('## Time (tinybench: mean ± relative margin of error; median below)', '')
lines.push(
  '| rows | raw `pool.query()` | `query()` cache off | `query()` / raw | `query()` − raw | cache hit | hit / `query()` | samples (raw/query/hit) |',
)
lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|')
const cell = (l) => `${fmtTime(l.mean)} ± ${l.rme.toFixed(1)}%<br>p50 ${fmtTime(l.p50)}`
const diff = (ms) => (Math.abs(ms) >= 1 ? fmtTime(ms) : `${(ms * 1000).toFixed(1)} µs`)
for (const r of results) {
  const hitShare = r.hit.mean / r.query.mean
  lines.push(
    `| ${fmtInt(r.limit)} | ${cell(r.raw)} | ${cell(r.query)} | ` +
      `${(r.query.mean / r.raw.mean).toFixed(2)}x<br>p50 ${(r.query.p50 / r.raw.p50).toFixed(2)}x | ` +
      `${diff(r.query.mean - r.raw.mean)} | ${cell(r.hit)} | ${(hitShare * 100).toFixed(hitShare < 0.01 ? 3 : 1)}% | ` +
      `${r.raw.samplesCount}/${r.query.samplesCount}/${r.hit.samplesCount} |`,
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
  `| RowTable memory ≤ 0.6x the driver's row objects (${fmtInt(ROWS)} rows) | ${memRatio.toFixed(2)}x | ${yesNo(memRatio <= 0.6)} |`,
)
lines.push(`| overhead for one row (informational) | ${overheadUs.toFixed(1)} µs | |`)
lines.push(`| memory-cache hit / \`query()\` (${fmtInt(ROWS)} rows, informational) | ${hitPct.toFixed(3)}% | |`)
lines.push('')

const report = lines.join('\n')
console.log(report)
writeFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS-mysql.md'), report)
if (sink < 0) console.log(sink)
