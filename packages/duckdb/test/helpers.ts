import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { closeAll } from '@sqlconn/core'
import { afterEach, beforeEach } from 'vitest'

/**
 * Gives each test its own working directory and HOME (so no real ~/.sqlconn is read) and
 * restores both afterwards.
 */
export function useSandbox(): { dir: () => string; write: (file: string, text: string) => string } {
  let dir = ''
  const saved = {
    cwd: process.cwd(),
    home: process.env.HOME,
    secrets: process.env.SQLCONN_SECRETS_FILE,
    url: process.env.DATABASE_URL,
  }
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-duckdb-'))
    mkdirSync(path.join(dir, 'home'))
    mkdirSync(path.join(dir, 'project'))
    process.env.HOME = path.join(dir, 'home')
    delete process.env.SQLCONN_SECRETS_FILE
    delete process.env.DATABASE_URL
    process.chdir(path.join(dir, 'project'))
  })
  afterEach(async () => {
    await closeAll()
    process.chdir(saved.cwd)
    for (const [k, v] of [
      ['HOME', saved.home],
      ['SQLCONN_SECRETS_FILE', saved.secrets],
      ['DATABASE_URL', saved.url],
    ] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir: () => dir,
    write(file: string, text: string) {
      const full = path.resolve(dir, file)
      mkdirSync(path.dirname(full), { recursive: true })
      writeFileSync(full, text)
      return full
    },
  }
}

/**
 * Another process holding a DuckDB file open for writing, as a DuckDB CLI or a second app would:
 * DuckDB's file lock is per process. `close()` ends it and so releases the lock.
 */
export async function lockInAnotherProcess(file: string): Promise<{ pid: number; close(): Promise<void> }> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api')
    DuckDBInstance.create(${JSON.stringify(file)}).then(async (db) => {
      const c = await db.connect()
      await c.run('create table if not exists held (x integer)')
      process.stdout.write('ready\\n')
      setInterval(() => {}, 1000)
    })`
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    cwd: path.resolve(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)))
  })
  return {
    pid: child.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill()
      }),
  }
}
