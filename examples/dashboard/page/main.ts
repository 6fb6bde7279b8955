// The page: reads the filter from its controls (and the URL, so a view can be shared), fetches each
// panel's Arrow IPC from the server, decodes it with apache-arrow and draws it with Observable Plot.
// esbuild bundles this file with both libraries at build time; the page loads nothing from elsewhere.
import * as Plot from '@observablehq/plot'
import { type Table, tableFromIPC } from 'apache-arrow'

interface Filter {
  region: string
  from: string
  to: string
}

interface ArrowReply {
  table: Table
  cache: string
  ms: number
  bytes: number
}

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })
const whole = new Intl.NumberFormat('en-US')
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T
const regionSelect = $<HTMLSelectElement>('#region')
const fromInput = $<HTMLInputElement>('#from')
const toInput = $<HTMLInputElement>('#to')
const errorBox = $<HTMLDivElement>('#error')
const download = $<HTMLAnchorElement>('#download')

/** The server's message for a 4xx/5xx (a JSON `{ error }`), else the HTTP status. */
class ReplyError extends Error {}

/** Fetches one endpoint and decodes its Arrow IPC stream into a Table. */
async function fetchArrow(path: string, params: Record<string, string> = {}): Promise<ArrowReply> {
  const query = new URLSearchParams(params).toString()
  const res = await fetch(query ? `${path}?${query}` : path)
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: string } | null
    throw new ReplyError(body?.error ?? `${path} answered HTTP ${res.status} ${res.statusText}.`)
  }
  const bytes = new Uint8Array(await res.arrayBuffer())
  return {
    table: tableFromIPC(bytes),
    cache: res.headers.get('x-sqlconn-cache') ?? 'unknown',
    ms: Number(res.headers.get('x-query-ms')),
    bytes: bytes.byteLength,
  }
}

function describe(reply: ArrowReply): string {
  return `${whole.format(reply.table.numRows)} rows · cache ${reply.cache} · query ${reply.ms.toFixed(1)} ms · ${whole.format(reply.bytes)} bytes of Arrow`
}

function panel(id: string) {
  const section = $<HTMLElement>(`#${id}`)
  return {
    section,
    chart: section.querySelector('.chart') as HTMLDivElement,
    meta: section.querySelector('.meta') as HTMLParagraphElement,
  }
}

function drawByMonth(reply: ArrowReply): void {
  const { chart, meta } = panel('by-month')
  const months = reply.table.toArray().map((r) => ({
    month: String(r.month),
    date: new Date(`${r.month}-01T00:00:00Z`),
    revenue: Number(r.revenue),
  }))
  chart.replaceChildren(
    Plot.plot({
      width: chart.clientWidth || 1000,
      height: 280,
      marginLeft: 60,
      x: { type: 'utc', label: null },
      y: { grid: true, label: 'Revenue ($)', tickFormat: '~s' },
      marks: [
        Plot.ruleY([0]),
        Plot.lineY(months, { x: 'date', y: 'revenue', stroke: '#0969da', strokeWidth: 2 }),
        Plot.dot(months, {
          x: 'date',
          y: 'revenue',
          fill: '#0969da',
          r: 3,
          title: (d: (typeof months)[number]) => `${d.month}\n${money.format(d.revenue)}`,
        }),
      ],
    }),
  )
  meta.textContent = describe(reply)
}

function drawByProduct(reply: ArrowReply): void {
  const { chart, meta } = panel('by-product')
  // The server sorts largest first; the y domain keeps that order.
  const products = reply.table.toArray().map((r) => ({ product: String(r.product), revenue: Number(r.revenue) }))
  chart.replaceChildren(
    Plot.plot({
      width: chart.clientWidth || 560,
      height: 50 + 30 * products.length,
      marginLeft: 100,
      marginRight: 52,
      x: { grid: true, label: 'Revenue ($)', tickFormat: '~s' },
      y: { label: null, domain: products.map((p) => p.product) },
      marks: [
        Plot.barX(products, {
          x: 'revenue',
          y: 'product',
          fill: '#1a7f37',
          title: (d: (typeof products)[number]) => `${d.product}\n${money.format(d.revenue)}`,
        }),
        Plot.text(products, {
          x: 'revenue',
          y: 'product',
          text: (d: (typeof products)[number]) => compact.format(d.revenue),
          textAnchor: 'start',
          dx: 4,
          fill: '#1f2328',
        }),
        Plot.ruleX([0]),
      ],
    }),
  )
  meta.textContent = describe(reply)
}

function drawTopLines(reply: ArrowReply): void {
  const { chart, meta } = panel('top-lines')
  const columns: [string, string, (v: unknown) => string, boolean][] = [
    ['id', 'Line', (v) => String(v), true],
    ['ordered_on', 'Day', (v) => String(v), false],
    ['region', 'Region', (v) => String(v), false],
    ['product', 'Product', (v) => String(v), false],
    ['quantity', 'Qty', (v) => String(v), true],
    ['unit_price', 'Unit price', (v) => money.format(Number(v)), true],
    ['revenue', 'Revenue', (v) => money.format(Number(v)), true],
  ]
  const table = document.createElement('table')
  const head = table.createTHead().insertRow()
  for (const [, label, , numeric] of columns) {
    const th = document.createElement('th')
    th.textContent = label
    if (numeric) th.className = 'num'
    head.append(th)
  }
  const body = table.createTBody()
  for (const row of reply.table.toArray()) {
    const tr = body.insertRow()
    for (const [name, , format, numeric] of columns) {
      const td = tr.insertCell()
      td.textContent = format(row[name])
      if (numeric) td.className = 'num'
    }
  }
  chart.replaceChildren(table)
  meta.textContent = describe(reply)
}

function readUrl(): Filter {
  const q = new URLSearchParams(location.search)
  return { region: q.get('region') ?? 'all', from: q.get('from') ?? '', to: q.get('to') ?? '' }
}

let filter = readUrl()
let generation = 0

/** Fetches the three panels for the current filter; a reply to an older filter is dropped. */
async function refresh(): Promise<void> {
  const mine = ++generation
  const params = { ...filter }
  const query = new URLSearchParams(params).toString()
  history.replaceState(null, '', `?${query}`)
  download.href = `/api/order-lines.arrow?${query}`
  document.body.dataset.state = 'loading'
  for (const id of ['by-month', 'by-product', 'top-lines']) panel(id).section.setAttribute('aria-busy', 'true')
  try {
    const [byMonth, byProduct, topLines] = await Promise.all([
      fetchArrow('/api/revenue-by-month', params),
      fetchArrow('/api/revenue-by-product', params),
      fetchArrow('/api/top-lines', { ...params, limit: '10' }),
    ])
    if (mine !== generation) return
    errorBox.hidden = true
    drawByMonth(byMonth)
    drawByProduct(byProduct)
    drawTopLines(topLines)
    document.body.dataset.state = 'ready'
  } catch (err) {
    if (mine !== generation) return
    showError(err)
  } finally {
    if (mine === generation) {
      for (const id of ['by-month', 'by-product', 'top-lines']) panel(id).section.setAttribute('aria-busy', 'false')
    }
  }
}

function showError(err: unknown): void {
  errorBox.textContent = err instanceof ReplyError ? err.message : `Could not reach the server: ${String(err)}`
  errorBox.hidden = false
  for (const id of ['by-month', 'by-product', 'top-lines']) {
    panel(id).chart.replaceChildren()
    panel(id).meta.textContent = ''
  }
  document.body.dataset.state = 'error'
}

async function start(): Promise<void> {
  const { table } = await fetchArrow('/api/regions')
  const regions = table
    .toArray()
    .map((r) => ({ region: String(r.region), first: String(r.first_day), last: String(r.last_day) }))
  for (const { region } of regions) regionSelect.add(new Option(region, region))
  // ISO days sort as text: the first and last of them bound the date inputs.
  const days = regions.flatMap((r) => [r.first, r.last]).sort()
  const first = days[0] ?? ''
  const last = days.at(-1) ?? ''
  for (const input of [fromInput, toInput]) {
    input.min = first
    input.max = last
  }
  filter = { region: filter.region, from: filter.from || first, to: filter.to || last }
  regionSelect.value = filter.region
  fromInput.value = filter.from
  toInput.value = filter.to
  regionSelect.addEventListener('change', () => {
    filter = { ...filter, region: regionSelect.value }
    void refresh()
  })
  for (const [input, key] of [
    [fromInput, 'from'],
    [toInput, 'to'],
  ] as const) {
    input.addEventListener('change', () => {
      filter = { ...filter, [key]: input.value }
      void refresh()
    })
  }
  await refresh()
}

start().catch(showError)
