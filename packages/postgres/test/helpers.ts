import { existsSync, readdirSync } from 'node:fs'
import type { Socket } from 'node:net'
import { closeAll } from '@sqlconn/core'
import { type Sandbox, type ServerGate, useSandbox as useCoreSandbox } from '@sqlconn/core/testing'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { PostgresConnection } from '../src/index.js'

/** The test server. An unreachable server fails the tests that need it; nothing is skipped. */
export const TEST_URL = process.env.SQLCONN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Runs one statement on a short-lived client of its own (outside any connection under test). */
export async function admin<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_URL, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

/** Terminates every backend with this application_name and waits until they are gone. */
export async function terminate(applicationName: string): Promise<number> {
  const rows = await admin<{ pid: number }>(
    `select pid from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()`,
    [applicationName],
  )
  await admin(`select pg_terminate_backend(pid, 5000) from unnest($1::int[]) as pid`, [rows.map((r) => r.pid)])
  return rows.length
}

/**
 * Kills the pool's idle clients the way a failover or a NAT dropping idle connections does: the
 * server ends every backend, and each client finds out only when it is next used (its socket is
 * paused until then). A client that hears about it while idle is simply dropped by pg-pool.
 */
export async function breakIdleClients(conn: PostgresConnection): Promise<number> {
  const pool = conn.raw
  const clients: pg.PoolClient[] = []
  for (let i = pool.idleCount; i > 0; i--) clients.push(await pool.connect())
  for (const client of clients) {
    const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream
    socket.pause()
    const write = socket.write
    socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      socket.write = write
      socket.resume()
      return write.apply(this, args)
    } as Socket['write']
    client.release()
  }
  await terminate(conn.config.get<string>('application_name')!)
  return clients.length
}

export { until, within } from '@sqlconn/core/testing'

/**
 * A schema of this test file's own (`sqlconn_<random>`), created before its tests and dropped
 * with everything in it afterwards, so runs never collide.
 */
export function useSchema(): { readonly name: string } {
  const name = `sqlconn_${Math.random().toString(36).slice(2, 10)}`
  beforeAll(async () => {
    await admin(`create schema ${name}`)
  })
  afterAll(async () => {
    await closeAll()
    await admin(`drop schema if exists ${name} cascade`)
  })
  return { name }
}

let counter = 0

/** A connection to the test database whose search_path is `schema`, with a unique application_name. */
export function open(schema: string, options: Record<string, unknown> = {}): PostgresConnection {
  return new PostgresConnection('test', {
    url: TEST_URL,
    options: `-c search_path=${schema}`,
    application_name: `${schema}_${++counter}`,
    retry: { initialDelay: 5, maxDelay: 20 },
    ...options,
  })
}

/**
 * Core's `useSandbox()` (each test its own working directory and HOME, so no real ~/.sqlconn,
 * ~/.pgpass or ~/.pg_service.conf is read), writing files as 0600 unless told: pg ignores a
 * ~/.pgpass that others can read.
 */
export function useSandbox(variables: readonly string[] = []): Sandbox {
  return useCoreSandbox(variables, { fileMode: 0o600 })
}

/**
 * A gate on the server: an advisory lock held by a session of its own. Reads through it take the
 * same lock shared, so they block until the gate opens (the lock is released).
 */
export async function advisoryGate(): Promise<ServerGate> {
  const key = 1 + Math.floor(Math.random() * 2 ** 30)
  const holder = new pg.Client({ connectionString: TEST_URL })
  await holder.connect()
  await holder.query('select pg_advisory_lock($1)', [key])
  let open = false
  const release = async () => {
    if (open) return
    open = true
    await holder.query('select pg_advisory_unlock($1)', [key])
  }
  return {
    select: (columns) => `select ${columns} from pg_advisory_xact_lock_shared(${key})`,
    async waiting() {
      const rows = await admin<{ n: number }>(
        `select count(*)::int as n from pg_locks
          where locktype = 'advisory' and classid = 0 and objid = $1 and objsubid = 1 and not granted`,
        [key],
      )
      return rows[0]!.n
    },
    open: release,
    async close() {
      await release()
      await holder.end()
    },
  }
}

/**
 * `pg_ctlcluster <version> main <action>` for the local cluster, or undefined when there is none
 * (the tests stopping or restarting the server then take a command from the environment).
 */
export function clusterCommand(action: 'restart' | 'start' | 'stop'): string | undefined {
  if (!existsSync('/etc/postgresql')) return undefined
  const version = readdirSync('/etc/postgresql')[0]
  if (!version) return undefined
  return `pg_ctlcluster --skip-systemctl-redirect ${version} main ${action}${action === 'stop' ? ' -m fast' : ''}`
}

/** Succeeds once a fresh client outside any pool gets an answer (the server accepts connections). */
export async function probe(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_URL, connectionTimeoutMillis: 1000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
  } finally {
    await client.end().catch(() => {})
  }
}
