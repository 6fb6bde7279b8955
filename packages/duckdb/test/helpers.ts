import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'

export { useSandbox } from '@sqlconn/core/testing'

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
      // Kept reachable: a collected instance closes its database and lets the lock go.
      globalThis.held = { db, c }
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
