// What tracing costs a 1-row query(): @opentelemetry/api absent, present without an SDK (no-op
// spans), and with an SDK recording every span. Each mode runs in its own process (the API is
// looked up once per process); the parent collects the results and writes RESULTS-tracing.md.
// Run from the repository root with `npx -y pnpm@10.34.9 bench` (builds the packages first).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { registerHooks } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'
import { budget, cpuModel, fmtTime, writeReport } from './lib.mjs'

const MODES = {
  absent: '@opentelemetry/api not installed',
  noop: 'API installed, no SDK (no-op spans)',
  sdk: 'SDK recording every span (BasicTracerProvider, no-op exporter)',
}
const mode = process.argv[2]

if (mode) {
  if (mode === 'absent') {
    // As if the app had no @opentelemetry/api: core's lookup of it fails.
    registerHooks({
      resolve(specifier, context, next) {
        if (specifier === '@opentelemetry/api')
          throw Object.assign(new Error('not installed'), { code: 'MODULE_NOT_FOUND' })
        return next(specifier, context)
      },
    })
  }
  if (mode === 'sdk') {
    const { trace } = await import('@opentelemetry/api')
    const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base')
    const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} }
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
  }
  const { closeAll, connection } = await import('@sqlconn/core')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sqlconn-tracing-bench-'))
  const conn = await connection('bench', { type: 'sqlite', filename: path.join(dir, 'b.db') })
  await conn.db.schema.createTable('t').addColumn('id', 'integer').addColumn('name', 'text').execute()
  await conn.query("insert into t values (1, 'one')", { cache: false })
  const bench = new Bench(budget({ time: 2000, warmupTime: 300 }))
  bench
    .add('1-row query(), cache off', () =>
      conn.query('select id, name from t where id = ?', { params: [1], cache: false }),
    )
    .add('1-row query(), cache hit', () => conn.query('select id, name from t where id = ?', { params: [1] }))
  await bench.run()
  const out = Object.fromEntries(bench.tasks.map((t) => [t.name, t.result.latency.mean]))
  await closeAll()
  rmSync(dir, { recursive: true, force: true })
  console.log(JSON.stringify(out))
} else {
  const here = fileURLToPath(import.meta.url)
  const results = {}
  for (const m of Object.keys(MODES)) {
    const r = spawnSync(process.execPath, [here, m], { encoding: 'utf8', cwd: path.dirname(here) })
    if (r.status !== 0) throw new Error(`mode ${m} failed:\n${r.stderr}`)
    results[m] = JSON.parse(r.stdout.trim().split('\n').at(-1))
  }
  const names = Object.keys(results.absent)
  const lines = [
    '# Tracing overhead: a 1-row SQLite query()',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Node: ${process.version} (${process.platform} ${process.arch}), ${cpuModel()}`,
    '- Mean latency per call (tinybench), each mode in its own process.',
    '',
    `| case | ${Object.values(MODES).join(' | ')} |`,
    `| --- | ${Object.keys(MODES)
      .map(() => '---')
      .join(' | ')} |`,
  ]
  for (const n of names) {
    const base = results.absent[n]
    const cells = Object.keys(MODES).map((m) => {
      const v = results[m][n]
      return m === 'absent' ? fmtTime(v) : `${fmtTime(v)} (${v >= base ? '+' : '−'}${fmtTime(Math.abs(v - base))})`
    })
    lines.push(`| ${n} | ${cells.join(' | ')} |`)
  }
  lines.push('')
  writeReport('RESULTS-tracing.md', lines)
}
