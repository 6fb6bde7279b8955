// Cold start: whole-process wall time and peak memory of a one-shot read, as a CLI, a build-time
// data loader or a serverless function pays it on every run. Each case is a fresh `node` process;
// the rounds interleave the cases so a busy machine slows them alike; the median is reported.
// Run from the repository root with `npx -y pnpm@10.34.9 bench` (builds the packages first).
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { cpuModel, fmtTime, median, QUICK, writeReport, yesNo } from './lib.mjs'

const PG_URL = process.env.SQLCONN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const ROUNDS = QUICK ? 2 : 10
const here = path.dirname(fileURLToPath(import.meta.url))
const CLI = path.join(here, '..', 'packages', 'cli', 'dist', 'index.js')

// A project directory: the secrets file, a seeded SQLite file, and this package's node_modules
// (where @sqlconn/*, the drivers and kysely are installed, as in a user's project).
const dir = mkdtempSync(path.join(os.tmpdir(), 'sqlconn-coldstart-'))
symlinkSync(path.join(here, 'node_modules'), path.join(dir, 'node_modules'))
mkdirSync(path.join(dir, '.sqlconn'))
const u = new URL(PG_URL)
writeFileSync(
  path.join(dir, '.sqlconn', 'secrets.toml'),
  `[connections.lite]\ntype = "sqlite"\nfilename = "${path.join(dir, 'items.db')}"\n\n` +
    `[connections.pg]\ntype = "postgres"\nhost = "${u.hostname}"\nport = ${u.port || 5432}\n` +
    `user = "${decodeURIComponent(u.username)}"\ndatabase = "${u.pathname.slice(1)}"\n` +
    (u.password ? `password = "${decodeURIComponent(u.password)}"\n` : ''),
)
const seed = new Database(path.join(dir, 'items.db'))
seed.exec('create table items (id integer primary key, name text, price real)')
const insert = seed.prepare('insert into items (name, price) values (?, ?)')
for (let i = 0; i < 100; i++) insert.run(`item ${i}`, i * 1.25)
seed.close()

const SQL = 'select id, name, price from items order by id limit 10'
const PG_SQL = 'select g as id, md5(g::text) as name from generate_series(1, 10) g'

const scripts = {
  'raw.mjs': `import Database from 'better-sqlite3'
const db = new Database(${JSON.stringify(path.join(dir, 'items.db'))}, { readonly: true })
const rows = db.prepare(${JSON.stringify(SQL)}).all()
if (rows.length !== 10) throw new Error('expected 10 rows')
db.close()`,
  'script.mjs': `import { closeAll, connection } from '@sqlconn/core'
const db = await connection('lite')
const t = await db.query(${JSON.stringify(SQL)})
if (t.numRows !== 10) throw new Error('expected 10 rows')
await closeAll()`,
  // What every process paid before Kysely loaded lazily: the same script with Kysely imported up front.
  'script-eager-kysely.mjs': `import 'kysely'
import { closeAll, connection } from '@sqlconn/core'
const db = await connection('lite')
const t = await db.query(${JSON.stringify(SQL)})
if (t.numRows !== 10) throw new Error('expected 10 rows')
await closeAll()`,
  'raw-pg.mjs': `import pg from 'pg'
const client = new pg.Client({ connectionString: ${JSON.stringify(PG_URL)} })
await client.connect()
const r = await client.query(${JSON.stringify(PG_SQL)})
if (r.rows.length !== 10) throw new Error('expected 10 rows')
await client.end()`,
  'script-pg.mjs': `import { closeAll, connection } from '@sqlconn/core'
const db = await connection('pg')
const t = await db.query(${JSON.stringify(PG_SQL)})
if (t.numRows !== 10) throw new Error('expected 10 rows')
await closeAll()`,
  'empty.mjs': '',
}
for (const [file, text] of Object.entries(scripts)) writeFileSync(path.join(dir, file), text)

// Prints the process's peak RSS and its CPU time (user + system) on exit (the same tiny hook in every
// case). CPU time moves much less than wall time when other work shares the machine's cores.
const PEAK = `data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('peak-rss-kb='+u.maxRSS+' cpu-us='+(u.userCPUTime+u.systemCPUTime))})`

const cases = [
  { group: 'sqlite', label: 'better-sqlite3 script (raw)', args: ['raw.mjs'], raw: true },
  { group: 'sqlite', label: 'script: `connection()` + `query()`', args: ['script.mjs'] },
  { group: 'sqlite', label: 'same script, Kysely imported eagerly (before)', args: ['script-eager-kysely.mjs'] },
  {
    group: 'sqlite',
    label: '`sqlconn query lite "select ..." -f csv`',
    args: [CLI, 'query', 'lite', SQL, '-f', 'csv'],
  },
  { group: 'postgres', label: 'pg script (raw)', args: ['raw-pg.mjs'], raw: true },
  { group: 'postgres', label: 'script: `connection()` + `query()`', args: ['script-pg.mjs'] },
  {
    group: 'postgres',
    label: '`sqlconn query pg "select ..." -f csv`',
    args: [CLI, 'query', 'pg', PG_SQL, '-f', 'csv'],
  },
  { group: 'node', label: 'empty script (node start-up alone)', args: ['empty.mjs'] },
]

/** One run of `args` in a fresh node: wall time (ms), CPU time (ms) and peak RSS (MB); throws on a failed run. */
function runOnce(args) {
  const started = performance.now()
  const r = spawnSync(process.execPath, ['--import', PEAK, ...args], { cwd: dir, encoding: 'utf8' })
  const ms = performance.now() - started
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}):\n${r.stderr}`)
  const kb = Number(/peak-rss-kb=(\d+)/.exec(r.stderr)?.[1])
  const cpu = Number(/cpu-us=(\d+)/.exec(r.stderr)?.[1]) / 1000
  return { ms, cpu, mb: kb / 1024 }
}

const samples = new Map(cases.map((c) => [c, { ms: [], cpu: [], mb: [] }]))
try {
  for (const c of cases) runOnce(c.args) // warm the file cache
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const { ms, cpu, mb } = runOnce(c.args)
      samples.get(c).ms.push(ms)
      samples.get(c).cpu.push(cpu)
      samples.get(c).mb.push(mb)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const med = (c) => ({ ms: median(samples.get(c).ms), cpu: median(samples.get(c).cpu), mb: median(samples.get(c).mb) })
const lines = [
  '# Cold start: whole process, one 10-row read',
  '',
  `- Date: ${new Date().toISOString()}`,
  `- Node: ${process.version} (${process.platform} ${process.arch}), ${cpuModel()}, ${os.cpus().length} cores`,
  `- Each case is a new \`node\` process, timed from spawn to exit; ${ROUNDS} interleaved rounds, median shown.`,
  '- Timings on a shared machine move a lot between runs: read the ratios to the raw driver in the same run.',
  // A CA bundle named here is read by every process at start-up, raw or not: a constant on both sides
  // that lowers every ratio, so a run says whether it had one.
  `- NODE_EXTRA_CA_CERTS: ${process.env.NODE_EXTRA_CA_CERTS ? 'set (every process loads that CA file at start-up, which lowers the ratios)' : 'not set'}.`,
  '- CPU time (user + system, median) moves less than wall time when other work shares the cores: its ratio is a steadier reading of the same cost.',
  '',
  '| case | wall time (median) | × raw driver | CPU time (median) | × raw driver (CPU) | peak RSS (median) |',
  '| --- | --- | --- | --- | --- | --- |',
]
const targets = []
for (const group of ['sqlite', 'postgres', 'node']) {
  const raw = cases.find((c) => c.group === group && c.raw)
  for (const c of cases.filter((x) => x.group === group)) {
    const m = med(c)
    const ratio = raw ? m.ms / med(raw).ms : undefined
    const cpuRatio = raw ? m.cpu / med(raw).cpu : undefined
    lines.push(
      `| ${group}: ${c.label} | ${fmtTime(m.ms)} | ${ratio ? `${ratio.toFixed(2)}×` : '–'} | ${fmtTime(m.cpu)} | ${cpuRatio ? `${cpuRatio.toFixed(2)}×` : '–'} | ${m.mb.toFixed(0)} MB |`,
    )
    if (group === 'sqlite' && !c.raw && !c.label.includes('before')) targets.push([c.label, ratio, cpuRatio])
  }
}
lines.push('', '| target | measured (wall) | verdict | CPU time ratio |', '| --- | --- | --- | --- |')
for (const [label, ratio, cpuRatio] of targets)
  lines.push(`| SQLite ${label} ≤ 1.5× raw | ${ratio.toFixed(2)}× | ${yesNo(ratio <= 1.5)} | ${cpuRatio.toFixed(2)}× |`)
lines.push('')
writeReport('RESULTS-coldstart.md', lines)
