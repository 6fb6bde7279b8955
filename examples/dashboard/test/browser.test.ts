// The dashboard end to end in Debian's Chromium (the `chromium` package, driven by playwright-core;
// nothing is downloaded): the page the server serves, its Arrow requests and the charts it draws,
// checked against the database's own answers.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { closeAll, type SqlConnection } from '@sqlconn/core'
import { type BrowserContext, chromium, type Page, type Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Dashboard, startDashboard } from '../src/server.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUTPUT = path.resolve('test-output')
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })

let dashboard: Dashboard
let conn: SqlConnection
let context: BrowserContext
let page: Page
let userDataDir: string
const consoleErrors: string[] = []
const requested: string[] = []

beforeAll(async () => {
  dashboard = await startDashboard()
  conn = dashboard.conn
  userDataDir = mkdtempSync(path.join(tmpdir(), 'dashboard-chromium-'))
  // Playwright takes the profile folder as userDataDir and passes it as --user-data-dir itself.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 960 },
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(20_000)
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  page.on('request', (r) => requested.push(r.url()))
}, 60_000)

afterAll(async () => {
  await context?.close()
  await dashboard?.close()
  await closeAll()
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
})

/** Waits until the page has drawn the replies to its latest filter. */
async function ready(): Promise<void> {
  await page.waitForSelector('body[data-state="ready"]')
}

/** Whole-range totals per product for one region, as the database computes them. */
async function productTotals(region: string): Promise<Map<string, number>> {
  const t = await conn.query<{ product: string; revenue: number }>(
    'select product, sum(quantity * unit_price) as revenue from order_lines where region = :region group by product',
    { params: { region }, cache: false },
  )
  return new Map(t.toArray().map((r) => [r.product, r.revenue]))
}

/** The API responses a change of the region select causes, once all three have arrived. */
async function selectRegion(region: string): Promise<Response[]> {
  const replies = ['/api/revenue-by-month', '/api/revenue-by-product', '/api/top-lines'].map((p) =>
    page.waitForResponse((r) => r.url().includes(p) && new URL(r.url()).searchParams.get('region') === region),
  )
  await page.selectOption('#region', region)
  const responses = await Promise.all(replies)
  await ready()
  return responses
}

describe('the dashboard in Chromium', () => {
  it('loads with no console error and fetches nothing from another origin', async () => {
    await page.goto(dashboard.url)
    await ready()
    expect(consoleErrors).toEqual([])
    expect(requested.length).toBeGreaterThan(4)
    for (const url of requested) expect(url.startsWith(dashboard.url) || url.startsWith('data:')).toBe(true)
  })

  it("draws one bar per product, the largest at the database's largest total for the chosen region", async () => {
    await page.goto(dashboard.url)
    await ready()
    await selectRegion('West')
    const totals = await productTotals('West')
    const titles = await page.$$eval('#by-product [aria-label="bar"] rect', (rects) =>
      rects.map((r) => r.querySelector('title')?.textContent ?? ''),
    )
    expect(titles).toHaveLength(totals.size)
    const largest = Math.max(...totals.values())
    const [product] = [...totals].find(([, v]) => v === largest)!
    expect(titles[0]).toBe(`${product}\n${money.format(largest)}`)
    // The widest bar is the first one, and it is the largest value.
    const widths = await page.$$eval('#by-product [aria-label="bar"] rect', (rects) =>
      rects.map((r) => Number(r.getAttribute('width'))),
    )
    expect(Math.max(...widths)).toBe(widths[0])
    mkdirSync(OUTPUT, { recursive: true })
    await page.screenshot({ path: path.join(OUTPUT, 'dashboard.png'), fullPage: true })
  })

  it('draws one point per month and lists the largest order lines, as the database has them', async () => {
    await page.goto(`${dashboard.url}?region=East&from=2025-01-01&to=2025-06-30`)
    await ready()
    const months = await page.$$eval('#by-month [aria-label="dot"] circle', (dots) =>
      dots.map((d) => d.querySelector('title')?.textContent ?? ''),
    )
    const own = await conn.query<{ month: string; revenue: number }>(
      `select substr(ordered_on, 1, 7) as month, sum(quantity * unit_price) as revenue from order_lines
       where region = 'East' and ordered_on >= '2025-01-01' and ordered_on <= '2025-06-30' group by 1 order by 1`,
      { cache: false },
    )
    expect(months).toEqual(own.toArray().map((r) => `${r.month}\n${money.format(r.revenue)}`))
    const top = await conn.query<{ id: number }>(
      `select id from order_lines where region = 'East' and ordered_on between '2025-01-01' and '2025-06-30'
       order by quantity * unit_price desc, id limit 10`,
      { cache: false },
    )
    const ids = await page.$$eval('#top-lines tbody tr td:first-child', (tds) => tds.map((td) => td.textContent))
    expect(ids).toEqual(top.toArray().map((r) => String(r.id)))
  })

  it('changing the region refetches, and the second identical request is a cache hit', async () => {
    await page.goto(dashboard.url)
    await ready()
    const first = await selectRegion('Central')
    expect(first.map((r) => r.headers()['x-sqlconn-cache'])).toEqual(['miss', 'miss', 'miss'])
    const totals = await productTotals('Central')
    expect(await page.locator('#by-product [aria-label="bar"] rect').count()).toBe(totals.size)
    await selectRegion('South')
    const again = await selectRegion('Central')
    expect(again.map((r) => r.headers()['x-sqlconn-cache'])).toEqual(['hit', 'hit', 'hit'])
    await expect.poll(() => page.textContent('#by-product .meta')).toContain('cache hit')
  })

  it("shows the server's message for a bad parameter in the URL, and no chart", async () => {
    await page.goto(`${dashboard.url}?region=Atlantis`)
    await page.waitForSelector('#error:not([hidden])')
    expect(await page.textContent('#error')).toBe(
      'Unknown region "Atlantis": choose all, Central, East, North, South or West.',
    )
    expect(await page.locator('#by-product svg').count()).toBe(0)
  })

  it('shows the error when the controls give a range that ends before it starts', async () => {
    await page.goto(dashboard.url)
    await ready()
    await page.fill('#to', '2024-03-01')
    await page.fill('#from', '2024-06-01')
    await page.waitForSelector('body[data-state="error"]')
    expect(await page.textContent('#error')).toBe('from (2024-06-01) is after to (2024-03-01): swap them.')
  })
})
