import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  AdapterNotInstalledError,
  ConfigError,
  closeAll,
  connection,
  InvalidAdapterError,
  SecretsFileError,
  UnknownConnectionTypeError,
} from '@sqlconn/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SqliteConnection } from '../src/index.js'
import { useSandbox } from './helpers.js'

const box = useSandbox()

afterEach(() => {
  vi.useRealTimers()
})

describe('connection()', () => {
  it('gives the same instance for the same name, type and options', async () => {
    const a = await connection('sqlite', { filename: 'a.db' })
    const b = await connection('sqlite', { filename: 'a.db' })
    expect(b).toBe(a)
  })

  it('gives another instance for other options', async () => {
    const a = await connection('sqlite', { filename: 'a.db' })
    const b = await connection('sqlite', { filename: 'b.db' })
    expect(b).not.toBe(a)
  })

  it('needs no type when the name is a type', async () => {
    const conn = await connection('sqlite', { filename: ':memory:' })
    // The short name loads the installed @sqlconn/sqlite (its build), not this test's source copy.
    expect(conn.constructor.name).toBe('SqliteConnection')
    expect((conn.constructor as typeof SqliteConnection).typeName).toBe('sqlite')
  })

  it('takes the type from the secrets section', async () => {
    box.write('project/.sqlconn/secrets.toml', '[connections.shop]\ntype = "sqlite"\nfilename = "shop.db"\n')
    const conn = await connection('shop')
    expect(conn.constructor.name).toBe('SqliteConnection')
    expect((conn as SqliteConnection).filename).toBe(path.join(process.cwd(), 'shop.db'))
  })

  it('accepts a connection class as the type', async () => {
    const conn = await connection('custom', { type: SqliteConnection, filename: ':memory:' })
    expect(conn).toBeInstanceOf(SqliteConnection)
  })

  it('reads the name from an environment variable with env:', async () => {
    box.write('project/.sqlconn/secrets.toml', '[connections.reports]\ntype = "sqlite"\nfilename = ":memory:"\n')
    process.env.SQLCONN_TEST_CONN_NAME = 'reports'
    try {
      const conn = await connection('env:SQLCONN_TEST_CONN_NAME')
      expect(conn.name).toBe('reports')
    } finally {
      delete process.env.SQLCONN_TEST_CONN_NAME
    }
  })

  it('says which variable is missing for env: names', async () => {
    await expect(connection('env:SQLCONN_NOT_SET_ANYWHERE')).rejects.toThrow(/SQLCONN_NOT_SET_ANYWHERE/)
  })

  it('asks for a type when none can be found', async () => {
    const err = await connection('nameless').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('MISSING_OPTION')
    expect((err as Error).message).toContain('[connections.nameless]')
  })

  it('rejects an unknown type with a did-you-mean', async () => {
    const err = await connection('x', { type: 'sqllite' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnknownConnectionTypeError)
    expect((err as UnknownConnectionTypeError).code).toBe('UNKNOWN_TYPE')
    expect((err as Error).message).toContain('Did you mean "sqlite"?')
  })

  it('names the install command when the adapter package is missing', () => {
    // A project of its own (outside this workspace, without NODE_PATH) where @sqlconn/postgres is not installed.
    const core = pathToFileURL(path.resolve(fileURLToPath(import.meta.url), '../../../core/dist/index.js')).href
    const script = `import { connection } from ${JSON.stringify(core)}
try { await connection('warehouse', { type: 'postgres' }) } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, packageName: e.packageName, message: e.message })) }`
    const env = { ...process.env }
    delete env.NODE_PATH
    delete env.npm_config_user_agent
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: process.cwd(),
        env,
        encoding: 'utf8',
      }),
    )
    expect(out).toMatchObject({
      name: 'AdapterNotInstalledError',
      code: 'ADAPTER_NOT_INSTALLED',
      packageName: '@sqlconn/postgres',
    })
    expect(out.message).toContain('npm install @sqlconn/postgres pg')
  })

  it('names the install command for a third-party package that is missing', async () => {
    const err = await connection('x', { type: 'sqlconn-duckdb-not-real' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdapterNotInstalledError)
    expect((err as Error).message).toMatch(/sqlconn-duckdb-not-real/)
  })

  it('does not take Object.prototype names for types', async () => {
    await expect(connection('constructor')).rejects.toMatchObject({ code: 'MISSING_OPTION', option: 'type' })
  })

  it('says when a package is not a connection adapter', async () => {
    const err = await connection('x', { type: 'kysely' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidAdapterError)
    expect((err as InvalidAdapterError).code).toBe('INVALID_ADAPTER')
    expect((err as Error).message).toContain('"kysely" does not export a connection class')
  })

  it('rebuilds an instance after its ttl, closing the old one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const a = await connection('sqlite', { filename: ':memory:', ttl: '1h' })
    vi.advanceTimersByTime(59 * 60_000)
    expect(await connection('sqlite', { filename: ':memory:', ttl: '1h' })).toBe(a)
    vi.advanceTimersByTime(2 * 60_000)
    const b = await connection('sqlite', { filename: ':memory:', ttl: '1h' })
    expect(b).not.toBe(a)
    await vi.waitFor(() => expect(a.closed).toBe(true))
  })

  it('keeps at most maxEntries instances, closing the least recently used', async () => {
    const a = await connection('sqlite', { filename: 'a.db', maxEntries: 2 })
    const b = await connection('sqlite', { filename: 'b.db', maxEntries: 2 })
    await connection('sqlite', { filename: 'a.db', maxEntries: 2 }) // a is now the most recent
    const c = await connection('sqlite', { filename: 'c.db', maxEntries: 2 })
    expect(b.closed).toBe(true)
    expect(a.closed).toBe(false)
    expect(c.closed).toBe(false)
  })

  it('closeAll() closes every cached instance', async () => {
    const a = await connection('sqlite', { filename: 'a.db' })
    const b = await connection('sqlite', { filename: 'b.db' })
    await closeAll()
    expect(a.closed && b.closed).toBe(true)
    expect(await connection('sqlite', { filename: 'a.db' })).not.toBe(a)
  })

  it('gives one instance to concurrent first calls', async () => {
    const [a, b] = await Promise.all([
      connection('sqlite', { filename: 'same.db' }),
      connection('sqlite', { filename: 'same.db' }),
    ])
    expect(a).toBe(b)
  })
})

describe('options', () => {
  it('rejects an unknown option with a did-you-mean', async () => {
    const err = await connection('sqlite', { filename: ':memory:', readOnly: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('UNKNOWN_OPTION')
    expect((err as Error).message).toContain('Did you mean "readonly"?')
  })

  it('rejects an unknown option in the secrets file, naming the file', async () => {
    const file = box.write('project/.sqlconn/secrets.toml', '[connections.sqlite]\nfilenme = "x.db"\n')
    const err = await connection('sqlite').catch((e: unknown) => e)
    expect((err as ConfigError).code).toBe('UNKNOWN_OPTION')
    expect((err as Error).message).toContain(file)
    expect((err as Error).message).toContain('Did you mean "filename"?')
  })

  it('names a missing required option and where to set it', async () => {
    const err = await connection('sqlite').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('MISSING_OPTION')
    expect((err as ConfigError).option).toBe('filename')
    expect((err as Error).message).toContain('[connections.sqlite]')
  })

  it('rejects a value of the wrong type', async () => {
    const err = await connection('sqlite', { filename: ':memory:', timeout: 'soon' }).catch((e: unknown) => e)
    expect((err as ConfigError).code).toBe('INVALID_OPTION')
    expect((err as Error).message).toContain('timeout')
  })

  it("accepts Kysely's `database` as an alias of filename", async () => {
    const conn = (await connection('sqlite', { database: 'k.db' })) as SqliteConnection
    expect(conn.filename).toBe(path.join(process.cwd(), 'k.db'))
    expect(conn.config.source('filename')).toBe('kwargs')
  })
})

describe('secrets files and precedence', () => {
  it('takes kwargs over secrets over DATABASE_URL, and says where each value came from', async () => {
    const file = box.write(
      'project/.sqlconn/secrets.toml',
      '[connections.sqlite]\nurl = "sqlite:///from-secrets.db"\ntimeout = 1234\nreadonly = false\n',
    )
    process.env.DATABASE_URL = 'sqlite:///from-env.db'
    const conn = (await connection('sqlite', { readonly: false, fileMustExist: false })) as SqliteConnection
    expect(conn.filename).toBe(path.join(process.cwd(), 'from-secrets.db'))
    expect(conn.config.source('url')).toBe(`secrets: ${file}`)
    expect(conn.config.source('timeout')).toBe(`secrets: ${file}`)
    expect(conn.config.source('readonly')).toBe('kwargs')
    expect(conn.config.source('safeIntegers')).toBe('default')
    expect(conn.config.toString()).toMatch(/timeout\s+= 1234\s+\(secrets: /)
  })

  it('falls back to DATABASE_URL when neither code nor secrets give the path', async () => {
    process.env.DATABASE_URL = 'sqlite:///from-env.db'
    const conn = (await connection('sqlite')) as SqliteConnection
    expect(conn.filename).toBe(path.join(process.cwd(), 'from-env.db'))
    expect(conn.config.source('url')).toBe('env DATABASE_URL')
  })

  it('ignores DATABASE_URL when it is not a sqlite URL', async () => {
    process.env.DATABASE_URL = 'postgres://u:p@localhost/db'
    await expect(connection('sqlite')).rejects.toMatchObject({ code: 'MISSING_OPTION' })
  })

  it('lets a path in code beat a url in secrets (they describe one thing)', async () => {
    box.write('project/.sqlconn/secrets.toml', '[connections.sqlite]\nurl = "sqlite:///secret.db"\n')
    const conn = (await connection('sqlite', { filename: 'code.db' })) as SqliteConnection
    expect(conn.filename).toBe(path.join(process.cwd(), 'code.db'))
    expect(conn.config.has('url')).toBe(false)
  })

  it('merges home and project files key by key, the project winning', async () => {
    const home = box.write(
      'home/.sqlconn/secrets.toml',
      '[connections.db]\ntype = "sqlite"\nfilename = "home.db"\ntimeout = 77\n',
    )
    const project = box.write('project/.sqlconn/secrets.toml', '[connections.db]\nfilename = "project.db"\n')
    const conn = (await connection('db')) as SqliteConnection
    expect(conn.filename).toBe(path.join(process.cwd(), 'project.db'))
    expect(conn.config.source('filename')).toBe(`secrets: ${project}`)
    expect(conn.config.get('timeout')).toBe(77)
    expect(conn.config.source('timeout')).toBe(`secrets: ${home}`)
  })

  it('reads SQLCONN_SECRETS_FILE files after the defaults, a later one winning', async () => {
    box.write(
      'project/.sqlconn/secrets.toml',
      '[connections.db]\ntype = "sqlite"\nfilename = "project.db"\ntimeout = 1\n',
    )
    const one = box.write('extra/one.toml', '[connections.db]\nfilename = "one.db"\ntimeout = 2\n')
    const two = box.write('extra/two.toml', '[connections.db]\ntimeout = 3\n')
    process.env.SQLCONN_SECRETS_FILE = [one, two].join(path.delimiter)
    const conn = (await connection('db')) as SqliteConnection
    expect(conn.filename).toBe(path.join(process.cwd(), 'one.db'))
    expect(conn.config.get('timeout')).toBe(3)
    expect(conn.config.source('timeout')).toBe(`secrets: ${two}`)
  })

  it('exposes its own section as conn.secrets', async () => {
    box.write(
      'project/.sqlconn/secrets.toml',
      '[connections.db]\ntype = "sqlite"\nfilename = ":memory:"\n[connections.other]\nx = 1\n',
    )
    const conn = await connection('db')
    expect(conn.secrets).toEqual({ type: 'sqlite', filename: ':memory:' })
  })

  it('reports a malformed secrets file with its path and line, without its content', async () => {
    const file = box.write(
      'project/.sqlconn/secrets.toml',
      '[connections.db]\ntype = "sqlite"\npassword = "hunter2\nfilename = "x.db"\n',
    )
    const err = await connection('db').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SecretsFileError)
    expect((err as SecretsFileError).code).toBe('SECRETS_FILE_INVALID')
    expect((err as SecretsFileError).path).toBe(file)
    expect((err as SecretsFileError).line).toBe(3)
    expect((err as Error).message).toContain(`${file} is not valid TOML at line 3`)
    expect((err as Error).message).not.toContain('hunter2')
  })

  it('resets a connection whose section changed, before its next use', async () => {
    box.write('project/.sqlconn/secrets.toml', '[connections.db]\ntype = "sqlite"\nfilename = "first.db"\n')
    const conn = (await connection('db')) as SqliteConnection
    const firstHandle = conn.raw
    await conn.query('create table t (x)', { cache: false })
    box.write('project/.sqlconn/secrets.toml', '[connections.db]\ntype = "sqlite"\nfilename = "second.db"\n')
    expect(await connection('db')).toBe(conn)
    expect(conn.raw).not.toBe(firstHandle)
    expect(firstHandle.open).toBe(false)
    expect(conn.filename).toBe(path.join(process.cwd(), 'second.db'))
    const tables = await conn.query("select name from sqlite_master where type = 'table'", { cache: false })
    expect(tables.numRows).toBe(0)
  })

  it('leaves a connection alone when only another section changed', async () => {
    box.write('project/.sqlconn/secrets.toml', '[connections.db]\ntype = "sqlite"\nfilename = "first.db"\n')
    const conn = (await connection('db')) as SqliteConnection
    const handle = conn.raw
    box.write(
      'project/.sqlconn/secrets.toml',
      '[connections.db]\ntype = "sqlite"\nfilename = "first.db"\n\n[connections.other]\ntype = "sqlite"\nfilename = "o.db"\n',
    )
    expect(await connection('db')).toBe(conn)
    expect(conn.raw).toBe(handle)
    expect(handle.open).toBe(true)
  })
})
