// Starts the dashboard: connects to [connections.shop], seeds it on first start, serves the app.
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { connection, type SqlConnection } from '@sqlconn/core'
import { createApp } from './app.ts'
import { type SeedResult, seedShop } from './seed.ts'

/** Where `pnpm build` writes the page (index.html, app.js, app.css). */
export const PUBLIC_DIR = fileURLToPath(new URL('../dist/', import.meta.url))

export interface Dashboard {
  /** `http://127.0.0.1:PORT/`, once the server answers there. */
  url: string
  conn: SqlConnection
  seed: SeedResult
  /** Stops the server (the connection stays open: `closeAll()` closes it). */
  close(): Promise<void>
}

/**
 * Connects, seeds on first start and listens on 127.0.0.1. Port 0 asks the system for a free one.
 * Resolves only after the page has answered a request, so the URL it gives works at once.
 */
export async function startDashboard(options: { port?: number; rows?: number } = {}): Promise<Dashboard> {
  // The SQLite file in .sqlconn/secrets.toml lives in data/; better-sqlite3 needs the folder to exist.
  mkdirSync(path.resolve('data'), { recursive: true })
  const conn = (await connection('shop')) as SqlConnection
  const seed = await seedShop(conn, options.rows)
  const app = createApp(conn, { publicDir: PUBLIC_DIR })
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port ?? 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const res = await fetch(url)
  await res.body?.cancel()
  if (!res.ok) throw new Error(`The dashboard did not answer at ${url}: HTTP ${res.status}. Run \`pnpm build\` first.`)
  return {
    url,
    conn,
    seed,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}
