/**
 * The part of the conformance suite about targets: a cached result never crosses from one target
 * (file, database, schema) to another, and a connection follows its rotated secrets section.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { stringify } from 'smol-toml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionClass } from '../contract.js'
import { connection } from '../factory.js'
import type { SqlConnection } from '../sql-connection.js'
import type { ConformanceOptions } from './options.js'

/**
 * Registers the target tests. `current()` is the suite's open connection (its class is used) and
 * `table` the suite's table name, which the tables made here start with.
 */
export function describeTargets(options: ConformanceOptions, current: () => SqlConnection, table: string): void {
  describe('cached results stay with their target', () => {
    const probe = `${table}_cached`
    const cls = () => current().constructor as unknown as ConnectionClass

    /** Opens one connection per option set, each writing its own number into `probe`, then reads each. */
    async function readEach(optionSets: ReadonlyArray<Record<string, unknown>>): Promise<number[]> {
      const conns = optionSets.map((o, i) => new (cls())(`sqlconn_conformance_cached_${i}`, o) as SqlConnection)
      try {
        for (const [i, c] of conns.entries()) {
          await c.query(`create table ${probe} (v ${options.types.integer})`, { cache: false })
          await c.query(`insert into ${probe} (v) values (${i + 1})`, { cache: false })
        }
        const seen: number[] = []
        for (const c of conns) seen.push(Number((await c.query(`select v from ${probe}`, { ttl: 60 })).get(0)!.v))
        return seen
      } finally {
        for (const c of conns) {
          const drop = options.dropTable
            ? options.dropTable(c, probe)
            : c.query(`drop table if exists ${probe}`, { cache: false })
          await drop.catch(() => {})
          await c.close()
        }
      }
    }

    it('never serves one target the cached result of another', async () => {
      expect(await readEach(await options.targets())).toEqual([1, 2])
    })

    if (options.inMemory) {
      const memory = options.inMemory
      it('never serves one in-memory database the cached result of another', async () => {
        expect(await readEach([memory, memory])).toEqual([1, 2])
      })
    }
  })

  describe('rotated secrets', () => {
    const targetTable = `${table}_target`
    const sqlText = `select target from ${targetTable}`
    let targets: [Record<string, unknown>, Record<string, unknown>]
    let cls: ConnectionClass
    let dir = ''
    let file = ''
    let revision = 0
    let savedFiles: string | undefined
    const opened: SqlConnection[] = []

    /** A fresh connection of the adapter's class on one target, named so no secrets section applies. */
    const onTarget = (i: number) => new cls(`sqlconn_conformance_target_${i}`, targets[i]) as SqlConnection

    /** Rewrites the suite's secrets file; the stamp moves on each revision so no change is missed. */
    const writeSecrets = (sections: Record<string, Record<string, unknown>>) => {
      writeFileSync(file, stringify({ connections: sections }))
      const at = new Date(Date.now() + ++revision * 1000)
      utimesSync(file, at, at)
    }

    const open = async (name: string) => {
      const c = await connection<SqlConnection>(name, { type: cls })
      opened.push(c)
      return c
    }

    const targetOf = async (c: SqlConnection) => (await c.query(sqlText, { ttl: 0 })).get(0)?.target

    beforeAll(async () => {
      targets = await options.targets()
      cls = current().constructor as unknown as ConnectionClass
      for (const i of [0, 1]) {
        const c = onTarget(i)
        try {
          await c.query(`create table ${targetTable} (target ${options.types.text})`, { cache: false })
          await c.db
            .insertInto(targetTable as never)
            .values({ target: `target ${i}` } as never)
            .execute()
        } finally {
          await c.close()
        }
      }
      dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-conformance-'))
      file = path.join(dir, 'secrets.toml')
      savedFiles = process.env.SQLCONN_SECRETS_FILE
      process.env.SQLCONN_SECRETS_FILE = [savedFiles, file].filter(Boolean).join(path.delimiter)
    })

    afterAll(async () => {
      for (const c of opened) await c.close()
      if (savedFiles === undefined) delete process.env.SQLCONN_SECRETS_FILE
      else process.env.SQLCONN_SECRETS_FILE = savedFiles
      if (dir) rmSync(dir, { recursive: true, force: true })
      for (const i of [0, 1]) {
        if (!targets) break
        const c = onTarget(i)
        try {
          if (options.dropTable) await options.dropTable(c, targetTable)
          else await c.query(`drop table if exists ${targetTable}`, { cache: false })
        } finally {
          await c.close()
        }
      }
    })

    it('reaches the new target with the same SQL once its secrets section changes', async () => {
      const name = `rot_${Math.random().toString(36).slice(2, 8)}`
      writeSecrets({ [name]: targets[0] })
      const rot = await open(name)
      expect(await targetOf(rot)).toBe('target 0')
      writeSecrets({ [name]: targets[1] })
      expect(await open(name)).toBe(rot)
      expect(await targetOf(rot)).toBe('target 1')
    })

    it('keeps the driver object of a connection whose own section did not change', async () => {
      const name = `keep_${Math.random().toString(36).slice(2, 8)}`
      const other = `other_${Math.random().toString(36).slice(2, 8)}`
      writeSecrets({ [name]: targets[0], [other]: targets[0] })
      const keep = await open(name)
      expect(await targetOf(keep)).toBe('target 0')
      const raw = keep.raw
      writeSecrets({ [name]: targets[0], [other]: targets[1] })
      expect(await open(name)).toBe(keep)
      expect(await targetOf(keep)).toBe('target 0')
      expect(keep.raw).toBe(raw)
    })
  })
}
