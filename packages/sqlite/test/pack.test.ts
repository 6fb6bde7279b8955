import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))
const packages = path.resolve(here, '..', '..')
const project = mkdtempSync(path.join(tmpdir(), 'sqlconn-pack-'))

function pnpm(args: string[], cwd: string): string {
  const execpath = process.env.npm_execpath
  if (execpath && /pnpm/.test(execpath)) {
    return execFileSync(
      /\.c?js$/.test(execpath) ? process.execPath : execpath,
      /\.c?js$/.test(execpath) ? [execpath, ...args] : args,
      { cwd, encoding: 'utf8' },
    )
  }
  return execFileSync('npx', ['-y', 'pnpm@10.34.9', ...args], { cwd, encoding: 'utf8' })
}

afterAll(() => rmSync(project, { recursive: true, force: true }))

describe('published packages', () => {
  it('install with npm outside the workspace and run a query', () => {
    for (const pkg of ['core', 'sqlite']) pnpm(['pack', '--pack-destination', project], path.join(packages, pkg))
    const tarballs = readdirSync(project).filter((f) => f.endsWith('.tgz'))
    expect(tarballs).toHaveLength(2)
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
    )
    execFileSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...tarballs.map((t) => `./${t}`),
        'better-sqlite3@13.2.0',
        'kysely@0.29.9',
      ],
      { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 },
    )
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
  }, 300_000)
})
