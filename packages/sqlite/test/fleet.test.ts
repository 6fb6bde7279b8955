import { execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createClient } from '@keyv/redis'
import { closeAll, connection, type SqlConnection } from '@sqlconn/core'
import { recordEvents } from '@sqlconn/core/testing'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.js'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fleet-worker.mjs')
const busWorker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'bus-worker.mjs')
const redis = createClient({ url: REDIS_URL })
const box = useSandbox()

beforeAll(async () => {
  await redis.connect()
})

afterAll(async () => {
  const keys = await redis.keys('sqlconn-fleet-*')
  if (keys.length) await redis.del(keys)
  redis.destroy()
})

function seed(file: string): void {
  const db = new Database(file)
  db.exec('create table items (id integer); insert into items values (1), (2), (3)')
  db.close()
}

/** A seeded database, the log its SQL function appends to, and the environment of one app server. */
function fleet(extra: Record<string, string> = {}): { log: string; env: NodeJS.ProcessEnv } {
  const db = path.join(box.dir(), 'fleet.db')
  const log = path.join(box.dir(), 'executions.log')
  seed(db)
  const namespace = `sqlconn-fleet-${randomUUID().slice(0, 8)}`
  return {
    log,
    env: { ...process.env, FLEET_DB: db, FLEET_LOG: log, FLEET_REDIS: REDIS_URL, FLEET_NAMESPACE: namespace, ...extra },
  }
}

describe('a query cache shared through Redis', () => {
  it('lets a second app server read what the first one cached, the database running once', () => {
    const { log, env } = fleet()
    const run = () =>
      JSON.parse(execFileSync(process.execPath, [worker], { env, encoding: 'utf8', timeout: 30_000 }).trim())
    expect(run()).toEqual({ cached: false, n: 3 })
    expect(run()).toEqual({ cached: true, n: 3 })
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1)
  })

  it('lets servers missing the same result at once run the query once', async () => {
    const { log, env } = fleet({ FLEET_SLOW_MS: '1500' })
    const start = () =>
      new Promise<{ cached: boolean; n: number }>((resolve, reject) => {
        const child = spawn(process.execPath, [worker], { env, stdio: ['ignore', 'pipe', 'inherit'] })
        let out = ''
        child.stdout.on('data', (d) => {
          out += d
        })
        child.on('error', reject)
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`worker exited ${code}`)),
        )
      })
    const results = await Promise.all([start(), start(), start()])
    expect(results.map((r) => r.n)).toEqual([3, 3, 3])
    expect(results.filter((r) => r.cached)).toHaveLength(2)
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1)
  })

  it('takes the Redis URL from [connections.<name>.cache] in the secrets file', async () => {
    const ns = `sqlconn-fleet-${randomUUID().slice(0, 8)}`
    box.write(
      'project/.sqlconn/secrets.toml',
      `[connections.shop]\ntype = "sqlite"\nfilename = "shop.db"\n\n[connections.shop.cache]\nurl = "${REDIS_URL}"\nnamespace = "${ns}"\nttl = "1m"\n`,
    )
    const conn = await connection<SqlConnection>('shop')
    await conn.query('select 1 as one')
    const keys = await redis.keys(`${ns}:*`)
    expect(keys).toHaveLength(1)
    const pttl = await redis.pTTL(keys[0]!)
    expect(pttl).toBeGreaterThan(50_000)
    expect(pttl).toBeLessThanOrEqual(60_000)
    await closeAll()
  })

  it('uses the top-level [cache] table for every connection', async () => {
    const ns = `sqlconn-fleet-${randomUUID().slice(0, 8)}`
    box.write(
      'project/.sqlconn/secrets.toml',
      `[cache]\nurl = "${REDIS_URL}"\nnamespace = "${ns}"\n\n[connections.a]\ntype = "sqlite"\nfilename = "a.db"\n`,
    )
    const conn = await connection<SqlConnection>('a')
    await conn.query('select 2 as two')
    expect(await redis.keys(`${ns}:*`)).toHaveLength(1)
  })

  it('clears one connection’s results for every server', async () => {
    const ns = `sqlconn-fleet-${randomUUID().slice(0, 8)}`
    const cache = { url: REDIS_URL, namespace: ns }
    const a = await connection<SqlConnection>('sqlite', { filename: 'a.db', cache })
    const b = await connection<SqlConnection>('sqlite', { filename: 'b.db', cache })
    await a.query('select 1 as x')
    await a.query('select 2 as x')
    await b.query('select 1 as x')
    await a.clearCache()
    expect(await redis.keys(`${ns}:*`)).toHaveLength(1)
    await b.clearCache('select 1 as x')
    expect(await redis.keys(`${ns}:*`)).toHaveLength(0)
  })

  it('rejects an unknown cache option with a did-you-mean', async () => {
    box.write(
      'project/.sqlconn/secrets.toml',
      '[connections.c]\ntype = "sqlite"\nfilename = "c.db"\n[connections.c.cache]\nttl_seconds = 5\n',
    )
    const conn = await connection<SqlConnection>('c')
    await expect(conn.query('select 1')).rejects.toMatchObject({ code: 'UNKNOWN_OPTION' })
  })

  it('reports cache stats and keeps the password of the Redis URL out of errors', async () => {
    const conn = await connection<SqlConnection>('sqlite', {
      filename: 'down.db',
      cache: {
        url: 'redis://user:s3cr3t-pw@127.0.0.1:1',
        timeout: 100,
        breaker: { threshold: 1, halfOpenAfter: 60_000 },
      },
    })
    const events = recordEvents(conn)
    const t = await conn.query('select 7 as seven')
    expect(t.get(0)).toEqual({ seven: 7 })
    expect(conn.cacheStats).toMatchObject({ misses: 1, breaker: 'open' })
    const errors = events.cacheError.map(({ error }) => String((error as Error).message))
    expect(errors.length).toBeGreaterThan(0)
    for (const e of errors) expect(e).not.toContain('s3cr3t-pw')
    expect(existsSync('down.db')).toBe(true)
  })
})

/** A long-running reader process of bus-worker.mjs: its events as they arrive, and a way to ask it to read. */
function startReader(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [busWorker], {
    env: { ...env, BUS_ROLE: 'reader' },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const events: Record<string, unknown>[] = []
  const waiting = new Set<() => boolean>()
  createInterface({ input: child.stdout }).on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>)
    for (const check of [...waiting]) if (check()) waiting.delete(check)
  })
  /** Resolves with the events once `n` named `name` have arrived (a gate on the child's output, not a sleep). */
  const until = (name: string, n: number) =>
    new Promise<Record<string, unknown>[]>((resolve) => {
      const check = () => {
        const seen = events.filter((e) => e.event === name)
        if (seen.length < n) return false
        resolve(seen)
        return true
      }
      if (!check()) waiting.add(check)
    })
  const count = (name: string) => events.filter((e) => e.event === name).length
  return {
    until,
    count,
    read: async () => {
      const answer = until('read', count('read') + 1)
      child.stdin.write('read\n')
      return (await answer).at(-1)
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve())
        child.stdin.end()
      }),
  }
}

const runWriter = (env: NodeJS.ProcessEnv, count: number, gapMs: number) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [busWorker], {
      env: { ...env, BUS_ROLE: 'writer', BUS_COUNT: String(count), BUS_GAP_MS: String(gapMs) },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))))
  })

describe('the invalidation bus between two app servers', () => {
  it('an invalidation on one server makes the other’s next read run the query', async () => {
    const { env } = fleet()
    const reader = startReader(env)
    try {
      expect((await reader.until('ready', 1))[0]).toMatchObject({ cached: false, n: 3 })
      expect(await reader.read()).toMatchObject({ cached: true, n: 3 }) // from its memory tier
      await runWriter(env, 1, 0)
      await reader.until('invalidated', 1)
      expect(await reader.read()).toMatchObject({ cached: false, n: 3 })
    } finally {
      await reader.stop()
    }
  })

  it('delivers invalidations from another process, and reports how long they took (p50, p99)', async () => {
    const { env } = fleet()
    const reader = startReader(env)
    try {
      await reader.until('ready', 1)
      const count = 200
      await runWriter(env, count, 5)
      const latencies = (await reader.until('invalidated', count))
        .map((e) => e.latencyMs as number)
        .sort((a, b) => a - b)
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
      console.log(
        `bus latency between two processes over ${latencies.length} invalidations: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${latencies.at(-1)} ms`,
      )
      expect(latencies).toHaveLength(count)
    } finally {
      await reader.stop()
    }
  })
})
