import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const core = path.join(import.meta.dirname, '..')
const require = createRequire(path.join(core, 'package.json'))
const dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-no-arrow-'))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Links a package core can resolve into the app's node_modules, as npm would install it. */
function link(name: string): void {
  let root: string | undefined
  for (let d = core; !root && d !== path.dirname(d); d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules', name))) root = realpathSync(path.join(d, 'node_modules', name))
  }
  if (!root) throw new Error(`${name} is not installed next to core`)
  mkdirSync(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true })
  symlinkSync(root, path.join(dir, 'node_modules', name))
}

describe('published types without the optional peers', () => {
  it('compile in a strict app (skipLibCheck off) that has not installed apache-arrow', async () => {
    const installed = path.join(dir, 'node_modules', '@sqlconn', 'core')
    mkdirSync(installed, { recursive: true })
    cpSync(path.join(core, 'dist'), path.join(installed, 'dist'), { recursive: true })
    cpSync(path.join(core, 'package.json'), path.join(installed, 'package.json'))
    for (const name of ['kysely', 'keyv', '@types/node']) link(name)
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          noEmit: true,
          types: ['node'],
        },
      }),
    )
    writeFileSync(
      path.join(dir, 'app.ts'),
      [
        "import { connection } from '@sqlconn/core'",
        'interface Pet { name: string }',
        "const db = await connection('pets')",
        "const t = await db.query<Pet>('select name from pets')",
        'for (const pet of t) console.log(pet.name.toUpperCase())',
      ].join('\n'),
    )
    const tsc = require.resolve('typescript/bin/tsc')
    const result = await run(process.execPath, [tsc, '-p', dir]).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    )
    expect(result).toBe('')
  }, 60_000)
})
