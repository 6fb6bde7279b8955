// Shared by the *.bench.mjs scripts: the quick-mode switch and budgets, the seeded data generator,
// formatting, the retained-memory measurement, the tinybench runs and the markdown report tables.
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'

/** True when `SQLCONN_BENCH_QUICK=1`: a smoke run with tiny budgets, whose numbers mean nothing. */
export const QUICK = process.env.SQLCONN_BENCH_QUICK === '1'

/** How many times `retained()` measures (the median is reported): 3, or 1 in quick mode. */
export const MEMORY_REPEATS = QUICK ? 1 : 3

/** The tinybench options of one size: `full` as given, or in quick mode no time budget and a few calls. */
export function budget(full) {
  if (!QUICK) return full
  return { ...full, time: 0, iterations: 3, warmupTime: 0, warmupIterations: 1 }
}

/** Exits with a hint unless node runs with `--expose-gc` (`file` is the script, `script` its package script). */
export function requireGc(file, script) {
  if (typeof globalThis.gc === 'function') return
  console.error(`Run with \`node --expose-gc ${file}\` (the \`${script}\` script does).`)
  process.exit(1)
}

/**
 * The tinybench budget of each size a database bench times: 1 and 1,000 rows by time (1.5 s and 2 s
 * after 250 ms of warm-up, at most `one` and `thousand` calls, a tenth of that to warm up); the
 * whole table (100,000 rows, a few hundred ms a call) by a fixed count, `[calls, warm-up calls]`,
 * that averages over the major GCs landing in some calls and not others.
 */
export function sizes({ one, thousand, all: [calls, warmups] }) {
  return [
    { limit: 1, options: { time: 1500, iterations: one, warmupTime: 250, warmupIterations: one / 10 } },
    { limit: 1_000, options: { time: 2000, iterations: thousand, warmupTime: 250, warmupIterations: thousand / 10 } },
    { limit: 100_000, options: { time: 0, iterations: calls, warmupTime: 0, warmupIterations: warmups } },
  ]
}

/** The sizes whose retained memory a database bench measures. */
export const MEMORY_SIZES = [1_000, 100_000]

// ---------------------------------------------------------------------------------------------
// Data

/** A seeded PRNG (mulberry32): a function returning floats in [0, 1), the same sequence for a seed. */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The words the generated names are made of. */
export const WORDS = ['red', 'amber', 'blue', 'violet', 'green', 'ox', 'lynx', 'heron', 'pike', 'walrus', 'fig', 'kiwi']

const START = Date.UTC(2020, 0, 1)

/**
 * The values of row `i`, drawn from `rand` in a fixed order (so a seed gives the same rows): `name`
 * (1 to 3 words, half of them with ` #n`), `payload` (16 random bytes), `created` (a Date in
 * 2020–2024), `qty` (null in every third row) and `price` (0 … 10,000 with two decimals).
 */
export function item(rand, i) {
  const words = 1 + Math.floor(rand() * 3)
  let name = ''
  for (let w = 0; w < words; w++) name += (w ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)]
  if (rand() < 0.5) name += ` #${Math.floor(rand() * 1000)}`
  const payload = Buffer.alloc(16)
  for (let b = 0; b < 16; b++) payload[b] = Math.floor(rand() * 256)
  const created = new Date(START + Math.floor(rand() * 5 * 365 * 86_400_000))
  const qty = i % 3 === 0 ? null : Math.floor(rand() * 10_000)
  const price = Math.round(rand() * 1e6) / 100
  return { name, payload, created, qty, price }
}

/**
 * Sanity check: reads 3 rows with `raw(3)` (the driver; `what` names it in the error), then with
 * `conn.query(sql)` (cache off), and throws unless both give the same rows and values. Returns the
 * RowTable, for its schema.
 */
export async function assertSameRows(conn, sql, raw, what) {
  const rows = await raw(3)
  const table = await conn.query(sql, { params: [3], cache: false })
  if (table.numRows !== 3 || JSON.stringify(table.toArray()) !== JSON.stringify(rows)) {
    throw new Error(`query() and raw ${what} disagree:\n${JSON.stringify(table.toArray())}\n${JSON.stringify(rows)}`)
  }
  return table
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** An integer with thousands separators: `100,000`. */
export const fmtInt = (n) => Math.round(n).toLocaleString('en-US')

/** A duration given in ms, as `1.23 ms` / `123.4 ms` from 1 ms up, else `12.3 µs` / `123 µs`. */
export function fmtTime(ms) {
  if (ms >= 1) return `${ms.toFixed(ms >= 100 ? 1 : 2)} ms`
  return `${(ms * 1000).toFixed(ms * 1000 >= 100 ? 0 : 1)} µs`
}

/** A difference of durations in ms: as `fmtTime` from 1 ms either way, else in µs with one decimal. */
export const fmtDelta = (ms) => (Math.abs(ms) >= 1 ? fmtTime(ms) : `${(ms * 1000).toFixed(1)} µs`)

/** A difference of durations in ms with its sign in front: `+12.3 µs`, `−1.20 ms`. */
export const fmtSignedDelta = (ms) => `${ms < 0 ? '−' : '+'}${fmtTime(Math.abs(ms))}`

/** A byte count as MiB with two decimals from 1 MiB up, else KiB with one. */
export const fmtBytes = (b) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`)

/** The verdict cell of a target: `**met**` or `**missed**`. */
export const yesNo = (ok) => (ok ? '**met**' : '**missed**')

/** Seconds since `started` (a `performance.now()` reading), with one decimal. */
export const elapsed = (started) => ((performance.now() - started) / 1000).toFixed(1)

/** The CPU model as the OS reports it. */
export const cpuModel = () => os.cpus()[0]?.model?.trim() ?? 'unknown CPU'

// ---------------------------------------------------------------------------------------------
// Memory

// Written to so that nothing measured can be optimised away; printed only if negative (never).
let sink = 0
// Held across gc() in a module-level slot so nothing can consider it dead while measuring.
let held = null

/** Heap in use plus the memory of ArrayBuffers (Buffers included), in bytes. */
function used() {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** Several full collections with turns in between, so finalizers and the array-buffer sweeper run. */
async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The median of a list of numbers (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Retained bytes of what `build` returns (an array of rows or a RowTable): `used()` after gc while it
 * is held, minus the same after it is dropped; the median of `MEMORY_REPEATS` measurements.
 */
export async function retained(build) {
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

/**
 * For each limit, the retained bytes of the driver's rows (`raw(limit)`) and of the RowTable of
 * `conn.query(sql)` (cache off), measured one after the other so neither counts in the other's
 * figure. Returns `[{ limit, rawBytes, tableBytes }]` and logs each size to stderr.
 */
export async function measureMemory(limits, raw, conn, sql) {
  const memory = []
  for (const limit of limits) {
    const rawBytes = await retained(() => raw(limit))
    const tableBytes = await retained(() => conn.query(sql, { params: [limit], cache: false }))
    memory.push({ limit, rawBytes, tableBytes })
    console.error(`memory ${fmtInt(limit)}: raw ${fmtBytes(rawBytes)}, RowTable ${fmtBytes(tableBytes)}`)
  }
  return memory
}

// ---------------------------------------------------------------------------------------------
// Time

const AsyncFunction = (async () => {}).constructor

/** The latency statistics of the task `name` after `bench.run()`; throws if it did not complete. */
export function latency(bench, name, limit) {
  const r = bench.getTask(name).result
  if (r.state !== 'completed') throw new Error(`${name} at ${limit}: ${r.state} ${r.error?.stack ?? ''}`)
  return r.latency
}

/**
 * The sqlconn tasks of one size: `query`, `conn.query(sql)` with the cache off, and with `hit` also
 * `hit`, the same with the cache on, after one warm-up call so that every measured call hits.
 */
export async function queryTasks(conn, sql, limit, { hit = false } = {}) {
  const query = async () => {
    sink += (await conn.query(sql, { params: [limit], cache: false })).numRows
  }
  if (!hit) return { query }
  await conn.query(sql, { params: [limit] })
  return {
    query,
    hit: async () => {
      sink += (await conn.query(sql, { params: [limit] })).numRows
    },
  }
}

/**
 * Runs one tinybench per `{ limit, options }` of `sizes` (options through `budget()`), with the tasks
 * `await tasksFor(limit)` returns (`{ raw, query, hit? }`: name → function, async or not; it may warm
 * up first). Returns `[{ limit, [name]: latency }]` and logs each size to stderr.
 */
export async function timeSizes(sizes, tasksFor) {
  const results = []
  for (const { limit, options } of sizes) {
    const started = performance.now()
    const tasks = await tasksFor(limit)
    const bench = new Bench({ name: `limit ${limit}`, ...budget(options) })
    for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn, { async: fn instanceof AsyncFunction })
    await bench.run()
    const row = { limit }
    for (const name of Object.keys(tasks)) row[name] = latency(bench, name, limit)
    results.push(row)
    const means = Object.keys(tasks).map((name) => `${name} ${fmtTime(row[name].mean)}`)
    console.error(`limit ${fmtInt(limit)}: ${means.join(', ')} (${elapsed(started)} s)`)
  }
  return results
}

// ---------------------------------------------------------------------------------------------
// Arrow and concurrency

/** The tinybench budget of the Arrow tasks at 100,000 rows: a fixed count (each call takes 50 ms to 2 s). */
const ARROW_BUDGET = { time: 0, iterations: 10, warmupTime: 0, warmupIterations: 2 }

/** Reads a web ReadableStream to its end; returns the byte count. */
async function drain(stream) {
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.byteLength
  return bytes
}

/**
 * The Arrow figures at `limit` rows of `sql` (one `?`/`$1` for the limit), in one tinybench:
 * - `query`: `conn.query()` with the cache off (the cold query the others are compared with);
 * - `toArrow`: `table.toArrow()` of a table read once beforehand (conversion only);
 * - `queryArrow`: `query()` then `toArrow()`, what an app pays for an Arrow table from sqlconn;
 * - `rawArrow`: the driver's object rows (`raw(limit)`) then apache-arrow's `tableFromJSON(rows)`,
 *   what an app pays without sqlconn;
 * - `ipc`: `conn.streamArrowIPC(sql)` read to its end (batches of 10,000 rows from a cursor).
 * Returns `{ limit, query, toArrow, queryArrow, rawArrow, ipc, ipcBytes, columns }` (latencies).
 */
export async function measureArrow(conn, sql, limit, raw) {
  const arrow = await import('apache-arrow')
  const started = performance.now()
  const table = await conn.query(sql, { params: [limit], cache: false })
  // The same classes on both sides: sqlconn builds with the app's apache-arrow (this ESM import).
  if (!(table.toArrow() instanceof arrow.Table)) throw new Error('toArrow() is not a Table of the ESM apache-arrow')
  const ipcBytes = await drain(conn.streamArrowIPC(sql, { params: [limit] }))
  const tasks = {
    query: async () => {
      sink += (await conn.query(sql, { params: [limit], cache: false })).numRows
    },
    toArrow: () => {
      sink += table.toArrow().numRows
    },
    queryArrow: async () => {
      sink += (await conn.query(sql, { params: [limit], cache: false })).toArrow().numRows
    },
    rawArrow: async () => {
      sink += arrow.tableFromJSON(await raw(limit)).numRows
    },
    ipc: async () => {
      sink += await drain(conn.streamArrowIPC(sql, { params: [limit] }))
    },
  }
  // Quick mode: two calls each, no warm-up (the tableFromJSON side alone takes seconds per call).
  const options = QUICK ? { ...budget(ARROW_BUDGET), iterations: 2, warmupIterations: 0 } : ARROW_BUDGET
  const bench = new Bench({ name: `arrow ${limit}`, ...options })
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn, { async: fn instanceof AsyncFunction })
  await bench.run()
  const out = { limit, ipcBytes, columns: table.numCols }
  for (const name of Object.keys(tasks)) out[name] = latency(bench, name, limit)
  const ratio = out.toArrow.mean / out.query.mean
  console.error(
    `arrow ${fmtInt(limit)}: query ${fmtTime(out.query.mean)}, toArrow ${fmtTime(out.toArrow.mean)} (${ratio.toFixed(2)}x), ` +
      `query+toArrow ${fmtTime(out.queryArrow.mean)}, raw+tableFromJSON ${fmtTime(out.rawArrow.mean)}, ` +
      `streamArrowIPC ${fmtTime(out.ipc.mean)} (${elapsed(started)} s)`,
  )
  return out
}

/** Budget of one concurrency measurement: rounds (alternating the sides) of `ms` each. */
const CONCURRENCY = QUICK ? { rounds: 1, ms: 200, warmupMs: 50 } : { rounds: 5, ms: 2000, warmupMs: 500 }

/** Queries per second of `readers` loops each awaiting `fn()` back to back for `ms`. */
async function qps(fn, readers, ms) {
  let count = 0
  const started = performance.now()
  const end = started + ms
  await Promise.all(
    Array.from({ length: readers }, async () => {
      while (performance.now() < end) {
        await fn()
        count++
      }
    }),
  )
  return count / ((performance.now() - started) / 1000)
}

/**
 * Queries per second under `readers` concurrent readers, for each `{ name, raw, query }` of
 * `cases` (the raw pool's call and sqlconn's, both async functions). The two sides alternate over
 * `rounds` rounds after a warm-up; the median of the rounds is reported.
 * Returns `[{ name, rawQps, queryQps, ratio }]` and logs each case to stderr.
 */
export async function measureConcurrency(cases, readers = 20) {
  const out = []
  for (const c of cases) {
    const started = performance.now()
    await qps(c.raw, readers, CONCURRENCY.warmupMs)
    await qps(c.query, readers, CONCURRENCY.warmupMs)
    const raws = []
    const queries = []
    for (let r = 0; r < CONCURRENCY.rounds; r++) {
      // Alternating the order, so neither side always runs right after the other's garbage.
      if (r % 2 === 0) {
        raws.push(await qps(c.raw, readers, CONCURRENCY.ms))
        queries.push(await qps(c.query, readers, CONCURRENCY.ms))
      } else {
        queries.push(await qps(c.query, readers, CONCURRENCY.ms))
        raws.push(await qps(c.raw, readers, CONCURRENCY.ms))
      }
    }
    const rawQps = median(raws)
    const queryQps = median(queries)
    out.push({ name: c.name, readers, rawQps, queryQps, ratio: queryQps / rawQps, raws, queries })
    console.error(
      `${readers} readers, ${c.name}: raw ${fmtInt(rawQps)} q/s, query() ${fmtInt(queryQps)} q/s, ` +
        `${(queryQps / rawQps).toFixed(2)}x (${elapsed(started)} s)`,
    )
  }
  return out
}

/**
 * The two cases of `measureConcurrency()` every database bench runs, at 1,000 rows with the cache
 * off: `narrow` (two integer columns; its `name` says which types) and `wide` (12 columns). Each is
 * `{ sql, raw }`, `raw(limit)` giving the driver's rows on a pool as large as `conn`'s; a synchronous
 * driver's rows are not awaited, so its side pays no extra turn of the event loop.
 */
export function narrowAndWide(conn, { narrow, wide }) {
  const side = ({ sql, raw }) => ({
    raw: async () => {
      const rows = raw(1_000)
      sink += (rows instanceof Promise ? await rows : rows).length
    },
    query: async () => {
      sink += (await conn.query(sql, { params: [1_000], cache: false })).numRows
    },
  })
  return [
    { name: narrow.name, ...side(narrow) },
    { name: 'wide (1,000 rows x 12 columns)', ...side(wide) },
  ]
}

/** Budget of `pairedRatio()`: interleaved pairs of calls after warm-up pairs. */
const PAIRS = QUICK ? { pairs: 20, warmup: 5 } : { pairs: 3000, warmup: 300 }

/** `pairedRatio()`'s budget at 1,000 rows, where a pair takes milliseconds rather than microseconds. */
const THOUSAND_PAIRS = QUICK ? { pairs: 20, warmup: 5 } : { pairs: 1000, warmup: 100 }

/** `pairedRatio()`'s budget at 100,000 rows (a pair takes about a second on PostgreSQL), the heap collected before each call. */
const ALL_PAIRS = QUICK ? { pairs: 2, warmup: 1, collect: true } : { pairs: 15, warmup: 2, collect: true }

/**
 * `query()` / raw time as the median of per-pair ratios: `raw()` and `query()` (async functions)
 * are called back to back, in alternating order, `pairs` times after a warm-up. Each ratio compares
 * two calls made a few hundred microseconds apart, so a stall of the shared machine lands on both
 * sides of a pair or on one pair only, where separate tinybench runs of each side (seconds apart)
 * swung the one-row ratio by 0.3 from run to run.
 * Returns `{ ratio, rawP50, queryP50, pairs }` (times in ms) and logs it to stderr.
 */
async function pairedRatio(
  raw,
  query,
  { pairs = PAIRS.pairs, warmup = PAIRS.warmup, label = '', collect = false } = {},
) {
  const started = performance.now()
  for (let i = 0; i < warmup; i++) {
    await raw()
    await query()
  }
  const ratios = new Array(pairs)
  const raws = new Array(pairs)
  const queries = new Array(pairs)
  // With `collect`, the heap is collected (untimed) before each call: a call that makes tens of
  // megabytes of garbage would otherwise hand its collection to whichever side runs next.
  const clean = collect && typeof globalThis.gc === 'function' ? globalThis.gc : () => {}
  const timed = async (f) => {
    clean()
    const t0 = performance.now()
    await f()
    return performance.now() - t0
  }
  for (let i = 0; i < pairs; i++) {
    const queryFirst = (i & 1) === 1
    const first = await timed(queryFirst ? query : raw)
    const second = await timed(queryFirst ? raw : query)
    raws[i] = queryFirst ? second : first
    queries[i] = queryFirst ? first : second
    ratios[i] = queries[i] / raws[i]
  }
  const out = { ratio: median(ratios), rawP50: median(raws), queryP50: median(queries), pairs }
  console.error(
    `${label}paired: raw p50 ${fmtTime(out.rawP50)}, query() p50 ${fmtTime(out.queryP50)}, ` +
      `median of ${fmtInt(pairs)} per-pair ratios ${out.ratio.toFixed(3)}x (${elapsed(started)} s)`,
  )
  return out
}

/**
 * The paired ratios of the time targets (see `pairedRatio()`): `rawAt(limit)` (the driver's rows,
 * awaited when a promise) against `conn.query(sql)` with the cache off, at one row, at 1,000 rows
 * and at `rows` rows (the heap collected before each call there). Returns `{ oneRow, thousand, all }`.
 */
export async function pairedSizes(rawAt, conn, sql, rows) {
  const at = (limit, budget, label) =>
    pairedRatio(
      async () => {
        const got = rawAt(limit)
        sink += (got instanceof Promise ? await got : got).length
      },
      async () => {
        sink += (await conn.query(sql, { params: [limit], cache: false })).numRows
      },
      { ...budget, label },
    )
  const oneRow = await at(1, {}, 'limit 1 ')
  const thousand = await at(1_000, THOUSAND_PAIRS, 'limit 1,000 ')
  const all = await at(rows, ALL_PAIRS, `limit ${fmtInt(rows)} `)
  return { oneRow, thousand, all }
}

/** Budget of `measureConcurrencyPaired()`: pairs of slices of `ms` each. */
const CONCURRENCY_PAIRED = QUICK ? { pairs: 2, ms: 100, warmupMs: 50 } : { pairs: 40, ms: 250, warmupMs: 1000 }

/**
 * Like `measureConcurrency()`, with the ratio taken the way `pairedRatio()` takes it: `pairs` pairs
 * of short slices (one per side, in alternating order), the median of the per-pair ratios. Before
 * each slice the heap is collected (when node runs with `--expose-gc`): otherwise a side starts in
 * the garbage the other left and pays for its collection (mysql2's object rows made the side after
 * them up to 1.3x slower than the same pool measured after itself).
 * Returns `[{ name, readers, rawQps, queryQps, ratio, method }]` (`rawQps`/`queryQps` are medians)
 * and logs each case to stderr.
 */
export async function measureConcurrencyPaired(cases, readers = 20) {
  const { pairs, ms, warmupMs } = CONCURRENCY_PAIRED
  const clean = async () => {
    if (typeof globalThis.gc !== 'function') return
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const out = []
  for (const c of cases) {
    const started = performance.now()
    await qps(c.raw, readers, warmupMs)
    await qps(c.query, readers, warmupMs)
    const raws = []
    const queries = []
    const ratios = []
    for (let r = 0; r < pairs; r++) {
      let raw
      let query
      await clean()
      if (r % 2 === 0) raw = await qps(c.raw, readers, ms)
      else query = await qps(c.query, readers, ms)
      await clean()
      if (r % 2 === 0) query = await qps(c.query, readers, ms)
      else raw = await qps(c.raw, readers, ms)
      raws.push(raw)
      queries.push(query)
      ratios.push(query / raw)
    }
    const rawQps = median(raws)
    const queryQps = median(queries)
    const ratio = median(ratios)
    const method = `median of ${pairs} per-pair ratios, slices of ${ms} ms, sides alternating, heap collected before each slice`
    out.push({ name: c.name, readers, rawQps, queryQps, ratio, raws, queries, ratios, method })
    console.error(
      `${readers} readers, ${c.name}: raw ${fmtInt(rawQps)} q/s, query() ${fmtInt(queryQps)} q/s (medians), ` +
        `${ratio.toFixed(2)}x (median per-pair ratio; ${elapsed(started)} s)`,
    )
  }
  return out
}

/** The Arrow section of a report, from `measureArrow()`'s result. */
export function arrowSection(a) {
  const cell = (l) => `${fmtTime(l.mean)} ± ${l.rme.toFixed(1)}%<br>p50 ${fmtTime(l.p50)}`
  const rowsPerSec = a.limit / (a.ipc.p50 / 1000)
  const both = (x, y, digits) => `${(x.mean / y.mean).toFixed(digits)}x<br>p50 ${(x.p50 / y.p50).toFixed(digits)}x`
  return [
    `## Arrow (${fmtInt(a.limit)} rows x ${a.columns} columns, tinybench mean ± margin; median below; ${a.query.samplesCount} calls each)`,
    '',
    '| measured | time | ratio |',
    '|---|---:|---:|',
    tableRow(['`query()` cache off', cell(a.query), '']),
    tableRow(['`toArrow()` of that table (ratio: / `query()`)', cell(a.toArrow), both(a.toArrow, a.query, 3)]),
    tableRow(['`query()` + `toArrow()`', cell(a.queryArrow), '']),
    tableRow(['driver rows + apache-arrow `tableFromJSON(rows)`', cell(a.rawArrow), '']),
    tableRow(['`query()` + `toArrow()` / rows + `tableFromJSON`', '', both(a.queryArrow, a.rawArrow, 2)]),
    tableRow([
      '`streamArrowIPC()` read to the end',
      cell(a.ipc),
      `${fmtInt(rowsPerSec)} rows/s (p50), ${fmtBytes(a.ipcBytes)}`,
    ]),
    '',
  ]
}

/**
 * The target rows shared by the three databases: the Arrow ratios, the concurrent narrow readers,
 * and `query()` / raw at 1,000 and `rows` rows (≤ 1.0x); with `oneRowTarget`, at one row too
 * (≤ 1.10x). The time ratios come from `paired` (`pairedSizes()`'s result), with tinybench's p50
 * beside the 1,000- and `rows`-row ones. Arrow ratios are of median calls (p50): on a shared machine
 * a few calls caught behind another process move a mean by tens of percent, a median hardly at all.
 */
export function sharedTargets({ results, arrow, concurrency, rows, paired, oneRowTarget = false }) {
  const p50Ratio = (limit) => {
    const r = results.find((x) => x.limit === limit)
    return r.query.p50 / r.raw.p50
  }
  const out = []
  if (oneRowTarget) {
    const r = paired.oneRow.ratio
    out.push([
      `\`query()\` / raw at 1 row ≤ 1.10x (median of ${fmtInt(paired.oneRow.pairs)} interleaved pairs)`,
      `${r.toFixed(2)}x`,
      yesNo(r <= 1.1),
    ])
  }
  for (const [limit, at] of [
    [1_000, paired.thousand],
    [rows, paired.all],
  ]) {
    out.push(
      [
        `\`query()\` / raw at ${fmtInt(limit)} rows ≤ 1.0x (median of ${fmtInt(at.pairs)} interleaved pairs)`,
        `${at.ratio.toFixed(2)}x`,
        yesNo(at.ratio <= 1),
      ],
      [
        `\`query()\` / raw at ${fmtInt(limit)} rows, tinybench p50 (informational)`,
        `${p50Ratio(limit).toFixed(2)}x`,
        '',
      ],
    )
  }
  const toArrow = arrow.toArrow.p50 / arrow.query.p50
  const viaArrow = arrow.queryArrow.p50 / arrow.rawArrow.p50
  out.push(
    [
      `\`toArrow()\` / cold \`query()\` (${fmtInt(arrow.limit)} x ${arrow.columns}) ≤ 0.15x (p50)`,
      `${toArrow.toFixed(3)}x`,
      yesNo(toArrow <= 0.15),
    ],
    [
      '`query()` + `toArrow()` / driver rows + `tableFromJSON` ≤ 0.4x (p50)',
      `${viaArrow.toFixed(2)}x`,
      yesNo(viaArrow <= 0.4),
    ],
    ['`streamArrowIPC()` throughput (informational)', `${fmtInt(arrow.limit / (arrow.ipc.p50 / 1000))} rows/s`, ''],
  )
  for (const c of concurrency) {
    const narrow = c.name.startsWith('narrow')
    out.push([
      `${c.readers} readers, ${c.name}: \`query()\` q/s / raw${narrow ? ' ≥ 1.0x' : ' (informational)'}`,
      `${c.ratio.toFixed(2)}x`,
      narrow ? yesNo(c.ratio >= 1) : '',
    ])
  }
  return out
}

/** The concurrency section of a report, from `measureConcurrency()`'s result. */
export function concurrencySection(results, rawLabel) {
  const lines = [
    `## Concurrent readers (queries per second, cache off; ${results[0]?.method ?? `median of ${CONCURRENCY.rounds} rounds of ${CONCURRENCY.ms} ms, sides alternating`})`,
    '',
    `| result | readers | ${rawLabel} | \`query()\` | \`query()\` / raw |`,
    '|---|---:|---:|---:|---:|',
  ]
  for (const r of results) {
    lines.push(tableRow([r.name, r.readers, fmtInt(r.rawQps), fmtInt(r.queryQps), `${r.ratio.toFixed(2)}x`]))
  }
  lines.push('')
  return lines
}

// ---------------------------------------------------------------------------------------------
// Report

/**
 * The figures the targets are read from: `one` and `big` (the results at 1 and at `rows` rows),
 * `overheadUs` (`query()` − raw at 1 row, in µs), `speedRatio` (`query()` / raw at `rows`),
 * `hitPct` (cache hit / `query()` at `rows`, in %, if there is a hit) and `memRatio` (RowTable /
 * raw rows retained at `rows`).
 */
export function headline(results, memory, rows) {
  const one = results.find((r) => r.limit === 1)
  const big = results.find((r) => r.limit === rows)
  const bigMem = memory.find((m) => m.limit === rows)
  return {
    one,
    big,
    overheadUs: (one.query.mean - one.raw.mean) * 1000,
    speedRatio: big.query.mean / big.raw.mean,
    hitPct: big.hit && (big.hit.mean / big.query.mean) * 100,
    memRatio: bigMem.tableBytes / bigMem.rawBytes,
  }
}

/** The first lines of a report: the title, the date and the Node version. */
function reportHeader(title) {
  return [
    `# ${title}`,
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Node: ${process.version} (${process.platform} ${process.arch}), V8 ${process.versions.v8}`,
  ]
}

/** A markdown table row of the given cells. */
const tableRow = (cells) => `| ${cells.join(' | ')} |`

/**
 * The time section: per size raw, `query()` (cache off), their ratio and difference (formatted by
 * `delta`), the cache hit and its share when the results have one, and the sample counts.
 */
function timeTable(results, { rawLabel, delta = fmtDelta }) {
  const hit = results.every((r) => r.hit)
  const cell = (l) => `${fmtTime(l.mean)} ± ${l.rme.toFixed(1)}%<br>p50 ${fmtTime(l.p50)}`
  const head = ['rows', rawLabel, '`query()` cache off', '`query()` / raw', '`query()` − raw']
  if (hit) head.push('cache hit', 'hit / `query()`', 'samples (raw/query/hit)')
  else head.push('samples (raw/query)')
  const lines = ['## Time (tinybench: mean ± relative margin of error; median below)', '']
  lines.push(tableRow(head), `|${'---:|'.repeat(head.length)}`)
  for (const r of results) {
    const cells = [
      fmtInt(r.limit),
      cell(r.raw),
      cell(r.query),
      `${(r.query.mean / r.raw.mean).toFixed(2)}x<br>p50 ${(r.query.p50 / r.raw.p50).toFixed(2)}x`,
      delta(r.query.mean - r.raw.mean),
    ]
    if (hit) {
      const hitShare = r.hit.mean / r.query.mean
      cells.push(cell(r.hit), `${(hitShare * 100).toFixed(hitShare < 0.01 ? 3 : 1)}%`)
      cells.push(`${r.raw.samplesCount}/${r.query.samplesCount}/${r.hit.samplesCount}`)
    } else {
      cells.push(`${r.raw.samplesCount}/${r.query.samplesCount}`)
    }
    lines.push(tableRow(cells))
  }
  lines.push('')
  return lines
}

/** The retained-memory section: per size raw rows and RowTable, per row, and their ratio. */
function memoryTable(memory) {
  const lines = [
    `## Retained memory (heapUsed + arrayBuffers after gc, held minus released, median of ${MEMORY_REPEATS})`,
    '',
    '| rows | raw row objects | RowTable | bytes/row raw | bytes/row RowTable | RowTable / raw |',
    '|---:|---:|---:|---:|---:|---:|',
  ]
  for (const m of memory) {
    lines.push(
      tableRow([
        fmtInt(m.limit),
        fmtBytes(m.rawBytes),
        fmtBytes(m.tableBytes),
        (m.rawBytes / m.limit).toFixed(0),
        (m.tableBytes / m.limit).toFixed(0),
        `${(m.tableBytes / m.rawBytes).toFixed(2)}x`,
      ]),
    )
  }
  lines.push('')
  return lines
}

/** The targets section, from `[target, measured, verdict]` rows (verdict `yesNo(…)`, or '' for none). */
function targetsTable(targets) {
  const lines = ['## Targets', '', '| target | measured | |', '|---|---:|---|']
  for (const [target, measured, verdict] of targets)
    lines.push(`| ${target} | ${measured} |${verdict ? ` ${verdict} ` : ' '}|`)
  lines.push('')
  return lines
}

const QUICK_NOTE =
  '> Quick run (`SQLCONN_BENCH_QUICK=1`): a smoke test with tiny budgets; these numbers are not a measurement.'

/**
 * Prints the report (lines joined by newlines) and writes it to `file` in bench/; in quick mode a
 * note saying so goes under the title.
 */
export function writeReport(file, lines) {
  const report = (QUICK ? [lines[0], '', QUICK_NOTE, ...lines.slice(1)] : lines).join('\n')
  console.log(report)
  writeFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), file), report)
  if (sink < 0) console.log(sink)
}

/**
 * Writes a database report (see `writeReport`): `title`, the `info` lines (machine, server, data,
 * query), the time table (`rawLabel` heads the raw column, `delta` formats `query()` − raw), the
 * retained-memory table, the `sections` (lines, such as `arrowSection()`'s) and the `targets` table
 * (`[target, measured, verdict]` rows).
 */
export function writeResults(file, { title, info, results, memory, rawLabel, delta, sections = [], targets }) {
  writeReport(file, [
    ...reportHeader(title),
    ...info,
    '',
    ...timeTable(results, { rawLabel, delta }),
    ...memoryTable(memory),
    ...sections,
    ...targetsTable(targets),
  ])
}
