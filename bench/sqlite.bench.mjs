// sqlconn vs raw better-sqlite3: speed of query() (cache off and cache hit) and memory of a RowTable.
// Run from the repository root with `npx -y pnpm@10.34.9 bench` (builds the packages first).
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { closeAll, connection } from '@sqlconn/core'
import Database from 'better-sqlite3'
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

requireGc('sqlite.bench.mjs', 'bench')

const ROWS = 100_000
const SQL = 'select * from items limit ?'
/** The narrow result of the concurrency test: two integer columns. */
const NARROW_SQL = 'select id, n from items limit ?'

// 100,000 rows take ~0.2 s per call: 60 calls.
const SIZES = sizes({ one: 2000, thousand: 200, all: [60, 3] })

// ---------------------------------------------------------------------------------------------
// Data: one table of 12 columns of mixed types, deterministic so runs compare.

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
    qty integer,
    code varchar(16) not null,
    flagged boolean not null,
    attrs json not null,
    amount decimal(12,2) not null,
    big bigint not null,
    n int not null
  )`)
  const insert = db.prepare('insert into items values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) {
      const { name, payload, created, qty, price } = item(rand, i)
      const code = `SKU-${String((i * 7919) % 100000).padStart(6, '0')}`
      const attrs = JSON.stringify({ k: i % 10, tag: `t${i % 7}` })
      const amount = Math.round(rand() * 2e7 - 1e7) / 100
      const big = i * 1_000_003 + Math.floor(rand() * 1000)
      insert.run(
        i,
        price,
        name,
        payload,
        created.toISOString(),
        qty,
        code,
        i % 5 === 0 ? 1 : 0,
        attrs,
        amount,
        big,
        (i * 37) % 1000,
      )
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
let arrow
let concurrency
let paired

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

  // The one-row, 1,000-row and 100,000-row targets from interleaved pairs of calls (see
  // pairedRatio): tinybench runs each side separately, seconds apart, and a ratio of two such runs
  // swung by tenths from run to run on this shared machine.
  paired = await pairedSizes((limit) => stmt.all(limit), conn, SQL, ROWS)

  memory = await measureMemory(MEMORY_SIZES, (limit) => stmt.all(limit), conn, SQL)

  arrow = await measureArrow(conn, SQL, ROWS, async (limit) => stmt.all(limit))

  // better-sqlite3 is synchronous: 20 readers take turns on the one handle, on both sides. Pairs of
  // short slices with the heap collected before each (see measureConcurrencyPaired), as on MySQL and
  // PostgreSQL.
  const narrow = raw.prepare(NARROW_SQL)
  concurrency = await measureConcurrencyPaired(
    narrowAndWide(conn, {
      narrow: { name: 'narrow (1,000 rows x 2 integer)', sql: NARROW_SQL, raw: (limit) => narrow.all(limit) },
      wide: { sql: SQL, raw: (limit) => stmt.all(limit) },
    }),
  )

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
    `- Data: SQLite file, table \`items\`, ${fmtInt(ROWS)} rows, 12 columns (integer id, real, short text, 16-byte blob, ISO date text, integer null in 1/3 of rows, varchar(16), boolean, json, decimal(12,2), bigint, int)`,
    `- Query: \`${SQL}\`; raw = better-sqlite3 statement prepared once, \`.all(limit)\` (object rows)`,
    `- Narrow query (concurrency): \`${NARROW_SQL}\`; raw = its statement prepared once on the same handle`,
  ],
  results,
  memory,
  rawLabel: 'raw `.all()`',
  sections: [...arrowSection(arrow), ...concurrencySection(concurrency, 'raw better-sqlite3 `.all()`')],
  targets: [
    ...sharedTargets({ results, arrow, concurrency, rows: ROWS, paired }),
    [`\`query()\` at ${fmtInt(ROWS)} rows ≤ 1.0x raw time`, `${speedRatio.toFixed(2)}x`, yesNo(speedRatio <= 1.0)],
    ['≤ 20 µs overhead for one row', `${overheadUs.toFixed(1)} µs`, yesNo(overheadUs <= 20)],
    [
      `one row, median of ${fmtInt(paired.oneRow.pairs)} interleaved pairs: \`query()\` / raw (informational)`,
      `${paired.oneRow.ratio.toFixed(2)}x (p50 ${fmtTime(paired.oneRow.rawP50)} / ${fmtTime(paired.oneRow.queryP50)})`,
      '',
    ],
    [`memory-cache hit < 1% of the query's time (${fmtInt(ROWS)} rows)`, `${hitPct.toFixed(3)}%`, yesNo(hitPct < 1)],
    [
      `RowTable memory ≤ 0.6x the driver's row objects (${fmtInt(ROWS)} rows)`,
      `${memRatio.toFixed(2)}x`,
      yesNo(memRatio <= 0.6),
    ],
  ],
})
if (sink < 0) console.log(sink)
