/**
 * Small helpers for adapter tests: a sandboxed working directory and HOME, a record of a
 * connection's events, gates and waiting without asserting timings, and running a script in a
 * child process.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import type { BaseConnection, ConnectionEvents } from '../connection.js'
import { closeAll } from '../factory.js'

/** A test's own directory, from `useSandbox()`. */
export interface Sandbox {
  /** The current test's directory (its `home` and `project`, the working directory, are inside). */
  dir(): string
  /**
   * Writes `text` to `file` (relative to `dir()`), creating its folders, and returns the full path;
   * with `mode`, the file gets those permissions (a driver may refuse a password file others can read).
   */
  write(file: string, text: string, mode?: number): string
}

/**
 * Gives each test its own working directory and HOME (so no real ~/.sqlconn, or a driver's own
 * files there, is read), with SQLCONN_SECRETS_FILE, DATABASE_URL and the `variables` listed unset,
 * and restores them all afterwards, after `closeAll()`. Call it at the top of a test file. With
 * `fileMode`, files written get those permissions unless `write()` is told otherwise (a driver may
 * refuse a password file others can read).
 */
export function useSandbox(variables: readonly string[] = [], { fileMode }: { fileMode?: number } = {}): Sandbox {
  let dir = ''
  const names = ['HOME', 'SQLCONN_SECRETS_FILE', 'DATABASE_URL', ...variables]
  let saved: Record<string, string | undefined> = {}
  let cwd = ''
  beforeEach(() => {
    saved = Object.fromEntries(names.map((n) => [n, process.env[n]]))
    cwd = process.cwd()
    dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-test-'))
    mkdirSync(path.join(dir, 'home'))
    mkdirSync(path.join(dir, 'project'))
    for (const n of names) delete process.env[n]
    process.env.HOME = path.join(dir, 'home')
    process.chdir(path.join(dir, 'project'))
  })
  afterEach(async () => {
    await closeAll()
    process.chdir(cwd)
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir: () => dir,
    write(file: string, text: string, mode?: number) {
      const full = path.resolve(dir, file)
      mkdirSync(path.dirname(full), { recursive: true })
      writeFileSync(full, text)
      const chosen = mode ?? fileMode
      if (chosen !== undefined) chmodSync(full, chosen)
      return full
    },
  }
}

/** Waits until `check` holds, polling every 10 ms; for tests (no timing is asserted). */
export async function until(check: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${what} never held`)
}

/** `promise`, or a failure naming `what` if it has not settled within `ms`: a hang fails fast. */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Runs `node <script> ...args` in a child process and resolves with its exit code, output and how
 * long it ran; rejects if it has not exited within `ms` (the child is killed). For checking that a
 * script which never calls `closeAll()` still ends once its work is done.
 */
export function runScript(
  script: string,
  args: readonly string[] = [],
  { ms = 10_000, cwd }: { ms?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${path.basename(script)} did not exit within ${ms} ms; output: ${stdout}${stderr}`))
    }, ms)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, elapsedMs: performance.now() - started })
    })
  })
}

/** Every event a connection emitted since `recordEvents()`, by name, in order. */
export type EventLog = {
  readonly [E in keyof ConnectionEvents]: Array<ConnectionEvents[E][0]>
} & {
  /** Stops recording (the arrays keep what they have). */
  stop(): void
}

const EVENT_NAMES: ReadonlyArray<keyof ConnectionEvents> = ['retry', 'reset', 'query', 'cacheError', 'cacheBreaker']

/**
 * Records every event `conn` emits from now on: `events.retry`, `events.reset`, `events.query`...
 * hold the payloads in order, so a test asserts on them (`events.reset.map((e) => e.reason)`).
 */
export function recordEvents(conn: Pick<BaseConnection, 'on' | 'off'>): EventLog {
  const log: Record<string, unknown[]> = {}
  const listeners = EVENT_NAMES.map((name) => {
    const seen: unknown[] = []
    log[name] = seen
    const listener = (payload: unknown) => {
      seen.push(payload)
    }
    conn.on(name, listener)
    return [name, listener] as const
  })
  return Object.assign(log, {
    stop() {
      for (const [name, listener] of listeners) conn.off(name, listener)
    },
  }) as unknown as EventLog
}

/** A promise the test opens itself, from `gate()`. */
export interface Gate {
  /** Resolves once `open()` is called. */
  readonly opened: Promise<void>
  /** Lets everything waiting on `opened` through. */
  open(): void
}

/**
 * A gate: code under test awaits `opened` and stays there until the test calls `open()`, so "still
 * running" is a state the test holds, not a duration it hopes for.
 */
export function gate(): Gate {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}
