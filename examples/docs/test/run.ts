import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { Files, Program } from './blocks.ts'

/** The service URLs the docs write; a run swaps in the test environment's (SQLCONN_TEST_*), on a database of its own. */
export const DOC_URLS = {
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
  mysql: 'mysql://root@127.0.0.1:3306/test',
  redis: 'redis://127.0.0.1:6379',
  /** An OpenTelemetry collector's OTLP/HTTP address; the test stands up one of its own. */
  otlp: 'http://127.0.0.1:4318',
} as const

const here = path.dirname(fileURLToPath(import.meta.url))
const nodeModules = path.resolve(here, '../node_modules')

/** Where one doc's services are: a fresh PostgreSQL and MySQL database, removed afterwards. */
export interface Services {
  /** The docs' URL → the URL this run uses. */
  urls: Map<string, string>
  /** The database name this run uses instead of `test`. */
  database: string
  /** The names of the spans the doc's programs sent to the OTLP collector, in order. */
  spans: readonly string[]
  drop(): Promise<void>
}

/**
 * A stand-in for an OpenTelemetry collector on a port of its own: it takes OTLP/HTTP JSON trace
 * exports (what @opentelemetry/exporter-trace-otlp-http sends), keeps their spans' names and answers
 * as a collector does. It checks nothing else: the doc's claim is that the spans arrive.
 */
async function otlpCollector(): Promise<{ url: string; spans: string[]; close(): Promise<void> }> {
  const spans: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => {
      body += d
    })
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const data = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: { name: string }[] }[] }[] }
        for (const r of data.resourceSpans ?? [])
          for (const s of r.scopeSpans ?? []) for (const span of s.spans ?? []) spans.push(span.name)
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

let made = 0

/**
 * Creates a doc's databases, so its `orders` and `events` tables meet no other doc's or test's.
 * Only the servers the doc names are asked (`text` is the doc).
 */
export async function services(text: string, env: NodeJS.ProcessEnv = process.env): Promise<Services> {
  const database = `sqlconn_docs_${process.pid}_${++made}_${Date.now().toString(36)}`
  const pgUrl = new URL(env.SQLCONN_TEST_POSTGRES_URL ?? DOC_URLS.postgres)
  const myUrl = new URL(env.SQLCONN_TEST_MYSQL_URL ?? DOC_URLS.mysql)
  const usesPg = text.includes(DOC_URLS.postgres)
  const usesMy = text.includes(DOC_URLS.mysql)
  const collector = text.includes(DOC_URLS.otlp) ? await otlpCollector() : undefined
  if (usesPg) {
    const admin = new pg.Client({ connectionString: pgUrl.href })
    await admin.connect()
    await admin.query(`create database ${database}`).finally(() => admin.end())
  }
  if (usesMy) {
    const my = await mysql.createConnection(myUrl.href)
    await my.query(`create database ${database}`).finally(() => my.end())
  }
  const ownPg = new URL(pgUrl)
  ownPg.pathname = `/${database}`
  const ownMy = new URL(myUrl)
  ownMy.pathname = `/${database}`
  return {
    database,
    urls: new Map([
      [DOC_URLS.postgres, ownPg.href],
      [DOC_URLS.mysql, ownMy.href],
      [DOC_URLS.redis, (env.SQLCONN_TEST_REDIS_URL ?? DOC_URLS.redis).replace(/\/$/, '')],
      ...(collector ? [[DOC_URLS.otlp, collector.url] as [string, string]] : []),
    ]),
    spans: collector?.spans ?? [],
    async drop() {
      await collector?.close()
      if (usesPg) {
        const a = new pg.Client({ connectionString: pgUrl.href })
        await a.connect()
        await a.query(`drop database if exists ${database} with (force)`).finally(() => a.end())
      }
      if (usesMy) {
        const m = await mysql.createConnection(myUrl.href)
        await m.query(`drop database if exists ${database}`).finally(() => m.end())
      }
    },
  }
}

/** A doc's own working directory and home, as a newcomer's project: the packages resolve from its node_modules. */
export interface Sandbox {
  cwd: string
  home: string
  /** Writes a TOML block's files (`~/` in the home directory). */
  write(files: Files['files'], services: Services): void
  /** Runs a program with node; resolves to its exit code and everything it printed, paths shown as in the docs. */
  run(program: Program, services: Services, timeoutMs: number): Promise<{ code: number | null; output: string }>
  remove(): void
}

/** Replaces the docs' service URLs with this run's. */
function localize(text: string, services: Services): string {
  let out = text
  for (const [doc, own] of services.urls) out = out.replaceAll(doc, own)
  return out
}

export function sandbox(name: string): Sandbox {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), `sqlconn-docs-${name.replace(/\W+/g, '-')}-`)))
  const cwd = path.join(root, 'app')
  const home = path.join(root, 'home')
  mkdirSync(cwd)
  mkdirSync(home)
  symlinkSync(nodeModules, path.join(cwd, 'node_modules'), 'dir')
  writeFileSync(path.join(cwd, 'package.json'), '{ "private": true, "type": "module" }\n')
  let count = 0

  /** The output as the docs show it: their paths (/app, /home/me), their URLs and database name. */
  const asDocs = (text: string, services: Services) => {
    let out = text.replaceAll(cwd, '/app').replaceAll(home, '/home/me')
    for (const [doc, own] of services.urls) out = out.replaceAll(own, doc)
    return out.replaceAll(services.database, 'test')
  }

  return {
    cwd,
    home,
    write(files, services) {
      for (const file of files) {
        const target = file.path.startsWith('~/') ? path.join(home, file.path.slice(2)) : path.join(cwd, file.path)
        mkdirSync(path.dirname(target), { recursive: true })
        writeFileSync(target, localize(file.content, services))
      }
    },
    run(program, services, timeoutMs) {
      const file = path.join(cwd, `.block-${program.line}-${++count}${program.extension}`)
      writeFileSync(file, localize(program.source, services))
      const env: NodeJS.ProcessEnv = {}
      for (const [k, v] of Object.entries(process.env)) {
        // The doc's program sees a newcomer's environment: no database settings, no test runner.
        if (/^(PG|MYSQL_|DATABASE_URL$|SQLCONN_|VITEST|npm_|NODE_OPTIONS$|FORCE_COLOR$|NO_COLOR$|TEST$)/.test(k))
          continue
        env[k] = v
      }
      env.HOME = home
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
        let output = ''
        child.stdout.on('data', (d) => (output += d))
        child.stderr.on('data', (d) => (output += d))
        const timer = setTimeout(() => {
          output += `\n[killed after ${timeoutMs} ms]`
          child.kill('SIGKILL')
        }, timeoutMs)
        child.on('close', (code) => {
          clearTimeout(timer)
          resolve({ code, output: asDocs(output, services) })
        })
      })
    },
    remove() {
      rmSync(root, { recursive: true, force: true })
    },
  }
}
