// sqlconn vs raw better-sqlite3: speed of query() (cache off and cache hit) and memory of a RowTable.
// Run from the repository root with `npx -y pnpm@10.34.9 bench` (builds the packages first).
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { closeAll, connection } from '@sqlconn/core'
import Database from 'better-sqlite3'
import {
  assertSameRows,
  cpuModel,
  elapsed,
  fmtInt,
  headline,
  item,
  measureMemory,
  prng,
  queryTasks,
  requireGc,
  timeSizes,
  writeResults,
  yesNo,
} from './lib.mjs'

requireGc('sqlite.bench.mjs', 'bench')

const ROWS = 100_000
const SQL = 'select * from items limit ?'

// Per size: tinybench budget. 100,000 rows take ~0.2 s per call, so they get a fixed count; 60 calls
// average over the major GCs that land in some calls and not others.
const SIZES = [
  { limit: 1, options: { time: 1500, iterations: 2000, warmupTime: 250, warmupIterations: 200 } },
  { limit: 1_000, options: { time: 2000, iterations: 200, warmupTime: 250, warmupIterations: 20 } },
  { limit: 100_000, options: { time: 0, iterations: 60, warmupTime: 0, warmupIterations: 3 } },
]
const MEMORY_SIZES = [1_000, 100_000]

// ---------------------------------------------------------------------------------------------
// Data: one table of mixed types, deterministic so runs compare.

function seed(filename) {
  const rand = prng(42)
  const db = new Database(filename)
  db.pragma('journal_mode = wal')
  db.exec(`create table items (
    id integer primary key,
    price real not null,
    name text not null,
    payload blob not null,
    created_at text not null,
    qty integer
  )`)
  const insert = db.prepare('insert into items (id, price, name, payload, created_at, qty) values (?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) {
      const { name, payload, created, qty, price } = item(rand, i)
      insert.run(i, price, name, payload, created.toISOString(), qty)
    }
  })()
  db.close()
}

// ---------------------------------------------------------------------------------------------

let sink = 0
const dir = mkdtempSync(path.join(os.tmpdir(), 'sqlconn-bench-'))
const filename = path.join(dir, 'bench.db')
let results
let memory

try {
  const seeded = performance.now()
  seed(filename)
  console.error(`seeded ${fmtInt(ROWS)} rows in ${elapsed(seeded)} s: ${filename}`)

  const raw = new Database(filename, { readonly: true })
  const stmt = raw.prepare(SQL)
  const conn = await connection('bench', { type: 'sqlite', filename })

  // Sanity: both read the same rows and values.
  const t = await assertSameRows(conn, SQL, (n) => stmt.all(n), '.all()')
  console.error(`schema: ${t.schema.fields.map((f) => `${f.name}:${f.type}`).join(', ')}`)

  results = await timeSizes(SIZES, async (limit) => ({
    raw: () => {
      sink += stmt.all(limit).length
    },
    ...(await queryTasks(conn, SQL, limit, { hit: true })),
  }))

  memory = await measureMemory(MEMORY_SIZES, (limit) => stmt.all(limit), conn, SQL)

  raw.close()
} finally {
  await closeAll()
  rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------------------------------------
// Report

const { overheadUs, speedRatio, hitPct, memRatio } = headline(results, memory, ROWS)

writeResults('RESULTS.md', {
  title: 'sqlconn benchmark results',
  info: [
    `- Machine: 2 cores (${cpuModel()}, ${os.cpus().length} logical CPUs reported)`,
    `- Data: SQLite file, table \`items\`, ${fmtInt(ROWS)} rows (integer id, real, short text, 16-byte blob, ISO date text, integer null in 1/3 of rows)`,
    `- Query: \`${SQL}\`; raw = better-sqlite3 statement prepared once, \`.all(limit)\` (object rows)`,
  ],
  results,
  memory,
  rawLabel: 'raw `.all()`',
  targets: [
    [`\`query()\` at ${fmtInt(ROWS)} rows ≤ 1.0x raw time`, `${speedRatio.toFixed(2)}x`, yesNo(speedRatio <= 1.0)],
    ['≤ 20 µs overhead for one row', `${overheadUs.toFixed(1)} µs`, yesNo(overheadUs <= 20)],
    [`memory-cache hit < 1% of the query's time (${fmtInt(ROWS)} rows)`, `${hitPct.toFixed(3)}%`, yesNo(hitPct < 1)],
    [
      `RowTable memory ≤ 0.6x the driver's row objects (${fmtInt(ROWS)} rows)`,
      `${memRatio.toFixed(2)}x`,
      yesNo(memRatio <= 0.6),
    ],
  ],
})
if (sink < 0) console.log(sink)
