// The query cache: a hit in memory and in Redis against the query on the database, and a Redis hit
// (GET through keyv + decode) against a raw GET of the same bytes. Also the encoded size vs JSON.
// Run from the repository root with `npx -y pnpm@10.34.9 bench` (or `pnpm --filter sqlconn-bench run bench:cache`).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClient } from '@keyv/redis'
import { closeAll, connection } from '@sqlconn/core'
import Database from 'better-sqlite3'
import { Bench } from 'tinybench'
import { budget, fmtInt, latency, writeReport } from './lib.mjs'

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
    .add('redis hit', async () => {
      await shared.query(SQL, { params: [limit] })
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

const lines = [
  '# Query cache benchmark',
  '',
  `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, a shared 2-core machine, Redis on 127.0.0.1. Table: 6 columns (integer, real, text, 16-byte blob, ISO date text, nullable integer).`,
  '',
  '| rows | query (database) | memory hit | hit / query | Redis hit | raw GET (bytes) | Redis hit / raw GET | raw GET (string) | stored | JSON | stored / JSON |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ limit, mean, stored, json }) => {
    const q = mean['query (database)']
    const m = mean['memory hit']
    const r = mean['redis hit']
    const g = mean['raw redis GET']
    const gs = mean['raw redis GET (string)']
    return `| ${fmtInt(limit)} | ${fmt(q)} | ${fmt(m)} | ${((m / q) * 100).toFixed(3)}% | ${fmt(r)} | ${fmt(g)} | ${(r / g).toFixed(2)}x | ${fmt(gs)} | ${kib(stored)} | ${kib(json)} | ${(stored / json).toFixed(2)}x |`
  }),
  '',
  'Targets: a memory hit under 1% of the query; a Redis hit (GET through keyv + decode into a RowTable) at most 1.5x a raw GET of the same bytes with the Redis client alone; the stored entry smaller than its JSON. "raw GET (bytes)" asks the client for a Buffer, as sqlconn does; "raw GET (string)" is the client\'s default, which also decodes UTF-8.',
  '',
]
writeReport('RESULTS-cache.md', lines)

await redis.del(await redis.keys(`${namespace}:*`))
redis.destroy()
await closeAll()
rmSync(dir, { recursive: true, force: true })
