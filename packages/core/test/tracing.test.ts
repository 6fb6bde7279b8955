import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { closeAll, connection, type SqlConnection } from '../src/index.js'
import { NodeSqliteConnection } from './fixtures/node-sqlite-adapter.js'

/** A reader the test pulls from: cumulative sums of sqlconn's counters. */
class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter()
const reader = new PullReader()
let dir: string
let file: string

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }))
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
  dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-tracing-'))
  file = path.join(dir, 'shop.db')
  const db = new DatabaseSync(file)
  db.exec(
    "create table pets (id integer primary key, name text, owner text); insert into pets (name, owner) values ('rex', 'jane'), ('tom', 'joe'), ('kit', 'jane')",
  )
  db.close()
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeEach(() => spans.reset())
afterEach(() => closeAll())

let seq = 0
/** A fresh connection (own name, own in-memory cache) to the seeded file. */
const open = (options: Record<string, unknown> = {}) =>
  connection<SqlConnection>(`shop${++seq}`, {
    type: NodeSqliteConnection,
    path: file,
    cache: { maxEntries: 10 },
    ...options,
  })

/** The counter's total for connection `name`. */
async function counter(metric: string, name: string): Promise<number> {
  const { resourceMetrics } = await reader.collect()
  let sum = 0
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const m of scope.metrics) {
      if (m.descriptor.name !== metric) continue
      for (const p of m.dataPoints) if (p.attributes['sqlconn.connection'] === name) sum += p.value as number
    }
  }
  return sum
}

const only = (): ReadableSpan => {
  const finished = spans.getFinishedSpans()
  expect(finished).toHaveLength(1)
  return finished[0]!
}

describe('OpenTelemetry tracing', () => {
  it('a cache miss is a CLIENT span named for its operation, on the database conventions', async () => {
    const conn = await open()
    const sql = 'select name from pets where owner = :owner order by id'
    await conn.query(sql, { params: { owner: 'jane' } })
    const span = only()
    expect(span.name).toBe('SELECT')
    expect(span.kind).toBe(SpanKind.CLIENT)
    expect(span.instrumentationScope.name).toBe('@sqlconn/core')
    expect(span.attributes).toEqual({
      'db.system.name': 'node-sqlite',
      'db.namespace': file,
      'db.query.text': sql,
      'db.operation.name': 'SELECT',
      'db.response.returned_rows': 2,
      'sqlconn.cache.hit': false,
      'sqlconn.cache.tier': 'memory',
    })
    expect(await counter('sqlconn.cache.misses', conn.name)).toBe(1)
  })

  it('a cache hit is marked on its span and counted as a hit', async () => {
    const conn = await open()
    await conn.query('select count(*) as n from pets')
    spans.reset()
    await conn.query('select count(*) as n from pets')
    expect(only().attributes).toMatchObject({
      'sqlconn.cache.hit': true,
      'sqlconn.cache.tier': 'memory',
      'db.response.returned_rows': 1,
    })
    expect(await counter('sqlconn.cache.hits', conn.name)).toBe(1)
    expect(await counter('sqlconn.cache.misses', conn.name)).toBe(1)
  })

  it('a read retried after SQLITE_BUSY carries retry and reset events on its one span', async () => {
    // Another handle holds the write lock (a real SQLITE_BUSY, no fake) until the read is retried.
    const locker = new DatabaseSync(file)
    locker.exec('begin exclusive')
    const release = () => {
      if (locker.isTransaction) locker.exec('rollback')
    }
    try {
      const conn = await open({ timeout: 0 })
      conn.on('retry', release)
      const t = await conn.query('select id from pets', { cache: false })
      expect(t.numRows).toBe(3)
    } finally {
      release()
      locker.close()
    }
    const span = only()
    const names = span.events.map((e) => e.name)
    expect(names).toContain('sqlconn.retry')
    expect(names).toContain('sqlconn.reset')
    expect(span.events.find((e) => e.name === 'sqlconn.retry')?.attributes?.['sqlconn.retry.attempt']).toBe(1)
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR)
  })

  it("a SQL error sets error.type and the ERROR status, without the driver's message", async () => {
    const conn = await open()
    await expect(conn.query("select * from no_such_table where name = 'x'")).rejects.toThrow(/no_such_table/)
    const span = only()
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR })
    expect(span.attributes['error.type']).toMatch(/ERR_SQLITE_ERROR|QUERY_FAILED/)
    expect(span.attributes['db.query.text']).toBe('select * from no_such_table where name = ?')
    expect(span.events).toEqual([])
  })

  it('no parameter value, inlined literal or secret appears in any attribute or event', async () => {
    const conn = await open()
    await conn.query('select :secret as s', { params: { secret: 'param-VALUE-4417' } })
    await conn.query("select 'inline-VALUE-4417' as s, 4417 as n")
    await conn.query('select ? as s', { params: ['array-VALUE-4417'] })
    for await (const _ of conn.stream('select :v as s', { params: { v: 'stream-VALUE-4417' } })) {
    }
    const finished = spans.getFinishedSpans()
    expect(finished).toHaveLength(4)
    const recorded = JSON.stringify(finished.map((s) => [s.name, s.attributes, s.events]))
    expect(recorded).not.toContain('4417')
    expect(finished.map((s) => s.attributes['db.query.text'])).toEqual([
      'select :secret as s',
      'select ? as s, ? as n',
      'select ? as s',
      'select :v as s',
    ])
  })

  it('a Kysely builder is compiled once: its span shows the compiled text, never the values', async () => {
    const conn = await open()
    const builder = conn.db.selectFrom('pets').select('name').where('owner', '=', 'jane').orderBy('id')
    let compiles = 0
    const counted = {
      compile: () => {
        compiles++
        return builder.compile()
      },
    }
    const t = await conn.query(counted, { cache: false })
    expect(t.toArray()).toEqual([{ name: 'rex' }, { name: 'kit' }])
    expect(compiles).toBe(1)
    const attrs = only().attributes
    expect(attrs['db.query.text']).toBe(builder.compile().sql)
    expect(String(attrs['db.query.text'])).not.toContain('jane')
  })

  it('a stream is one span that ends with the rows it yielded', async () => {
    const conn = await open()
    let chunks = 0
    for await (const _ of conn.stream('select * from pets', { chunkSize: 2 })) chunks++
    expect(chunks).toBe(2)
    expect(only().attributes).toMatchObject({ 'db.operation.name': 'SELECT', 'db.response.returned_rows': 3 })
  })
})
