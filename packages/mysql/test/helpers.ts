import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import type { ServerGate } from '@sqlconn/core/testing'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll } from 'vitest'
import { MysqlConnection } from '../src/index.js'

/** The test server (MariaDB or MySQL); an unreachable server fails the tests, it never skips them. */
export const TEST_URL = process.env.SQLCONN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

/** `TEST_URL` pointing at another database. */
export function urlFor(database: string, url = TEST_URL): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

export interface TestDatabase {
  /** The database's name (sqlconn_<random>). */
  readonly name: string
  /** A URL to it. */
  readonly url: string
  /** Runs SQL on a separate admin connection (in the test database). */
  admin(sql: string, values?: unknown[]): Promise<unknown>
  /** A new, uncached connection to the test database. */
  open(options?: Record<string, unknown>): MysqlConnection
  /** KILLs every server connection using the test database, from the admin connection. */
  killAll(): Promise<number>
  /**
   * KILLs them while this process's event loop is blocked (as when the server drops idle
   * connections while the app is busy), so the pool still holds them as idle when the next read
   * takes one: that read meets the dead connection and must reset and retry.
   */
  killAllWhileBusy(): Promise<number>
  /**
   * A gate on the server: a one-row table of its own, write-locked by a connection of its own.
   * Reads from it wait for the table's lock until the gate opens (the lock is released).
   */
  gate(): Promise<ServerGate>
}

const mysql2Path = createRequire(import.meta.url).resolve('mysql2')

/** Runs KILL for each id from a child process, blocking this one until it is done. */
function killSync(ids: number[]): void {
  const script = `
    const mysql = require(process.argv[1]);
    const c = mysql.createConnection({ uri: process.argv[2] });
    const ids = JSON.parse(process.argv[3]);
    let left = ids.length;
    if (!left) c.end();
    for (const id of ids) c.query('kill ' + Number(id), () => { if (--left === 0) c.end(); });
  `
  const r = spawnSync(process.execPath, ['-e', script, mysql2Path, TEST_URL, JSON.stringify(ids)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`KILL failed: ${r.stderr}`)
}

export { until, within } from '@sqlconn/core/testing'

/** Creates a database of its own for this test file and drops it afterwards. */
export function useDatabase(): TestDatabase {
  const name = `sqlconn_${randomBytes(5).toString('hex')}`
  const url = urlFor(name)
  let admin: mysql.Connection | undefined
  const opened: MysqlConnection[] = []
  beforeAll(async () => {
    admin = await mysql.createConnection({ uri: TEST_URL, multipleStatements: false })
    await admin.query(`create database ${name}`)
    await admin.query(`use ${name}`)
  })
  afterAll(async () => {
    for (const c of opened) await c.close()
    if (admin) {
      admin.destroy()
      // A connection of its own: restart.test.ts restarts the server under the admin connection.
      const dropper = await mysql.createConnection({ uri: TEST_URL })
      await dropper.query(`drop database if exists ${name}`)
      await dropper.end()
    }
  })
  async function connectionIds(): Promise<number[]> {
    const [rows] = await admin!.query<mysql.RowDataPacket[]>(
      'select id from information_schema.processlist where db = ? and id <> connection_id()',
      [name],
    )
    return rows.map((r) => Number(r.id))
  }
  return {
    name,
    url,
    async admin(sql, values) {
      const [rows] = await admin!.query(sql, values)
      return rows
    },
    open(options = {}) {
      const conn = new MysqlConnection('test', { uri: url, retry: { initialDelay: 10, maxDelay: 50 }, ...options })
      opened.push(conn)
      return conn
    },
    async killAll() {
      const ids = await connectionIds()
      for (const id of ids) {
        try {
          await admin!.query(`kill ${id}`)
        } catch {
          // already gone
        }
      }
      return ids.length
    },
    async killAllWhileBusy() {
      const ids = await connectionIds()
      killSync(ids)
      return ids.length
    },
    async gate() {
      const table = `sqlconn_gate_${randomBytes(4).toString('hex')}`
      await admin!.query(`create table ${table} (x int)`)
      await admin!.query(`insert into ${table} values (1)`)
      // Outside the test database, so that it is not one of the connections killAll() counts.
      const holder = await mysql.createConnection({ uri: TEST_URL })
      await holder.query(`lock tables ${name}.${table} write`)
      let open = false
      const release = async () => {
        if (open) return
        open = true
        await holder.query('unlock tables')
      }
      return {
        select: (columns: string) => `select ${columns} from ${table}`,
        async waiting() {
          const [rows] = await admin!.query<mysql.RowDataPacket[]>(
            `select count(*) as n from information_schema.processlist
              where db = ? and info like ? and state like 'Waiting for table%lock'`,
            [name, `select % from ${table}`],
          )
          return Number(rows[0]!.n)
        },
        open: release,
        async close() {
          await release()
          await holder.end()
          await admin!.query(`drop table if exists ${table}`)
        },
      }
    },
  }
}
