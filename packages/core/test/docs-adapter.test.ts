import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeAll, connection } from '../src/index.js'
import { describeConformance, packAndInstall } from '../src/testing.js'
import { NodeSqliteConnection } from './fixtures/node-sqlite-adapter.js'

const dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-docs-adapter-'))
const file = path.join(dir, 'conformance.db')

afterAll(async () => {
  await closeAll()
})

const core = fileURLToPath(new URL('..', import.meta.url))
const guide = readFileSync(fileURLToPath(new URL('../../../docs/writing-an-adapter.md', import.meta.url)), 'utf8')

/** The guide's files: every block whose opening fence names a path after the language (```json package.json). */
function guideFiles(): Map<string, string> {
  const files = new Map<string, string>()
  for (const m of guide.matchAll(/^```\w+ (\S+)\n([\s\S]*?)^```$/gm)) files.set(m[1]!, m[2]!)
  return files
}

describe('the adapter docs/writing-an-adapter.md builds', () => {
  it('is the fixture these tests run, line for line', () => {
    const block = guideFiles().get('src/index.ts')
    const fixture = readFileSync(fileURLToPath(new URL('./fixtures/node-sqlite-adapter.ts', import.meta.url)), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('// '))
      .join('\n')
      .replace("from '../../src/index.js'", "from '@sqlconn/core'")
    expect(fixture).toBe(block)
  })

  it('never serves one in-memory database the cached rows of another', async () => {
    const a = await connection('a', { type: NodeSqliteConnection, path: ':memory:' })
    const b = await connection('b', { type: NodeSqliteConnection, path: ':memory:' })
    for (const [conn, name] of [
      [a, 'rex'],
      [b, 'tom'],
    ] as const) {
      await conn.query('create table pets (name text)', { cache: false })
      await conn.query('insert into pets values (?)', { params: [name], cache: false })
    }
    expect((await a.query('select name from pets')).toArray()).toEqual([{ name: 'rex' }])
    expect((await b.query('select name from pets')).toArray()).toEqual([{ name: 'tom' }])
  })
})

/**
 * The environment for npm and the programs it runs: this test's Node first on the PATH (node:sqlite
 * needs Node 22.16 or newer), and none of this run's vitest settings, which would steer the inner run.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
  }
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k === 'TEST') delete env[k]
  // Plain text, so the inner run's summary can be read.
  delete env.FORCE_COLOR
  env.NO_COLOR = '1'
  return env
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: childEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  })
}

describe('the package docs/writing-an-adapter.md describes, built from its own blocks', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'sqlconn-guide-'))
  const pkg = path.join(work, 'sqlconn-node-sqlite')
  let project = ''

  beforeAll(() => {
    for (const [file, text] of guideFiles()) {
      mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true })
      writeFileSync(path.join(pkg, file), text)
    }
    // As the guide says: npm install, npm run build. @sqlconn/core comes from its packed tarball
    // (--no-save keeps the guide's own range), as it is not published from this repository yet.
    execFileSync('npx', ['-y', 'pnpm@10.34.9', 'pack', '--pack-destination', work], { cwd: core, env: childEnv() })
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!
    npm(['install', '--no-save', path.join(work, tarball)], pkg)
    npm(['run', 'build'], pkg)
    // The built package as a user gets it: packed, installed with core into a new project, with the
    // guide's peers and test tools (its devDependencies but the build tools).
    const manifest = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>
    }
    const tools = new Set(['tsup', 'typescript', '@types/node'])
    const extra = Object.entries(manifest.devDependencies)
      .filter(([name]) => !tools.has(name))
      .map(([name, version]) => `${name}@${version}`)
    project = packAndInstall([core, pkg], extra, 'sqlconn-guide-app-')
  }, 600_000)

  afterAll(() => {
    rmSync(work, { recursive: true, force: true })
    if (project) rmSync(project, { recursive: true, force: true })
  })

  it('builds a dist that keeps the node: prefix of node:sqlite', () => {
    const dist = readFileSync(path.join(pkg, 'dist', 'index.js'), 'utf8')
    expect(dist).toContain("from 'node:sqlite'".replaceAll("'", '"'))
    expect(readdirSync(path.join(pkg, 'dist'))).toContain('index.d.ts')
  })

  it('passes the conformance suite from its packed dist, installed in another project', () => {
    // The guide's own test file, importing the installed package instead of its sources.
    const test = guideFiles().get('test/conformance.test.ts')!.replace("'../src/index.js'", "'sqlconn-node-sqlite'")
    mkdirSync(path.join(project, 'test'))
    writeFileSync(path.join(project, 'test', 'conformance.test.ts'), test)
    const vitest = path.join(project, 'node_modules', 'vitest', 'vitest.mjs')
    let output = ''
    let failed = false
    try {
      output = execFileSync(process.execPath, [vitest, 'run', '--reporter=dot'], {
        cwd: project,
        env: childEnv(),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 300_000,
      })
    } catch (err) {
      failed = true
      output = String((err as { stdout?: string }).stdout ?? err)
    }
    expect(failed, output).toBe(false)
    expect(output).toMatch(/Tests\s+\S*\d+ passed/)
  }, 300_000)
})

describeConformance({
  name: 'docs adapter (node:sqlite)',
  create: (options) => new NodeSqliteConnection('conformance', { path: file, ...options }),
  placeholder: '?',
  types: { integer: 'INTEGER', float: 'REAL', text: 'TEXT', binary: 'BLOB' },
  breakConnections: async (conn) => {
    ;(conn as NodeSqliteConnection).raw.close()
  },
  targets: () => [{ path: path.join(dir, 'a.db') }, { path: path.join(dir, 'b.db') }],
  driverSettings: (conn) => ({ path: (conn as NodeSqliteConnection).raw.location() ?? ':memory:' }),
  inMemory: { path: ':memory:' },
})
