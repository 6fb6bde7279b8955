import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ConfigError,
  closeAll,
  connection,
  InvalidAdapterError,
  MissingOptionsError,
  maskUrlPasswords,
  type OptionSpec,
  SqlConnection,
  UnknownConnectionTypeError,
} from '../src/index.js'
import { resolveConfig } from '../src/options.js'
import { redactError } from '../src/redact.js'
import { recordEvents } from '../src/testing.js'
import { NodeSqliteConnection } from './fixtures/node-sqlite-adapter.js'

const REDIS_URL = process.env.SQLCONN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Each test gets its own project directory and HOME, so no real secrets file is read. */
let dir = ''
const saved = { cwd: process.cwd(), home: process.env.HOME, files: process.env.SQLCONN_SECRETS_FILE }

function write(file: string, text: string): string {
  const full = path.join(dir, file)
  mkdirSync(path.dirname(full), { recursive: true })
  writeFileSync(full, text)
  return full
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sqlconn-config-errors-'))
  mkdirSync(path.join(dir, 'home'))
  mkdirSync(path.join(dir, 'project'))
  process.env.HOME = path.join(dir, 'home')
  delete process.env.SQLCONN_SECRETS_FILE
  process.chdir(path.join(dir, 'project'))
})

afterEach(async () => {
  await closeAll()
  process.chdir(saved.cwd)
  if (saved.home === undefined) delete process.env.HOME
  else process.env.HOME = saved.home
  if (saved.files === undefined) delete process.env.SQLCONN_SECRETS_FILE
  else process.env.SQLCONN_SECRETS_FILE = saved.files
  rmSync(dir, { recursive: true, force: true })
})

describe('URL passwords', () => {
  it('masks a password holding @ : / ? # in any text', () => {
    const text = 'url "postgres://acc:p@ss:w/rd?x#y@db.example:5432/x" is wrong'
    const masked = maskUrlPasswords(text)
    expect(masked).not.toContain('p@ss:w/rd?x#y')
    expect(masked).toBe('url "postgres://acc:****@db.example:5432/x" is wrong')
  })

  it("replaces an error's cause that keeps the URL, leaving the original alone", () => {
    const url = 'postgres://acc:S3cret@[::1/x'
    const parseError = Object.assign(new TypeError('Invalid URL'), { input: url })
    const err = redactError(new ConfigError('INVALID_OPTION', 'url', `bad url ${url}`, { cause: parseError }), [])
    expect(inspect(err, { depth: 5 })).not.toContain('S3cret')
    expect(parseError.input).toBe(url)
  })
})

describe('missing required options', () => {
  const specs: OptionSpec[] = [
    { name: 'host', type: 'string', required: true, description: 'Server host.', native: ['PGHOST'] },
    { name: 'port', type: 'number', default: 5432, description: 'Server port.' },
    { name: 'database', type: 'string', required: true, description: 'Database name.', native: ['PGDATABASE'] },
  ]

  it('names every missing option in one ConfigError, each with where it may be set', () => {
    const err = (() => {
      try {
        resolveConfig(specs, [], { connectionName: 'wh', typeName: 'postgres' })
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toBeInstanceOf(MissingOptionsError)
    expect((err as MissingOptionsError).missing).toEqual(['host', 'database'])
    expect((err as Error).message).toBe(
      'postgres connection "wh" needs 2 options that are not set:\n' +
        '  - "host": Server host. Set it in code ({ host: ... }), under [connections.wh] in .sqlconn/secrets.toml or PGHOST.\n' +
        '  - "database": Database name. Set it in code ({ database: ... }), under [connections.wh] in .sqlconn/secrets.toml or PGDATABASE.',
    )
  })
})

describe('unknown type', () => {
  it('lists the built-in types and installed adapters, suggests one, then gives the install command', async () => {
    write('project/node_modules/sqlconn-node-sqlite/package.json', '{"name":"sqlconn-node-sqlite"}')
    write('project/node_modules/@sqlconn/sqlite/package.json', '{"name":"@sqlconn/sqlite"}')
    write('project/node_modules/@sqlconn/core/package.json', '{"name":"@sqlconn/core"}')
    const err = await connection('x', { type: 'postgress' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnknownConnectionTypeError)
    const message = (err as Error).message
    expect(message).toMatch(/^Unknown connection type "postgress"\. Did you mean "postgres"\?\n/)
    expect(message).toContain('Built-in types: sqlite, postgres (or postgresql), mysql (or mariadb), duckdb.')
    expect(message).toContain('Adapters installed in this project: @sqlconn/sqlite, sqlconn-node-sqlite.')
    expect(message).toMatch(/If "postgress" is an adapter package, install it with: (npm install|\w+ add) postgress$/)
  })
})

describe('no type anywhere', () => {
  it('lists each secrets file looked in and whether it exists', async () => {
    const project = write('project/.sqlconn/secrets.toml', '[connections.other]\ntype = "sqlite"\n')
    const extra = write('extra.toml', '[connections.nameless]\nfilename = "a.db"\n')
    const gone = path.join(dir, 'gone.toml')
    process.env.SQLCONN_SECRETS_FILE = [extra, gone].join(path.delimiter)
    const err = await connection('nameless').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MISSING_OPTION', option: 'type' })
    const home = path.join(dir, 'home', '.sqlconn', 'secrets.toml')
    expect((err as Error).message).toContain(
      'Secrets files looked in:\n' +
        `  - ${home} (home): not found\n` +
        `  - ${project} (project): found, no [connections.nameless] section\n` +
        `  - ${extra} (from SQLCONN_SECRETS_FILE): found, [connections.nameless] has no type\n` +
        `  - ${gone} (from SQLCONN_SECRETS_FILE): not found`,
    )
  })
})

describe('a third-party class with a mistake', () => {
  class OptionsAsObject extends NodeSqliteConnection {
    static override readonly options = { path: { type: 'string' } } as unknown as OptionSpec[]
  }

  class NoTypeName extends SqlConnection {
    static override readonly options: readonly OptionSpec[] = [{ name: 'path', type: 'string', description: 'A file.' }]
    protected override connect(): object {
      return {}
    }
    protected override createDialect(): never {
      throw new Error('not reached')
    }
    protected override execute(): never {
      throw new Error('not reached')
    }
    protected override async *executeStream(): AsyncIterable<never> {}
  }

  it('is told its options must be an array', async () => {
    const err = await connection('x', { type: OptionsAsObject, path: ':memory:' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidAdapterError)
    expect((err as Error).message).toContain(
      'The connection class OptionsAsObject cannot be used:\n  - its static options is an object, not an array',
    )
  })

  it('is told it has no typeName', async () => {
    const err = await connection('x', { type: NoTypeName, path: ':memory:' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidAdapterError)
    expect((err as Error).message).toContain("it has no typeName: add `static readonly typeName = 'mydb'`")
  })

  it('is told what is wrong when made with new, without connection()', () => {
    expect(() => new OptionsAsObject('x', { path: ':memory:' }).config).toThrow(/static options is an object/)
  })

  it('is told what is wrong when it comes from a package', async () => {
    write(
      'project/node_modules/sqlconn-broken/package.json',
      '{"name":"sqlconn-broken","type":"module","exports":"./index.js"}',
    )
    write(
      'project/node_modules/sqlconn-broken/index.js',
      "export default class Broken { static typeName = 'broken'; static options = [{ name: 'path', type: 'text', description: 'A file.' }]; static nativeConfig() { return { kind: 'native', values: {} } } connect() {} }\n",
    )
    const err = await connection('x', { type: 'sqlconn-broken' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidAdapterError)
    expect((err as Error).message).toBe(
      'The connection class Broken exported by "sqlconn-broken" cannot be used:\n' +
        '  - options[0] ("path") has type "text": use one of string, number, boolean, object, any.',
    )
  })
})

describe('ttl spellings', () => {
  it('60, "60s" and "1m" give the same connection instance', async () => {
    const file = path.join(dir, 'ttl.db')
    const a = await connection('t', { type: NodeSqliteConnection, path: file, ttl: 60 })
    const b = await connection('t', { type: NodeSqliteConnection, path: file, ttl: '60s' })
    const c = await connection('t', { type: NodeSqliteConnection, path: file, ttl: '1m' })
    expect(b).toBe(a)
    expect(c).toBe(a)
  })

  it('60, "60s" and "1m" as cache.ttl give the same connection instance', async () => {
    const file = path.join(dir, 'ttl.db')
    const a = await connection('t', { type: NodeSqliteConnection, path: file, cache: { ttl: 60 } })
    const b = await connection('t', { type: NodeSqliteConnection, path: file, cache: { ttl: '1m' } })
    expect(b).toBe(a)
  })

  it('60, "60s" and "1m" as a query ttl share one cache entry', async () => {
    const conn = await connection('t', { type: NodeSqliteConnection, path: path.join(dir, 'ttl.db') })
    const events = recordEvents(conn)
    for (const ttl of [60, '60s', '1m']) await conn.query('select 42 as answer', { ttl })
    expect(events.query.map((e) => e.cached)).toEqual([false, true, true])
  })
})

describe('cache store precedence', () => {
  it('a store passed in code wins over a [cache] url in the secrets file', async () => {
    write('project/.sqlconn/secrets.toml', `[cache]\nurl = "${REDIS_URL}"\n`)
    const store = new Map()
    const conn = await connection('s', { type: NodeSqliteConnection, path: ':memory:', cache: { store } })
    await conn.query('select 7 as n')
    expect(store.size).toBe(1)
    await conn.close()
  })
})
