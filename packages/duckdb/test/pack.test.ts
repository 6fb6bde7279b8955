import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { packAndInstall } from '@sqlconn/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// core and duckdb packed as they are published, installed with npm into a new project outside the
// workspace, with the peers a user installs.
const here = path.dirname(fileURLToPath(import.meta.url))
const packages = path.resolve(here, '..', '..')
let project = ''
const PACKED = ['core', 'duckdb'] as const

function manifest(dir: string): { devDependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
}

const CHECK = `import { closeAll, connection } from '@sqlconn/core'

const db = await connection('duckdb', { path: 'packed.duckdb' })
await db.query("copy (select range as id, (range * 1.5)::decimal(10,2) as total from range(10)) to 'sales.parquet' (format parquet)", { cache: false })
const t = await db.query("select count(*) as n, sum(total) as total from 'sales.parquet' where id >= :from", { params: { from: 5 } })
await db.query('create table if not exists t (x integer)', { cache: false })
await db.db.insertInto('t').values({ x: 41 }).execute()
const k = await db.query('select x + 1 as answer from t')
console.log(JSON.stringify({ row: { n: String(t.get(0).n), total: t.get(0).total }, answer: k.get(0).answer, type: t.schema.fields[1].type }))
await closeAll()
`

beforeAll(() => {
  const dev = manifest(path.join(packages, 'duckdb')).devDependencies!
  project = packAndInstall(
    PACKED.map((pkg) => path.join(packages, pkg)),
    [`@duckdb/node-api@${dev['@duckdb/node-api']}`, `kysely@${dev.kysely}`],
    'sqlconn-duckdb-pack-',
  )
  writeFileSync(path.join(project, 'check.mjs'), CHECK)
}, 300_000)

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true })
})

describe('the published @sqlconn/duckdb', () => {
  it('installs with npm into a new project, where type "duckdb" queries a Parquet file and writes through Kysely', () => {
    const out = execFileSync(process.execPath, ['check.mjs'], { cwd: project, encoding: 'utf8' })
    expect(JSON.parse(out.trim())).toEqual({ row: { n: '5', total: '52.50' }, answer: 42, type: 'decimal' })
  })
})
