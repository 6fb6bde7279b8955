import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { secretsToml, wrongPasswordSection } from './fixtures.js'
import { makeProject, type Project, run } from './helpers.js'

let project: Project | undefined
afterEach(() => project?.remove())

/** A project whose secrets file holds the three healthy connections and `extra`. */
function withSecrets(extra = ''): Project {
  project = makeProject('')
  writeFileSync(path.join(project.dir, '.sqlconn', 'secrets.toml'), secretsToml(project.dir, extra))
  return project
}

const SECRETS = (p: Project) => path.join(p.dir, '.sqlconn', 'secrets.toml')

describe('sqlconn doctor', () => {
  it('reports every healthy connection ok with its adapter, ping and server version, and exits 0', async () => {
    const p = withSecrets()
    const r = await run(p, ['doctor'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/✔ ok {2}lite {2}\(type sqlite\)\n {2}adapter {2}@sqlconn\/sqlite \d/)
    expect(r.stdout).toMatch(/✔ ok {2}pg {2}\(type postgres\)[\s\S]*server {3}PostgreSQL \d+/)
    expect(r.stdout).toMatch(/✔ ok {2}my {2}\(type mysql\)[\s\S]*server {3}\d+\.\d+/)
    expect(r.stdout).toMatch(/✔ ok {2}duck {2}\(type duckdb\)[\s\S]*server {3}v\d+\.\d+/)
    expect(r.stdout).toContain('All 4 connections ok.')
  })

  it('--json gives each value with the file it came from', async () => {
    const p = withSecrets()
    const r = await run(p, ['doctor', 'pg', '--json'])
    expect(r.code).toBe(0)
    const [report] = JSON.parse(r.stdout)
    expect(report).toMatchObject({ name: 'pg', ok: true, type: 'postgres', ping: { ok: true } })
    expect(report.config.host).toEqual({ value: '127.0.0.1', source: `secrets: ${SECRETS(p)}` })
    expect(report.config.port.source).toMatch(/secrets|default/)
    expect(report.cache).toMatchObject({ kind: 'memory', answers: true, entries: 0 })
  })

  it("a wrong password fails with the server's refusal, the password masked, and exit 1", async () => {
    const password = 'wr0ng-Pa55-cli'
    const p = withSecrets(wrongPasswordSection('badmy', password))
    const r = await run(p, ['doctor', 'lite', 'badmy'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/✔ ok {2}lite/)
    expect(r.stdout).toMatch(/✘ failed {2}badmy {2}\(type mysql\)/)
    expect(r.stdout).toMatch(/password\s+= \*\*\*\*/)
    expect(r.stdout).toMatch(/error {4}\[CONNECTION_FAILED\].*Access denied/)
    expect(r.stdout).toContain('1 of 2 connections failed.')
    expect(r.stdout + r.stderr).not.toContain(password)
  })

  it('a configured cache store that does not answer fails the check, its password masked', async () => {
    // Nothing listens on port 1: the Redis client is refused.
    const p = withSecrets('\n[connections.lite.cache]\nurl = "redis://:cache-Pa55-cli@127.0.0.1:1"\n')
    const r = await run(p, ['doctor', 'lite'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/✘ failed {2}lite/)
    expect(r.stdout).toMatch(/cache {4}redis:\/\/:\*\*\*\*@127\.0\.0\.1:1: does not answer/)
    expect(r.stdout + r.stderr).not.toContain('cache-Pa55-cli')
  })

  it('names the install command for an adapter the project does not have', async () => {
    const p = withSecrets('\n[connections.other]\ntype = "sqlconn-nosuchdb"\n')
    const r = await run(p, ['doctor', 'other', '--json'])
    expect(r.code).toBe(1)
    const [report] = JSON.parse(r.stdout)
    expect(report.adapter.package).toBe('sqlconn-nosuchdb')
    expect(report.adapter.version).toBeUndefined()
    expect(report.adapter.installCommand).toMatch(/^(npm install|pnpm add|yarn add|bun add) sqlconn-nosuchdb$/)
    expect(report.error.code).toBe('ADAPTER_NOT_INSTALLED')
  })
})

describe('sqlconn connections', () => {
  it('lists each section with its type and the file it came from', async () => {
    const p = withSecrets()
    const r = await run(p, ['connections'])
    expect(r.code).toBe(0)
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `duck  duckdb    ${SECRETS(p)}`,
      `lite  sqlite    ${SECRETS(p)}`,
      `my    mysql     ${SECRETS(p)}`,
      `pg    postgres  ${SECRETS(p)}`,
    ])
  })
})

describe('sqlconn --help', () => {
  it('lists every command', async () => {
    const p = withSecrets()
    const r = await run(p, ['--help'])
    expect(r.code).toBe(0)
    for (const cmd of ['doctor', 'query', 'connections', 'cache']) expect(r.stdout).toMatch(new RegExp(`\\n  ${cmd} `))
  })

  it("query's help lists every option", async () => {
    const p = withSecrets()
    const r = await run(p, ['query', '--help'])
    expect(r.code).toBe(0)
    for (const opt of ['--param', '--format', '--output', '--ttl', '--max-rows', '--chunk-size', '--quiet']) {
      expect(r.stdout).toContain(opt)
    }
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('"table", "csv", "json", "ndjson", "arrow"')
  })
})
