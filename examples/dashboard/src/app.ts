// The dashboard's HTTP side: a Hono app whose endpoints answer with Arrow IPC stream bytes.
//
// Hono rather than Fastify: its handlers take a web Request and return a web Response, which is
// exactly what sqlconn's Arrow API produces (bytes from `toArrowIPC()`, a web ReadableStream from
// `streamArrowIPC()`), so nothing is adapted in between; the same app runs on Node, Bun, Deno or a
// worker; and `app.request()` exercises every endpoint in a test without opening a socket.
import { AsyncLocalStorage } from 'node:async_hooks'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { SqlConnection } from '@sqlconn/core'
import { type Context, Hono } from 'hono'
import { BY_MONTH_SQL, BY_PRODUCT_SQL, EXPORT_SQL, REGIONS_SQL, TOP_LINES_SQL } from './queries.ts'

/** The media type of the Arrow IPC stream format. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream'
/** How long a chart's result is served from the cache: the shop's history does not change. */
export const CHART_TTL = '10m'
/** The region list decides what input is valid; it changes only when the data is reseeded. */
export const REGIONS_TTL = '1h'

/** A request the dashboard cannot answer as asked: a 400 with a message a person can act on. */
export class BadParameterError extends Error {
  readonly code = 'BAD_PARAMETER'
  /** The query-string parameter at fault. */
  readonly parameter: string
  constructor(parameter: string, message: string) {
    super(message)
    this.name = 'BadParameterError'
    this.parameter = parameter
  }
}

/** The filter the page's controls set, after validation. */
export interface Filter {
  region: string
  from: string
  to: string
}

interface QueryOutcome {
  cached: boolean
  durationMs: number
}

/** What one `query()` call reported in its `query` event, kept per request (see `queryArrow`). */
const outcome = new AsyncLocalStorage<Partial<QueryOutcome>>()
const listening = new WeakSet<SqlConnection>()

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/

function parseDay(name: string, value: string): string {
  // A real calendar day: 2025-02-30 matches the pattern but is not one.
  if (!ISO_DAY.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new BadParameterError(name, `${name} must be a date written YYYY-MM-DD, such as 2025-03-31; got "${value}".`)
  }
  return value
}

function allowOnly(query: Record<string, string[]>, allowed: string[]): void {
  for (const [name, values] of Object.entries(query)) {
    if (!allowed.includes(name)) {
      throw new BadParameterError(name, `Unknown parameter "${name}": this endpoint takes ${allowed.join(', ')}.`)
    }
    if (values.length > 1) throw new BadParameterError(name, `Give ${name} once; it was given ${values.length} times.`)
  }
}

/** Creates the app on a ready connection (the server passes `connection('shop')`; tests too). */
export function createApp(conn: SqlConnection, options: { publicDir: string }): Hono {
  if (!listening.has(conn)) {
    listening.add(conn)
    // The event fires inside query(), in the async context of the call that ran it, so the
    // AsyncLocalStorage store is that request's own even when requests overlap.
    conn.on('query', (e) => {
      const store = outcome.getStore()
      if (store) Object.assign(store, { cached: e.cached, durationMs: e.durationMs })
    })
  }

  /** Runs a cached query and answers with its Arrow IPC bytes and how it was served. */
  async function queryArrow(sql: string, params: Record<string, unknown>, ttl: string): Promise<Response> {
    const seen: Partial<QueryOutcome> = {}
    const table = await outcome.run(seen, () => conn.query(sql, { params, ttl }))
    const ms = (seen.durationMs ?? 0).toFixed(3)
    const cache = seen.cached ? 'hit' : 'miss'
    // toArrowIPC() returns a plain Uint8Array; TypeScript's BodyInit wants its buffer named.
    return new Response(table.toArrowIPC() as Uint8Array<ArrayBuffer>, {
      headers: {
        'content-type': ARROW_STREAM,
        'cache-control': 'no-store',
        'x-sqlconn-cache': cache,
        'x-query-ms': ms,
        'server-timing': `query;dur=${ms};desc="cache ${cache}"`,
      },
    })
  }

  async function regions() {
    const t = await conn.query<{ region: string; first_day: string; last_day: string }>(REGIONS_SQL, {
      ttl: REGIONS_TTL,
    })
    return t.toArray()
  }

  /** Reads region, from and to from the URL; each may be left out (all regions, all days). */
  async function filterOf(c: Context, extra: string[] = []): Promise<Filter> {
    allowOnly(c.req.queries(), ['region', 'from', 'to', ...extra])
    const known = await regions()
    const region = c.req.query('region') ?? 'all'
    if (region !== 'all' && !known.some((r) => r.region === region)) {
      const names = ['all', ...known.map((r) => r.region)]
      throw new BadParameterError(
        'region',
        `Unknown region "${region}": choose ${names.slice(0, -1).join(', ')} or ${names.at(-1)}.`,
      )
    }
    // ISO days sort as text: the first and last of them bound the data.
    const days = known.flatMap((r) => [r.first_day, r.last_day]).sort()
    const firstDay = days[0] ?? '0000-01-01'
    const lastDay = days.at(-1) ?? '9999-12-31'
    const from = parseDay('from', c.req.query('from') ?? firstDay)
    const to = parseDay('to', c.req.query('to') ?? lastDay)
    if (from > to) throw new BadParameterError('from', `from (${from}) is after to (${to}): swap them.`)
    return { region, from, to }
  }

  const app = new Hono()

  app.get('/api/regions', async (c) => {
    allowOnly(c.req.queries(), [])
    return queryArrow(REGIONS_SQL, {}, REGIONS_TTL)
  })
  app.get('/api/revenue-by-month', async (c) => queryArrow(BY_MONTH_SQL, { ...(await filterOf(c)) }, CHART_TTL))
  app.get('/api/revenue-by-product', async (c) => queryArrow(BY_PRODUCT_SQL, { ...(await filterOf(c)) }, CHART_TTL))
  app.get('/api/top-lines', async (c) => {
    const filter = await filterOf(c, ['limit'])
    const text = c.req.query('limit') ?? '10'
    const limit = Number(text)
    if (!/^\d+$/.test(text) || limit < 1 || limit > 100) {
      throw new BadParameterError('limit', `limit must be a whole number from 1 to 100; got "${text}".`)
    }
    return queryArrow(TOP_LINES_SQL, { ...filter, limit }, CHART_TTL)
  })
  // The raw lines of a filter, for the page's download link: read from a cursor and sent batch by
  // batch as the client reads, so a large export never sits in memory (and is never cached).
  app.get('/api/order-lines.arrow', async (c) => {
    const filter = await filterOf(c)
    const body = conn.streamArrowIPC(EXPORT_SQL, { params: { ...filter }, batchSize: 20_000 })
    // No x-query-ms: the headers leave before the query has run to its end.
    return new Response(body, {
      headers: {
        'content-type': ARROW_STREAM,
        'content-disposition': `attachment; filename="order-lines-${filter.region}-${filter.from}-${filter.to}.arrow"`,
        'cache-control': 'no-store',
        'x-sqlconn-cache': 'none',
      },
    })
  })

  // The page: the files esbuild wrote, by name (no path from the request reaches the file system).
  const files: Record<string, [string, string]> = {
    '/': ['index.html', 'text/html; charset=utf-8'],
    '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
    '/app.css': ['app.css', 'text/css; charset=utf-8'],
    '/app.js.map': ['app.js.map', 'application/json'],
  }
  for (const [route, [name, type]] of Object.entries(files)) {
    app.get(route, async (c) => {
      try {
        return c.body(await readFile(path.join(options.publicDir, name)), 200, { 'content-type': type })
      } catch {
        return c.text(`${name} is not built yet: run \`pnpm build\` in examples/dashboard.`, 503)
      }
    })
  }

  app.notFound((c) => c.json({ error: `No such page: ${c.req.path}` }, 404))
  app.onError((err, c) => {
    if (err instanceof BadParameterError) {
      return c.json({ error: err.message, code: err.code, parameter: err.parameter }, 400)
    }
    // sqlconn's errors carry no secret, but the SQL and driver detail are for the server's log.
    console.error(err)
    return c.json({ error: 'The query failed; the server log has the details.', code: 'QUERY_FAILED' }, 500)
  })
  return app
}
