import { AsyncLocalStorage } from 'node:async_hooks'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Counter, Span, Tracer } from '@opentelemetry/api'
import type { CompiledSql, ConnectionEvents } from './contract.js'
import type { ResolvedConfig } from './resolved-config.js'

type OTel = typeof import('@opentelemetry/api')

/** The instrumentation scope of sqlconn's spans and metrics. */
export const INSTRUMENTATION_SCOPE = '@sqlconn/core'

/** The part of a connection tracing reads: its identity and events. */
export interface Traced {
  readonly name: string
  readonly config: ResolvedConfig
  readonly db: unknown
  on<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): unknown
}

/** The query argument: SQL text or something Kysely compiles. */
type QueryArg = string | { compile(executor?: unknown): CompiledSql }

// undefined: not looked for yet; null: not installed, so tracing costs one null check per query.
let api: OTel | null | undefined

/** Where @opentelemetry/api 1.x keeps what an SDK registers (providers, context manager). */
const REGISTRY = Symbol.for('opentelemetry.js.api.1')

/**
 * @opentelemetry/api if the app has it (it is an optional peer): from core's location, else from the
 * project. Looked for once. Copies of the API share one global registry, so either finds the app's SDK.
 */
function otel(): OTel | null {
  if (api !== undefined) return api
  // Until an SDK registers something there is nowhere to report to: the API is not even loaded
  // (it costs ~30 ms at start-up), and this check runs again on the next query.
  if ((globalThis as Record<symbol, unknown>)[REGISTRY] === undefined) return null
  api = null
  for (const from of [import.meta.url, path.join(process.cwd(), 'package.json')]) {
    try {
      api = createRequire(from)('@opentelemetry/api') as OTel
      break
    } catch {}
  }
  return api
}

interface Instruments {
  readonly api: OTel
  readonly tracer: Tracer
  readonly hits: Counter
  readonly misses: Counter
  readonly errors: Counter
}

let instruments: Instruments | undefined
let instrumentsProvider: unknown

/** The tracer and cache counters, made again when the app registers another meter provider. */
function getInstruments(o: OTel): Instruments {
  const provider = o.metrics.getMeterProvider()
  if (!instruments || provider !== instrumentsProvider) {
    const meter = o.metrics.getMeter(INSTRUMENTATION_SCOPE)
    instruments = {
      api: o,
      // The global tracer is a proxy: spans reach an SDK registered after this call too.
      tracer: o.trace.getTracer(INSTRUMENTATION_SCOPE),
      hits: meter.createCounter('sqlconn.cache.hits', { description: 'query() results served from the cache.' }),
      misses: meter.createCounter('sqlconn.cache.misses', {
        description: 'query() calls that looked in the cache and ran the query.',
      }),
      errors: meter.createCounter('sqlconn.cache.errors', {
        description: 'Cache store operations that failed or timed out (the query went to the database).',
      }),
    }
    instrumentsProvider = provider
  }
  return instruments
}

/** What a traced query() learns while it runs, from the connection's events. */
interface QueryTrace {
  readonly span: Span
  hit?: boolean
  tier?: string
}

const current = new AsyncLocalStorage<QueryTrace>()
const listening = new WeakSet<object>()

/** OpenTelemetry's `db.system.name` for sqlconn's type names. */
const SYSTEM: Readonly<Record<string, string>> = {
  postgres: 'postgresql',
  postgresql: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mariadb',
  sqlite: 'sqlite',
}

/** The error's most specific code: the driver's (`42P01`, `ER_NO_SUCH_TABLE`), else sqlconn's, else its class. */
function errorType(err: unknown): string {
  const e = err as { driverCode?: unknown; code?: unknown; name?: unknown; cause?: { code?: unknown } }
  for (const c of [e?.driverCode, e?.cause?.code, e?.code]) if (typeof c === 'string' && c) return c
  return typeof e?.name === 'string' ? e.name : 'Error'
}

/** Hooks the connection's events once: cache counters, and retries and resets as events of the running span. */
function listen(conn: Traced, typeName: string, i: Instruments): void {
  if (listening.has(conn)) return
  listening.add(conn)
  const attrs = { 'db.system.name': SYSTEM[typeName] ?? typeName, 'sqlconn.connection': conn.name }
  conn.on('query', (e) => {
    const tier = (e as { tier?: string }).tier
    const t = current.getStore()
    if (t) {
      t.hit = e.cached
      t.tier = tier
    }
    // Only calls that looked in the cache count: cache: false and ttl: 0 are neither.
    if (e.cached) getInstruments(i.api).hits.add(1, attrs)
    else if (tier !== undefined) getInstruments(i.api).misses.add(1, attrs)
  })
  conn.on('cacheError', () => {
    getInstruments(i.api).errors.add(1, attrs)
    current.getStore()?.span.addEvent('sqlconn.cache.error')
  })
  conn.on('retry', ({ attempt, error }) => {
    current
      .getStore()
      ?.span.addEvent('sqlconn.retry', { 'sqlconn.retry.attempt': attempt, 'error.type': errorType(error) })
  })
  conn.on('reset', ({ reason }) => {
    current.getStore()?.span.addEvent('sqlconn.reset', { 'sqlconn.reset.reason': reason })
  })
}

const OPERATION = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*\(?\s*([a-z]+)/i
const SINGLE_OPERATIONS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CALL', 'REPLACE', 'UPSERT'])

/**
 * SQL text safe to record: placeholders stay, and when the query carries no parameters the literals
 * written into it (strings, numbers) become `?`, as OpenTelemetry asks of non-parameterized text.
 */
export function queryText(sql: string, parameterized: boolean, backslashEscapes = false): string {
  if (parameterized) return sql
  const string = backslashEscapes ? /'(?:[^'\\]|\\.|'')*'/g : /'(?:[^']|'')*'/g
  return sql.replace(string, '?').replace(/(?<![\w$:.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w$])/gi, '?')
}

/** The span's attributes known before it runs. */
function baseAttributes(
  conn: Traced,
  typeName: string,
  query: QueryArg,
  params: unknown,
  compiled: CompiledSql | undefined,
): Record<string, string | number> {
  const attrs: Record<string, string | number> = { 'db.system.name': SYSTEM[typeName] ?? typeName }
  let config: ResolvedConfig | undefined
  try {
    config = conn.config
  } catch {
    // A config error reaches the caller from the query itself; the span goes without these.
  }
  const database = config?.get('database') ?? config?.get('filename') ?? config?.get('path')
  if (typeof database === 'string' && database !== '') attrs['db.namespace'] = database
  const host = config?.get('host')
  if (typeof host === 'string' && host !== '') attrs['server.address'] = host
  const port = config?.get('port')
  if (typeof port === 'number') attrs['server.port'] = port
  let sql: string | undefined
  try {
    // A builder or `sql` template compiles with its values as parameters, never in the text.
    sql = typeof query === 'string' ? query : (compiled ?? query.compile(conn.db)).sql
  } catch {}
  if (sql !== undefined) {
    const parameterized = typeof query !== 'string' || (params !== undefined && params !== null)
    attrs['db.query.text'] = queryText(sql, parameterized, typeName === 'mysql' || typeName === 'mariadb')
    const op = OPERATION.exec(sql)?.[1]?.toUpperCase()
    if (op && SINGLE_OPERATIONS.has(op)) attrs['db.operation.name'] = op
  }
  return attrs
}

function failed(span: Span, o: OTel, err: unknown): void {
  const type = errorType(err)
  span.setAttribute('error.type', type)
  const driverCode = (err as { driverCode?: unknown })?.driverCode
  if (typeof driverCode === 'string') span.setAttribute('db.response.status_code', driverCode)
  // No description: a driver's message can quote a value (`invalid input syntax for type integer: "..."`).
  span.setStatus({ code: o.SpanStatusCode.ERROR })
}

function startSpan(
  i: Instruments,
  conn: Traced,
  typeName: string,
  query: QueryArg,
  params: unknown,
  compiled?: CompiledSql,
): Span | undefined {
  const span = i.tracer.startSpan(SYSTEM[typeName] ?? typeName, { kind: i.api.SpanKind.CLIENT })
  if (!span.isRecording()) {
    span.end()
    return undefined
  }
  const attrs = baseAttributes(conn, typeName, query, params, compiled)
  span.setAttributes(attrs)
  // The span name: `{db.operation.name}` when the query is one operation, else `{db.system.name}`.
  if (attrs['db.operation.name']) span.updateName(String(attrs['db.operation.name']))
  return span
}

/**
 * Runs one `query()` inside a CLIENT span on OpenTelemetry's database conventions, when the app
 * has @opentelemetry/api; otherwise just runs it. Parameter values are never recorded.
 */
export function traceQuery<T extends { readonly numRows: number }>(
  conn: Traced,
  typeName: string,
  query: QueryArg,
  params: unknown,
  run: (compiled?: CompiledSql) => Promise<T>,
): Promise<T> {
  const o = otel()
  // Without OpenTelemetry the query's own promise, not one more around it.
  return o ? tracedQuery(o, conn, typeName, query, params, run) : run()
}

async function tracedQuery<T extends { readonly numRows: number }>(
  o: OTel,
  conn: Traced,
  typeName: string,
  query: QueryArg,
  params: unknown,
  run: (compiled?: CompiledSql) => Promise<T>,
): Promise<T> {
  const i = getInstruments(o)
  listen(conn, typeName, i)
  // A builder is compiled once, here: the span's text and the query it runs share it. A query that
  // does not compile is left to `run`, whose typed error the span then records.
  let compiled: CompiledSql | undefined
  if (typeof query !== 'string') {
    try {
      compiled = query.compile(conn.db)
    } catch {}
  }
  const span = startSpan(i, conn, typeName, query, params, compiled)
  if (!span) return run(compiled)
  const trace: QueryTrace = { span }
  try {
    // The span is the active one while the driver runs, so pg's or mysql2's own spans nest in it.
    const table = await current.run(trace, () =>
      o.context.with(o.trace.setSpan(o.context.active(), span), () => run(compiled)),
    )
    span.setAttribute('db.response.returned_rows', table.numRows)
    span.setAttribute('sqlconn.cache.hit', trace.hit === true)
    if (trace.tier) span.setAttribute('sqlconn.cache.tier', trace.tier)
    return table
  } catch (err) {
    failed(span, o, err)
    throw err
  } finally {
    span.end()
  }
}

/** Wraps one `stream()` in a span that ends when the stream does, with the rows it yielded. */
export function traceStream<T extends { readonly numRows: number }>(
  conn: Traced,
  typeName: string,
  query: QueryArg,
  params: unknown,
  stream: AsyncGenerator<T, void, undefined>,
): AsyncGenerator<T, void, undefined> {
  const o = otel()
  if (!o) return stream
  const i = getInstruments(o)
  listen(conn, typeName, i)
  return (async function* () {
    const span = startSpan(i, conn, typeName, query, params)
    if (!span) return yield* stream
    let rows = 0
    try {
      for await (const chunk of stream) {
        rows += chunk.numRows
        yield chunk
      }
    } catch (err) {
      failed(span, o, err)
      throw err
    } finally {
      span.setAttribute('db.response.returned_rows', rows)
      span.end()
    }
  })()
}
