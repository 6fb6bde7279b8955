import { existsSync } from 'node:fs'
import { describeRestart } from '@sqlconn/core/testing'
import mysql from 'mysql2/promise'
import { TEST_URL, useDatabase } from './helpers.js'

// This file restarts the shared server: vitest.config.ts runs it after the package's other files.

const database = useDatabase()

const MARIADBD = '/usr/sbin/mariadbd'
/** Starts the local server (a no-op when it runs). */
const START = `start-stop-daemon --start --oknodo --background --exec ${MARIADBD}`

/** A URL to the test database as a user the server does not know. */
function unknownUserUrl(): string {
  const u = new URL(database.url)
  u.username = 'sqlconn_no_such_user'
  return u.toString()
}

describeRestart({
  server: 'MySQL',
  /**
   * SQLCONN_TEST_MYSQL_RESTART (say `docker compose restart mariadb`), else stop the local mariadbd
   * (SIGTERM, a normal shutdown; waits until it has exited) and start it.
   */
  restart:
    process.env.SQLCONN_TEST_MYSQL_RESTART ??
    (existsSync(MARIADBD)
      ? `start-stop-daemon --stop --oknodo --retry TERM/30/KILL/5 --exec ${MARIADBD} && ${START}`
      : undefined),
  restartVariable: 'SQLCONN_TEST_MYSQL_RESTART',
  start: existsSync(MARIADBD) ? START : undefined,
  // The defaults being judged: no retry option (the helpers' open() shortens the delays).
  open: (options) => database.open({ retry: undefined, ...options }),
  createItems: async () => {
    await database.admin('create table items (id int primary key, v int not null)')
    const values = Array.from({ length: 1000 }, (_, i) => `(${i + 1}, ${(i + 1) * 3})`).join(',')
    await database.admin(`insert into items values ${values}`)
  },
  // A fresh connection outside any pool: answers only when the server accepts new connections.
  probe: async () => {
    const c = await mysql.createConnection({ uri: TEST_URL, connectTimeout: 1000 })
    c.on('error', () => {})
    try {
      await c.query('select 1')
    } finally {
      c.destroy()
    }
  },
  unknownUser: { uri: unknownUserUrl() },
  unknownHost: { uri: 'mysql://root@no-such-host.invalid:3306/test' },
  codes: { noSuchTable: 'ER_NO_SUCH_TABLE', unknownUser: /^ER_ACCESS_DENIED/ },
})
