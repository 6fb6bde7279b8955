import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built bin, run as users run it. */
export const BIN = fileURLToPath(new URL('../dist/index.js', import.meta.url))

export const PG_URL = process.env.SQLCONN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const MYSQL_URL = process.env.SQLCONN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
export const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A temp project: `.sqlconn/secrets.toml`, its own HOME, and node_modules with the adapters and drivers installed. */
export interface Project {
  readonly dir: string
  /** Removes the directory. */
  remove(): void
}

/** Makes a project directory whose secrets file is `secrets`. */
export function makeProject(secrets: string): Project {
  const dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-cli-'))
  mkdirSync(path.join(dir, '.sqlconn'))
  mkdirSync(path.join(dir, 'home'))
  writeFileSync(path.join(dir, '.sqlconn', 'secrets.toml'), secrets)
  writeFileSync(path.join(dir, 'package.json'), '{ "name": "cli-test-project", "private": true }\n')
  // This package's devDependencies are what a user's project would have installed.
  symlinkSync(fileURLToPath(new URL('../node_modules', import.meta.url)), path.join(dir, 'node_modules'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** What a run of the bin printed and how it exited. */
export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Peak resident memory of the process in MB (from the `--import` hook below). */
  peakRssMb: number | undefined
}

// Prints the process's peak RSS on exit, so a test can report the CLI's memory without a profiler.
const PEAK_RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\npeak-rss-kb='+process.resourceUsage().maxRSS+'\\n'))`

/** Runs `sqlconn <args>` in `project` with node (the one running the tests) and collects its output. */
export function run(
  project: Project,
  args: readonly string[],
  options: { env?: Record<string, string>; onSpawn?: (child: import('node:child_process').ChildProcess) => void } = {},
): Promise<RunResult> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: path.join(project.dir, 'home'),
    NO_COLOR: '1',
  }
  for (const k of Object.keys(env)) if (/^(PG|MYSQL_|SQLCONN_SECRETS_FILE$|DATABASE_URL$)/.test(k)) delete env[k]
  Object.assign(env, options.env)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PEAK_RSS_HOOK, BIN, ...args], { cwd: project.dir, env })
    options.onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const m = /\npeak-rss-kb=(\d+)\n$/.exec(stderr)
      if (m) stderr = stderr.slice(0, m.index)
      resolve({ code, signal, stdout, stderr, peakRssMb: m ? Number(m[1]) / 1024 : undefined })
    })
  })
}

/** Parses RFC 4180 CSV (quoted fields may hold commas, quotes and newlines) into rows of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length) rows.push([...row, field])
  return rows
}
