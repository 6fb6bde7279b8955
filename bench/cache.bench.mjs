// The query cache, each hit next to the query it replaces: a hit of the memory-only cache, an L1 hit
// (the memory tier in front of Redis), an L2 hit (a process whose L1 is empty reads Redis: GET
// through keyv + decode, also against a raw GET of the same bytes), the encoded size vs JSON, and the
// invalidation bus's latency between two real processes (p50, p99).
// Run from the repository root with `npx -y pnpm@10.34.9 bench` (or `pnpm --filter sqlconn-bench run bench:cache`).
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@keyv/redis'
import { closeAll, connection } from '@sqlconn/core'
import Database from 'better-sqlite3'
import { Bench } from 'tinybench'
import { budget, fmtInt, latency, QUICK, writeReport } from './lib.mjs'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const ROWS = 100_000
const SQL = 'select * from items limit ?'
const SIZES = [
  { limit: 1_000, options: { time: 1500, iterations: 100, warmupTime: 200, warmupIterations: 10 } },
  { limit: 100_000, options: { time: 0, iterations: 20, warmupTime: 0, warmupIterations: 2 } },
]

function seed(filename) {
  const db = new Database(filename)
  db.exec(
    `create table items (id integer primary key, price real, name text, payload blob, created_at text, qty integer)`,
  )
  const insert = db.prepare('insert into items values (?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) {
      const payload = Buffer.alloc(16)
      payload.writeUInt32LE((i * 2654435761) >>> 0, 0)
      insert.run(
        i,
        (i % 997) * 1.25,
        `item-${i % 5000}`,
        payload,
        new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
        i % 3 ? i : null,
      )
    }
  })()
  db.close()
}

// This report's own formats (two decimals in ms, always KiB), kept so RESULTS-cache.md reads as before.
const fmt = (ms) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`)
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`

const dir = mkdtempSync(path.join(os.tmpdir(), 'sqlconn-cache-bench-'))
const filename = path.join(dir, 'bench.db')
seed(filename)
const namespace = `sqlconn-bench-${randomUUID().slice(0, 8)}`
const redis = createClient({ url: REDIS_URL })
await redis.connect()
// The same client asked for bytes, as sqlconn does: the fair "raw GET of the same bytes".
const redisBytes = redis.withTypeMapping({ 36: Buffer })

const plain = await connection('bench', { type: 'sqlite', filename, cache: false })
const memory = await connection('bench', { type: 'sqlite', filename, cache: { maxEntries: 10 } })
const shared = await connection('bench', {
  type: 'sqlite',
  filename,
  cache: { url: REDIS_URL, namespace, timeout: 5000 },
})
// Another app server's view: the same Redis, and an L1 bounded to one byte, so it keeps nothing and
// every read is an L2 hit (what the first read of a result costs a process that has not seen it).
const l2only = await connection('bench', {
  type: 'sqlite',
  filename,
  cache: { url: REDIS_URL, namespace, timeout: 5000, maxSize: 1 },
})

const rows = []
for (const { limit, options } of SIZES) {
  const table = await memory.query(SQL, { params: [limit] })
  await shared.query(SQL, { params: [limit] })
  const [key] = await redis.keys(`${namespace}:*`).then((keys) => keys.filter((k) => k !== rows.at(-1)?.key))
  const stored = await redis.strLen(key)
  const json = JSON.stringify(table).length
  const bench = new Bench(budget(options))
  bench
    .add('query (database)', async () => {
      await plain.query(SQL, { params: [limit] })
    })
    .add('memory hit', async () => {
      await memory.query(SQL, { params: [limit] })
    })
    .add('L1 hit', async () => {
      await shared.query(SQL, { params: [limit] })
    })
    .add('L2 hit', async () => {
      await l2only.query(SQL, { params: [limit] })
    })
    .add('raw redis GET', async () => {
      await redisBytes.get(key)
    })
    .add('raw redis GET (string)', async () => {
      await redis.get(key)
    })
  await bench.run()
  const mean = Object.fromEntries(bench.tasks.map((t) => [t.name, latency(bench, t.name, limit).mean]))
  rows.push({ limit, key, mean, stored, json })
  console.log(
    `${limit} rows:`,
    Object.entries(mean)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', '),
  )
}

// Every measured L1 hit was one, and every L2 hit read Redis: the labels say what was measured.
if (shared.cacheStats.l2Hits !== 0 || l2only.cacheStats.l1Hits !== 0 || l2only.cacheStats.l2Hits === 0) {
  throw new Error(`tiers not as labelled: ${JSON.stringify({ l1: shared.cacheStats, l2: l2only.cacheStats })}`)
}

/**
 * The bus between two real processes: this one reads a tagged result (so its L1 holds it and it
 * listens on the bus), a child process invalidates the tag `count` times; each message's latency is
 * from its send (the child's clock) to its arrival here (same machine, same clock).
 */
async function busLatency(count, gapMs) {
  const latencies = []
  let arrived
  const all = new Promise((resolve) => {
    arrived = resolve
  })
  const onInvalidated = ({ latencyMs }) => {
    latencies.push(latencyMs)
    if (latencies.length === count) arrived()
  }
  shared.on('cacheInvalidated', onInvalidated)
  await shared.query('select count(*) as n from items', { tags: ['items'], ttl: '5m' })
  const writer = spawn(process.execPath, [fileURLToPath(new URL('./cache-bus-writer.mjs', import.meta.url))], {
    env: {
      ...process.env,
      BENCH_DB: filename,
      BENCH_REDIS: REDIS_URL,
      BENCH_NAMESPACE: namespace,
      BUS_COUNT: String(count),
      BUS_GAP_MS: String(gapMs),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = new Promise((resolve, reject) =>
    writer.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bus writer exited ${code}`)))),
  )
  await exited
  // Messages still in flight when the writer exits arrive within a moment; a lost one fails the run.
  const timeout = setTimeout(() => arrived(), 5000)
  await all
  clearTimeout(timeout)
  shared.off('cacheInvalidated', onInvalidated)
  if (latencies.length !== count) throw new Error(`bus: ${latencies.length} of ${count} invalidations arrived`)
  latencies.sort((a, b) => a - b)
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
  return { count, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) }
}

const bus = await busLatency(QUICK ? 20 : 500, 5)
console.log(`bus latency over ${bus.count} invalidations: p50 ${bus.p50} ms, p99 ${bus.p99} ms, max ${bus.max} ms`)

const pct = (a, b) => `${((a / b) * 100).toFixed(3)}%`
const lines = [
  '# Query cache benchmark',
  '',
  `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, a shared 2-core machine, Redis on 127.0.0.1. Table: 6 columns (integer, real, text, 16-byte blob, ISO date text, nullable integer).`,
  '',
  '## Hits against the query they replace',
  '',
  '| rows | query (database) | memory hit | / query | L1 hit (Redis configured) | / query | L2 hit (Redis) | / query |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ limit, mean }) => {
    const q = mean['query (database)']
    const m = mean['memory hit']
    const l1 = mean['L1 hit']
    const l2 = mean['L2 hit']
    return `| ${fmtInt(limit)} | ${fmt(q)} | ${fmt(m)} | ${pct(m, q)} | ${fmt(l1)} | ${pct(l1, q)} | ${fmt(l2)} | ${pct(l2, q)} |`
  }),
  '',
  '"memory hit": the memory-only cache (no `url`). "L1 hit": a connection with `cache.url`, answered by its process\'s memory tier. "L2 hit": a connection on the same Redis whose L1 keeps nothing (`maxSize: 1`), so every read is a Redis GET plus decode: what a server pays for a result another server cached.',
  '',
  '## L2 hit against a raw GET, and the stored size',
  '',
  '| rows | L2 hit | raw GET (bytes) | L2 hit / raw GET | raw GET (string) | stored | JSON | stored / JSON |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ limit, mean, stored, json }) => {
    const l2 = mean['L2 hit']
    const g = mean['raw redis GET']
    const gs = mean['raw redis GET (string)']
    return `| ${fmtInt(limit)} | ${fmt(l2)} | ${fmt(g)} | ${(l2 / g).toFixed(2)}x | ${fmt(gs)} | ${kib(stored)} | ${kib(json)} | ${(stored / json).toFixed(2)}x |`
  }),
  '',
  '"raw GET (bytes)" asks the Redis client for a Buffer, as sqlconn does; "raw GET (string)" is the client\'s default, which also decodes UTF-8.',
  '',
  '## The invalidation bus between two processes',
  '',
  '| invalidations | p50 | p99 | max |',
  '|---:|---:|---:|---:|',
  `| ${fmtInt(bus.count)} | ${bus.p50} ms | ${bus.p99} ms | ${bus.max} ms |`,
  '',
  'Another process invalidates a tag 5 ms apart; each message is timed from its send to its arrival in this process (same machine, same clock; Date.now() has 1 ms resolution). Until it arrives, this process may still serve the entry from L1.',
  '',
  'Targets: a memory hit (and an L1 hit) under 1% of the query; an L2 hit at most 1.5x a raw GET of the same bytes; the stored entry smaller than its JSON; the bus under 100 ms at p99.',
  '',
]
writeReport('RESULTS-cache.md', lines)

await redis.del(await redis.keys(`${namespace}:*`))
redis.destroy()
await closeAll()
rmSync(dir, { recursive: true, force: true })
