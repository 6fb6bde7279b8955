import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PEOPLE_SQL, secretsToml, seed } from './fixtures.js'
import { BIN, makeProject, type Project } from './helpers.js'

let project: Project

// Core's dependencies that only some code paths need: each must load with the first use of its
// path, never with `import '@sqlconn/core'` (a one-shot process pays for every module it loads).
const HOOK = `import { registerHooks } from 'node:module'
const DEPS = ['cockatiel', 'keyv', 'fastest-levenshtein', 'smol-toml']
globalThis.loadedDeps = new Set()
registerHooks({
  load(url, context, next) {
    for (const d of DEPS) if (url.includes('/node_modules/' + d + '/')) globalThis.loadedDeps.add(d)
    return next(url, context)
  },
})
if (process.env.PRINT_DEPS) process.on('exit', () => process.stderr.write('deps=' + JSON.stringify([...globalThis.loadedDeps])))
`

// Reads without the cache, then with the memory cache, then makes a typo in an option, then caches
// through a custom keyv store: what is loaded is recorded after each step.
const SCRIPT = `const seen = () => [...globalThis.loadedDeps].sort()
const { connection, closeAll } = await import('@sqlconn/core')
const atImport = seen()
const conn = await connection('lite')
await conn.query('select 1 as one', { cache: false })
for await (const _ of conn.stream('select 1 as one')) {}
const plain = seen()
// node:crypto is a built-in module: Node lists it once loaded.
const crypto = () => process.moduleLoadList.includes('NativeModule crypto')
const cryptoAfterPlain = crypto()
await conn.query('select 2 as two')
const cached = seen()
const cryptoAfterCached = crypto()
// The global performance (perf_hooks) is not loaded to time a read: it is start-up time too.
const perfHooksAfterCached = process.moduleLoadList.includes('NativeModule perf_hooks')
// A process that goes on reading is no one-shot: its keys' SHA-256 moves to node:crypto.
for (let i = 0; i < 40; i++) await conn.query('select ? as n', { params: [i] })
const cryptoAfterManyCached = crypto()
let typo = ''
try { await connection('lite', { filenam: 'x.db' }) } catch (e) { typo = e.message }
const afterTypo = seen()
// node:v8 (V8's serializer) is a built-in module: Node lists it once loaded.
const v8 = () => process.moduleLoadList.includes('NativeModule v8')
const v8AfterReads = v8()
await conn.query('select ? as big', { params: [2n ** 40n] })
const v8AfterBigint = v8()
const map = new Map()
const store = { get: async (k) => map.get(k), set: async (k, v) => { map.set(k, v); return true }, delete: async (k) => map.delete(k), clear: async () => map.clear() }
const custom = await connection('lite', { cache: { store } })
const three = (await custom.query('select 3 as three')).get(0).three
console.log(JSON.stringify({ atImport, plain, cryptoAfterPlain, cached, cryptoAfterCached, perfHooksAfterCached, cryptoAfterManyCached, v8AfterReads, v8AfterBigint, typo, afterTypo, custom: seen(), three: Number(three), stored: map.size }))
await closeAll()
`

beforeAll(async () => {
  project = makeProject('')
  writeFileSync(path.join(project.dir, '.sqlconn', 'secrets.toml'), secretsToml(project.dir))
  writeFileSync(path.join(project.dir, 'hook.mjs'), HOOK)
  writeFileSync(path.join(project.dir, 'lazy.mjs'), SCRIPT)
  await seed(project)
})

afterAll(() => project?.remove())

describe('what a one-shot process loads at start-up', () => {
  it('a read without the cache loads none of them; each loads with the path that needs it', () => {
    const r = spawnSync(process.execPath, ['--import', './hook.mjs', 'lazy.mjs'], {
      cwd: project.dir,
      encoding: 'utf8',
    })
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    // The TOML parser comes with the first secrets file read (by connection()).
    expect(out.atImport).toEqual([])
    // query({ cache: false }) and stream(): no retry policy (no read failed), no cache, no typo.
    expect(out.plain).toEqual(['smol-toml'])
    // The memory cache is core's own LRU; keyv and the breaker are only for shared stores.
    expect(out.cached).toEqual(['smol-toml'])
    // SHA-256 of the secrets section, the options and the first cache keys is done in JavaScript;
    // node:crypto comes once a process has hashed more than loading it costs.
    expect(out.cryptoAfterPlain).toBe(false)
    expect(out.cryptoAfterCached).toBe(false)
    expect(out.perfHooksAfterCached).toBe(false)
    expect(out.cryptoAfterManyCached).toBe(true)
    expect(out.typo).toContain('Did you mean "filename"?')
    expect(out.afterTypo).toEqual(['fastest-levenshtein', 'smol-toml'])
    // Cache keys of plain parameters are JSON; a bigint parameter needs V8's serializer.
    expect(out.v8AfterReads).toBe(false)
    expect(out.v8AfterBigint).toBe(true)
    // A custom store goes through keyv, behind the circuit breaker (cockatiel), and works.
    expect(out.custom).toEqual(['cockatiel', 'fastest-levenshtein', 'keyv', 'smol-toml'])
    expect(out.three).toBe(3)
    expect(out.stored).toBeGreaterThan(0)
  })

  it('`sqlconn query <sqlite> -f csv` loads none of them', () => {
    const r = spawnSync(process.execPath, ['--import', './hook.mjs', BIN, 'query', 'lite', PEOPLE_SQL, '-f', 'csv'], {
      cwd: project.dir,
      encoding: 'utf8',
      env: { ...process.env, HOME: path.join(project.dir, 'home'), PRINT_DEPS: '1' },
    })
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('id,name,qty,score')
    expect(r.stderr).toBe('deps=["smol-toml"]')
  })

  it('`sqlconn query <sqlite> -f csv` loads neither node:child_process (Commander loads it only to spawn) nor node:crypto', () => {
    const hook = `data:text/javascript,process.on('exit',()=>process.stderr.write(['child_process','crypto','internal/fs/promises','internal/process/report'].map(m=>m+'='+process.moduleLoadList.includes('NativeModule '+m)).join(' ')))`
    const r = spawnSync(process.execPath, ['--import', hook, BIN, 'query', 'lite', PEOPLE_SQL, '-f', 'csv'], {
      cwd: project.dir,
      encoding: 'utf8',
      env: { ...process.env, HOME: path.join(project.dir, 'home') },
    })
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('id,name,qty,score')
    expect(r.stderr).toBe('child_process=false crypto=false internal/fs/promises=false internal/process/report=false')
    // The same hook sees it once something does load it: the check can fail.
    const loaded = spawnSync(
      process.execPath,
      // An ES module import of node:fs or node:process runs their lazy getters (what the build avoids).
      [
        '--import',
        hook,
        '--input-type=module',
        '-e',
        "import 'node:child_process'; import 'node:crypto'; import 'node:fs'; import 'node:process'",
      ],
      {
        encoding: 'utf8',
      },
    )
    expect(loaded.stderr).toBe('child_process=true crypto=true internal/fs/promises=true internal/process/report=true')
  })

  it("`sqlconn` keeps Node's compile cache, so a second run starts from cached code", () => {
    const run = (tmp: string, env: Record<string, string> = {}) => {
      mkdirSync(tmp, { recursive: true })
      const r = spawnSync(process.execPath, [BIN, 'query', 'lite', PEOPLE_SQL, '-f', 'csv'], {
        cwd: project.dir,
        encoding: 'utf8',
        env: { ...process.env, HOME: path.join(project.dir, 'home'), TMPDIR: tmp, ...env },
      })
      expect(r.status).toBe(0)
      return existsSync(path.join(tmp, 'node-compile-cache'))
    }
    expect(run(path.join(project.dir, 'tmp-cached'))).toBe(true)
    // Node's own switch turns it off.
    expect(run(path.join(project.dir, 'tmp-off'), { NODE_DISABLE_COMPILE_CACHE: '1' })).toBe(false)
  })
})
