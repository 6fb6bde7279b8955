import type { CacheStatus, SqlConnection } from '@sqlconn/core'
import { loadCore, VERSION_SQL } from './core.js'
import { errorJson } from './errors.js'

/** What `doctor` found about one connection; also its `--json` shape. */
export interface DoctorReport {
  name: string
  ok: boolean
  type: string | undefined
  adapter: { package: string; version: string | undefined; installCommand: string | undefined } | undefined
  /** Each resolved option: value (secrets masked) and where it came from. */
  config: Record<string, { value: unknown; source: string }> | undefined
  ping: { ok: boolean; connectMs?: number; latencyMs?: number } | undefined
  server: { version: string } | undefined
  cache: CacheStatus | undefined
  error: { code: string | undefined; message: string } | undefined
}

/** Options of `sqlconn doctor`. */
export interface DoctorOptions {
  /** Longest a connection may take to answer, retries included. */
  timeoutMs: number
}

/**
 * Checks one connection step by step (type, adapter, config, ping, server version, cache), stopping
 * at the first step that fails so the report says where it broke.
 */
export async function doctorOne(name: string, type: string | undefined, options: DoctorOptions): Promise<DoctorReport> {
  const core = await loadCore()
  const report: DoctorReport = {
    name,
    ok: false,
    type,
    adapter: undefined,
    config: undefined,
    ping: undefined,
    server: undefined,
    cache: undefined,
    error: undefined,
  }
  if (type && !type.includes('/') && !type.startsWith('.')) {
    const a = core.adapterPackage(type)
    report.adapter = {
      package: a.packageName,
      version: a.version,
      installCommand: a.version ? undefined : a.installCommand,
    }
  }
  let conn: SqlConnection | undefined
  try {
    conn = await core.connection<SqlConnection>(name, { retry: { maxDuration: options.timeoutMs } })
    report.type = (conn.constructor as { typeName?: string }).typeName ?? type
    report.config = conn.config.toJSON()
    let started = performance.now()
    report.ping = { ok: false }
    await conn.ping()
    report.ping.connectMs = performance.now() - started
    started = performance.now()
    await conn.ping()
    report.ping.latencyMs = performance.now() - started
    report.ping.ok = true
    const sql = VERSION_SQL[report.type ?? ''] ?? 'select version() as version'
    try {
      const v = await conn.query(sql, { cache: false })
      const value = v.numRows ? Object.values(v.get(0) ?? {})[0] : undefined
      if (value !== undefined && value !== null) report.server = { version: String(value) }
    } catch {
      // Not every database has version(); the check passed without it.
    }
    report.cache = await conn.cacheStatus()
    // A configured shared store that does not answer is a setup mistake to fix, though queries still work.
    report.ok = report.cache.answers || report.cache.kind === 'off'
  } catch (err) {
    report.error = errorJson(err)
  }
  return report
}

function ms(n: number | undefined): string {
  return n === undefined ? '?' : n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`
}

/** A value as doctor prints it: strings bare, the rest as JSON. */
function show(value: unknown): string {
  if (typeof value === 'string') return value
  return JSON.stringify(value) ?? String(value)
}

/** The report as a terminal reader sees it: a verdict line, then the details indented. */
export function formatReport(r: DoctorReport, color: boolean): string {
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s)
  const verdict = r.ok ? paint(32, '✔ ok') : paint(31, '✘ failed')
  const lines = [`${verdict}  ${r.name}${r.type ? `  (type ${r.type})` : ''}`]
  if (r.adapter) {
    lines.push(
      `  adapter  ${r.adapter.package} ${r.adapter.version ?? `not installed: run ${r.adapter.installCommand}`}`,
    )
  }
  if (r.config) {
    const rows = Object.entries(r.config)
    const w = Math.max(0, ...rows.map(([k]) => k.length))
    const vw = Math.min(40, Math.max(0, ...rows.map(([, v]) => show(v.value).length)))
    lines.push('  config')
    for (const [k, v] of rows) lines.push(`    ${k.padEnd(w)} = ${show(v.value).padEnd(vw)}  (${v.source})`)
  }
  if (r.ping?.ok)
    lines.push(`  ping     ok in ${ms(r.ping.latencyMs)} (first, with connecting: ${ms(r.ping.connectMs)})`)
  if (r.server) lines.push(`  server   ${r.server.version}`)
  if (r.cache) {
    const c = r.cache
    const state =
      c.kind === 'off'
        ? 'off'
        : c.answers
          ? `answers in ${ms(c.latencyMs)}${c.entries === undefined ? '' : `, ${c.entries} cached results`}`
          : `does not answer: ${c.error}`
    lines.push(`  cache    ${c.kind === 'off' ? '' : `${c.store}: `}${state}`)
  }
  if (r.error)
    lines.push(`  error    [${r.error.code ?? 'ERROR'}] ${r.error.message.split('\n').join('\n           ')}`)
  return lines.join('\n')
}
