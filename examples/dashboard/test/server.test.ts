// Starting the dashboard: the first start seeds the shop through connection('shop'), later starts
// find it, and `node src/main.ts` (what `pnpm dashboard` runs) prints its URL once it answers.
import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { closeAll } from '@sqlconn/core'
import { afterAll, describe, expect, it } from 'vitest'
import { FIRST_DAY, LAST_DAY, PRODUCTS, REGIONS } from '../src/seed.ts'
import { startDashboard } from '../src/server.ts'

const example = process.cwd()
const children: ChildProcess[] = []

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  await closeAll()
})

/** Runs `node src/main.ts` from the example and resolves with its output once `until` matches. */
function runMain(env: Record<string, string>, until: RegExp): Promise<{ out: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['src/main.ts'], { cwd: example, env: { ...process.env, ...env } })
  children.push(child)
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no match for ${until} in 20 s:\n${out}`)), 20_000)
    const check = (chunk: Buffer) => {
      out += chunk.toString()
      if (until.test(out)) {
        clearTimeout(timer)
        resolve({ out, child })
      }
    }
    child.stdout.on('data', check)
    child.stderr.on('data', check)
    child.on('exit', () => {
      clearTimeout(timer)
      if (until.test(out)) resolve({ out, child })
      else reject(new Error(`main.ts exited before ${until}:\n${out}`))
    })
  })
}

describe('first start', () => {
  it('seeds 200,000 order lines over two years, five regions and eight products, and later starts seed nothing', async () => {
    // A project of its own under the example (so the example's packages resolve), with the
    // example's secrets file as it is: the database file does not exist yet.
    const dir = path.join(example, 'test-output', `first-start-${process.pid}`)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(path.join(dir, '.sqlconn'), { recursive: true })
    copyFileSync(path.join(example, '.sqlconn/secrets.toml'), path.join(dir, '.sqlconn/secrets.toml'))
    process.chdir(dir)
    try {
      const first = await startDashboard()
      console.log(`seeded ${first.seed.rows} lines into SQLite in ${first.seed.ms.toFixed(0)} ms`)
      expect(first.seed).toMatchObject({ seeded: true, rows: 200_000 })
      const t = await first.conn.query(
        `select count(*) as n, count(distinct region) as regions, count(distinct product) as products,
                count(distinct substr(ordered_on, 1, 7)) as months, min(ordered_on) as first_day, max(ordered_on) as last_day
         from order_lines`,
        { cache: false },
      )
      expect(t.toJSON()).toEqual([
        {
          n: 200_000,
          regions: REGIONS.length,
          products: PRODUCTS.length,
          months: 24,
          first_day: FIRST_DAY,
          last_day: LAST_DAY,
        },
      ])
      await first.close()
      const again = await startDashboard()
      expect(again.seed.seeded).toBe(false)
      await again.close()
    } finally {
      process.chdir(example)
      await closeAll()
      rmSync(dir, { recursive: true, force: true })
    }
    // The seed takes a few seconds alone; the browser test may share the two cores meanwhile.
  }, 90_000)
})

describe('node src/main.ts', () => {
  it('prints the URL it serves on once the page answers there', async () => {
    const { out, child } = await runMain({ PORT: '0' }, /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\n/)
    const url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<title>Shop dashboard')
    child.kill('SIGTERM')
  })

  it('refuses a PORT that is not a port number, saying what it needs', async () => {
    const { out } = await runMain({ PORT: 'eighty' }, /PORT must be/)
    expect(out).toContain('PORT must be a port number (0 to 65535); got "eighty".')
  })
})
