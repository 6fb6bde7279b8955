import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { packAndInstall } from '@sqlconn/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// One pack and one npm install, shared by every check: the published packages as a user gets them,
// in a fresh project outside the workspace.
const here = path.dirname(fileURLToPath(import.meta.url))
const packages = path.resolve(here, '..', '..')
const root = path.resolve(packages, '..')
let project = ''
const PACKED = ['core', 'sqlite', 'postgres', 'mysql', 'duckdb'] as const
/** Peers for features the consumer does not use: the conformance suite and a Redis cache. */
const UNUSED_PEERS = new Set(['vitest', '@keyv/redis'])

type Manifest = {
  name: string
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest
}

/**
 * Every peer the packages name, at the version the workspace tests with: what a user who follows
 * the packages' peer dependencies installs. A type package left out of the peers is left out here.
 */
function peersToInstall(): string[] {
  const rootDev = manifest(root).devDependencies ?? {}
  const wanted = new Map<string, string>()
  for (const pkg of PACKED) {
    const m = manifest(path.join(packages, pkg))
    for (const name of Object.keys(m.peerDependencies ?? {})) {
      if (UNUSED_PEERS.has(name)) continue
      const version = m.devDependencies?.[name] ?? rootDev[name]
      if (!version) throw new Error(`${m.name} names peer ${name} but the workspace does not test with it`)
      wanted.set(name, version)
    }
  }
  return [...wanted].map(([name, version]) => `${name}@${version}`)
}

/** A consumer as strict as they come, with rows declared as interfaces, using every adapter. */
const CONSUMER = `import { closeAll, connection, type RowTable } from '@sqlconn/core'
import type { DuckDBConnection } from '@sqlconn/duckdb'
import type { MysqlConnection } from '@sqlconn/mysql'
import type { PostgresConnection } from '@sqlconn/postgres'
import type { SqliteConnection } from '@sqlconn/sqlite'
import type { Table } from 'apache-arrow'

interface Answer {
  answer: number
}

interface Tables {
  t: { x: number }
}

async function summary(t: RowTable<Answer>): Promise<{ rows: Answer[]; type: string; arrowRows: number }> {
  const rows: Answer[] = []
  for (const row of t) rows.push(row)
  const first: number | null | undefined = t.getChild('answer')?.get(0)
  const arrow: Table = t.toArrow()
  return { rows: first === undefined ? [] : rows, type: t.schema.fields[0]!.type, arrowRows: arrow.numRows }
}

export async function sqlite(): Promise<unknown> {
  const db = await connection<SqliteConnection<Tables>>('sqlite', { filename: 'packed.db' })
  await db.query('create table if not exists t (x integer)', { cache: false })
  await db.db.insertInto('t').values({ x: 41 }).execute()
  return summary(await db.query<Answer>('select x + 1 as answer from t'))
}

export async function postgres(): Promise<unknown> {
  const db = await connection<PostgresConnection<Tables>>('postgres', { url: 'postgres://postgres@127.0.0.1:5432/test' })
  const fromDb: { x: number }[] = await db.db.selectFrom('t').select('x').execute()
  return [fromDb.length, await summary(await db.query<Answer>('select 42 as answer'))]
}

export async function mysql(): Promise<unknown> {
  const db = await connection<MysqlConnection<Tables>>('mysql', { uri: 'mysql://root@127.0.0.1:3306/test' })
  const fromDb: { x: number }[] = await db.db.selectFrom('t').select('x').execute()
  for await (const chunk of db.stream<Answer>('select 42 as answer', { chunkSize: 10 })) await summary(chunk)
  return fromDb.length
}

export async function duckdb(): Promise<unknown> {
  const db = await connection<DuckDBConnection<Tables>>('duckdb', { path: ':memory:' })
  await db.query('create table t (x integer)', { cache: false })
  const fromDb: { x: number }[] = await db.db.selectFrom('t').select('x').execute()
  return [fromDb.length, await summary(await db.query<Answer>('select 42 as answer'))]
}

if (process.argv[2] === 'sqlite') {
  console.log(JSON.stringify(await sqlite()))
  await closeAll()
}
`

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    skipLibCheck: false,
    noUncheckedIndexedAccess: true,
    outDir: 'out',
  },
  files: ['check.ts'],
}

beforeAll(() => {
  const typescript = `typescript@${manifest(root).devDependencies!.typescript}`
  project = packAndInstall(
    PACKED.map((pkg) => path.join(packages, pkg)),
    [...peersToInstall(), typescript],
  )
  writeFileSync(path.join(project, 'check.ts'), CONSUMER)
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
}, 300_000)

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true })
})

describe('published packages', () => {
  it('install with npm outside the workspace and run a query', () => {
    writeFileSync(
      path.join(project, 'check.mjs'),
      `import { connection, closeAll } from '@sqlconn/core'
const db = await connection('sqlite', { filename: 'packed.db' })
await db.query('create table if not exists t (x integer)', { cache: false })
await db.db.insertInto('t').values({ x: 41 }).execute()
const t = await db.query('select x + 1 as answer from t')
console.log(JSON.stringify({ rows: t.toArray(), type: t.schema.fields[0].type }))
await closeAll()
`,
    )
    const out = execFileSync(process.execPath, ['check.mjs'], { cwd: project, encoding: 'utf8' })
    expect(JSON.parse(out.trim())).toEqual({ rows: [{ answer: 42 }], type: 'int64' })
  })

  it('compile in a strict TypeScript project (nodenext, skipLibCheck false, interface rows) for every adapter', () => {
    let output = ''
    try {
      execFileSync(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
        cwd: project,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      })
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err)
    }
    expect(output).toBe('')
    // The compiled consumer runs: its types describe what the packages really return.
    rmSync(path.join(project, 'packed.db'), { force: true })
    const out = execFileSync(process.execPath, [path.join('out', 'check.js'), 'sqlite'], {
      cwd: project,
      encoding: 'utf8',
    })
    expect(JSON.parse(out.trim())).toEqual({ rows: [{ answer: 42 }], type: 'int64', arrowRows: 1 })
  }, 120_000)
})
