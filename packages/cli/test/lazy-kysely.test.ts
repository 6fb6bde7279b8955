import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsToml, seed } from './fixtures.js'
import { makeProject, type Project } from './helpers.js'

let project: Project

// Records every Kysely module file the process loads (import or require), then reads through
// query() and stream(), then through conn.db and a `sql` template of the app's own kysely.
const SCRIPT = `import { registerHooks } from 'node:module'
const seen = new Set()
registerHooks({ load(url, context, next) { if (/[\\\\/]kysely[\\\\/]/.test(url)) seen.add(url); return next(url, context) } })
const { connection, closeAll } = await import('@sqlconn/core')
const conn = await connection(process.argv[2])
await conn.query('select 1 as one')
for await (const _ of conn.stream('select 1 as one')) {}
const afterQuery = seen.size
const kysely = await import('kysely')
const sameClass = conn.db instanceof kysely.Kysely
const two = (await conn.query(kysely.sql\`select \${2} as two\`, { cache: false })).get(0).two
console.log(JSON.stringify({ afterQuery, afterDb: seen.size, sameClass, two: Number(two) }))
await closeAll()
`

beforeAll(async () => {
  project = makeProject('')
  writeFileSync(path.join(project.dir, '.sqlconn', 'secrets.toml'), secretsToml(project.dir))
  writeFileSync(path.join(project.dir, 'lazy.mjs'), SCRIPT)
  await seed(project)
})

afterAll(() => project?.remove())

describe.each(['lite', 'pg', 'my'] as const)('Kysely on %s', (name) => {
  it("query() and stream() with SQL text never load Kysely; conn.db is the app's own Kysely", () => {
    const r = spawnSync(process.execPath, ['lazy.mjs', name], { cwd: project.dir, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    expect(out.afterQuery).toBe(0)
    expect(out.afterDb).toBeGreaterThan(0)
    // One copy: the Kysely class behind conn.db is the one `import 'kysely'` gives the app.
    expect(out.sameClass).toBe(true)
    expect(out.two).toBe(2)
  })
})
