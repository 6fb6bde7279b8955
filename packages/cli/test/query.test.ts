import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { tableFromIPC } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { driverRows, PEOPLE, PEOPLE_SQL, secretsToml, seed } from './fixtures.js'
import { makeProject, type Project, parseCsv, run } from './helpers.js'

let project: Project

beforeAll(async () => {
  project = makeProject('')
  writeFileSync(path.join(project.dir, '.sqlconn', 'secrets.toml'), secretsToml(project.dir))
  await seed(project)
})

afterAll(() => project?.remove())

/** Values as JSON carries them (bigint as number), for comparing what each format read back. */
const norm = (rows: readonly Record<string, unknown>[]) =>
  JSON.parse(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)))

describe.each(['lite', 'pg', 'my', 'duck'] as const)('sqlconn query on %s', (db) => {
  it("csv matches the database's own rows, quoting commas, quotes and newlines", async () => {
    const r = await run(project, ['query', db, PEOPLE_SQL, '--format', 'csv'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const expected = await driverRows(db, project, PEOPLE_SQL)
    const [header, ...rows] = parseCsv(r.stdout)
    expect(header).toEqual(Object.keys(expected[0]!))
    expect(rows).toEqual(expected.map((row) => Object.values(row).map((v) => (v === null ? '' : String(v)))))
  })

  it("json matches the database's own rows", async () => {
    const r = await run(project, ['query', db, PEOPLE_SQL, '--format', 'json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(norm(await driverRows(db, project, PEOPLE_SQL)))
  })

  it('ndjson gives one object per row, matching the database', async () => {
    const r = await run(project, ['query', db, PEOPLE_SQL, '--format', 'ndjson'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines.map((l) => JSON.parse(l))).toEqual(norm(await driverRows(db, project, PEOPLE_SQL)))
  })

  it('arrow writes an IPC stream file that apache-arrow reads back as the same rows', async () => {
    const file = path.join(project.dir, `${db}.arrow`)
    const r = await run(project, ['query', db, PEOPLE_SQL, '-o', file])
    expect(r.code).toBe(0)
    const table = tableFromIPC(readFileSync(file))
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'qty', 'score'])
    expect(norm(table.toArray().map((row) => row.toJSON()))).toEqual(norm(await driverRows(db, project, PEOPLE_SQL)))
  })

  it('table shows the columns and the row count', async () => {
    const r = await run(project, ['query', db, PEOPLE_SQL, '--format', 'table'])
    expect(r.code).toBe(0)
    const header = r.stdout.split('\n')[0]!
    for (const name of ['id', 'name', 'qty', 'score']) expect(header).toContain(`${name} (`)
    expect(r.stdout).toContain(`[${PEOPLE.length} rows x 4 columns]`)
    expect(r.stdout).toContain('comma, "quoted"')
  })
})

describe('sqlconn query', () => {
  it('binds -p values to :name placeholders', async () => {
    const r = await run(project, [
      'query',
      'pg',
      'select name from sqlconn_cli_people where id = :id::int',
      '-p',
      'id=2',
      '-f',
      'json',
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([{ name: 'comma, "quoted"' }])
  })

  it('prints a SQL error with its code and message, without a stack', async () => {
    const r = await run(project, ['query', 'pg', 'select * from no_such_table_cli'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error \[QUERY_FAILED\]: .*no_such_table_cli/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('prints the stack of an error with --verbose', async () => {
    const r = await run(project, ['--verbose', 'query', 'pg', 'select * from no_such_table_cli'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/\n\s+at /)
  })

  it('exports a million rows to csv as they stream, in bounded memory', async () => {
    const file = path.join(project.dir, 'million.csv')
    const sql =
      "with recursive r(i) as (select 1 union all select i + 1 from r where i < 1000000) select i as id, 'name ' || i as name, i * 0.5 as score from r"
    const started = performance.now()
    const r = await run(project, ['query', 'lite', sql, '-o', file])
    expect(r.code).toBe(0)
    const text = readFileSync(file, 'utf8')
    const lines = text.trimEnd().split('\n')
    expect(lines.length).toBe(1_000_001)
    expect(lines.at(-1)).toBe('1000000,name 1000000,500000')
    console.log(
      `1M-row csv export (${(text.length / 1e6).toFixed(0)} MB): peak RSS ${r.peakRssMb?.toFixed(0)} MB, ${Math.round(performance.now() - started)} ms`,
    )
    // Streaming holds one 10,000-row chunk: measured ~205 MB for 1M rows and ~235 MB for 3M (the
    // V8 heap grows with throughput, not with the result); a million row objects alone need more.
    expect(r.peakRssMb).toBeLessThan(320)
  }, 120_000)

  it('Ctrl-C stops an export, removes the partial file and exits 130', async () => {
    const file = path.join(project.dir, 'cancelled.csv')
    const sql = 'with recursive r(i) as (select 1 union all select i + 1 from r where i < 100000000) select i from r'
    // SIGINT once the export has started writing the file.
    const r = await run(project, ['query', 'lite', sql, '-o', file, '--chunk-size', '1000'], {
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (existsSync(file) && statSync(file).size > 0) {
            clearInterval(poll)
            child.kill('SIGINT')
          }
        }, 20)
        child.on('close', () => clearInterval(poll))
      },
    })
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/^Cancelled after [\d,]+ rows/)
    expect(existsSync(file)).toBe(false)
  }, 60_000)
})
