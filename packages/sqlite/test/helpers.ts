import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { closeAll } from '@sqlconn/core'
import Database from 'better-sqlite3'
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
    dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-test-'))
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
 * Another process's view of the database holding an exclusive lock, so reads get a real
 * SQLITE_BUSY. `release()` lets them through; `close()` releases and closes (for `finally`).
 */
export function lockDatabase(file: string): { release(): void; close(): void } {
  const locker = new Database(path.resolve(file))
  locker.exec('begin exclusive')
  const release = () => {
    if (locker.inTransaction) locker.exec('rollback')
  }
  return {
    release,
    close() {
      release()
      locker.close()
    },
  }
}
