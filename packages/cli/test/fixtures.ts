import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { MYSQL_URL, PG_URL, type Project } from './helpers.js'

/** The rows every database gets: text that CSV must quote, a null, floats. */
export const PEOPLE = [
  [1, 'plain', 10, 1.5],
  [2, 'comma, "quoted"', null, -2.25],
  [3, 'line\nbreak', 30, 0],
  [4, 'ünïcode ✓', 40, 1e6],
] as const

export const PEOPLE_SQL = 'select id, name, qty, score from sqlconn_cli_people order by id'

/** `[connections.<name>]` lines for a server URL, split into the driver's own options. */
function serverLines(url: string, password?: string): string {
  const u = new URL(url)
  const lines = [
    `host = "${u.hostname}"`,
    `port = ${u.port || (u.protocol.startsWith('postgres') ? 5432 : 3306)}`,
    `user = "${decodeURIComponent(u.username)}"`,
    `database = "${u.pathname.slice(1)}"`,
  ]
  const pw = password ?? decodeURIComponent(u.password)
  if (pw) lines.push(`password = "${pw}"`)
  return lines.join('\n')
}

/** The secrets file of the test project: lite (SQLite in the project), pg, my, and `extra` sections. */
export function secretsToml(dir: string, extra = ''): string {
  return `[connections.lite]
type = "sqlite"
filename = "${path.join(dir, 'lite.db')}"

[connections.pg]
type = "postgres"
${serverLines(PG_URL)}

[connections.my]
type = "mysql"
${serverLines(MYSQL_URL)}

[connections.duck]
type = "duckdb"
path = "${path.join(dir, 'duck.db')}"
${extra}`
}

/** A section for MariaDB with a wrong password: the server refuses it. */
export function wrongPasswordSection(name: string, password: string): string {
  return `\n[connections.${name}]\ntype = "mysql"\n${serverLines(MYSQL_URL, password)}\n`
}

/** Creates sqlconn_cli_people in each database (SQLite in the project dir). */
export async function seed(project: Project): Promise<void> {
  const lite = new Database(path.join(project.dir, 'lite.db'))
  lite.exec(
    'drop table if exists sqlconn_cli_people; create table sqlconn_cli_people (id integer primary key, name text, qty integer, score real)',
  )
  const ins = lite.prepare('insert into sqlconn_cli_people values (?, ?, ?, ?)')
  for (const r of PEOPLE) ins.run(...r)
  lite.close()

  // DuckDB locks its file per process: closing the instance lets the CLI's process open it.
  const duck = await DuckDBInstance.create(path.join(project.dir, 'duck.db'))
  const dc = await duck.connect()
  await dc.run(
    'create or replace table sqlconn_cli_people (id integer primary key, name varchar, qty integer, score double)',
  )
  for (const r of PEOPLE) await dc.run('insert into sqlconn_cli_people values ($1, $2, $3, $4)', [...r])
  dc.closeSync()
  duck.closeSync()

  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  await client.query('drop table if exists sqlconn_cli_people')
  await client.query('create table sqlconn_cli_people (id int primary key, name text, qty int, score float8)')
  for (const r of PEOPLE) await client.query('insert into sqlconn_cli_people values ($1, $2, $3, $4)', [...r])
  await client.end()

  const my = await mysql.createConnection(MYSQL_URL)
  await my.query('drop table if exists sqlconn_cli_people')
  await my.query(
    'create table sqlconn_cli_people (id int primary key, name text, qty int, score double) character set utf8mb4',
  )
  for (const r of PEOPLE) await my.query('insert into sqlconn_cli_people values (?, ?, ?, ?)', [...r])
  await my.end()
}

/** The database's own answer to `sql`, read with its driver. */
export async function driverRows(
  db: 'lite' | 'pg' | 'my' | 'duck',
  project: Project,
  sql: string,
): Promise<Record<string, unknown>[]> {
  if (db === 'duck') {
    const duck = await DuckDBInstance.create(path.join(project.dir, 'duck.db'), { access_mode: 'READ_ONLY' })
    const dc = await duck.connect()
    try {
      return (await dc.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
    } finally {
      dc.closeSync()
      duck.closeSync()
    }
  }
  if (db === 'lite') {
    const lite = new Database(path.join(project.dir, 'lite.db'), { readonly: true })
    try {
      return lite.prepare(sql).all() as Record<string, unknown>[]
    } finally {
      lite.close()
    }
  }
  if (db === 'pg') {
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    try {
      return (await client.query(sql)).rows
    } finally {
      await client.end()
    }
  }
  const my = await mysql.createConnection(MYSQL_URL)
  try {
    return (await my.query(sql))[0] as Record<string, unknown>[]
  } finally {
    await my.end()
  }
}
