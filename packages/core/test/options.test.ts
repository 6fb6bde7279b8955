import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.js'
import { type OptionSpec, resolveConfig } from '../src/options.js'
import { redact } from '../src/redact.js'

const specs: OptionSpec[] = [
  { name: 'host', type: 'string', default: 'localhost', description: 'Server host.' },
  { name: 'port', type: 'number', default: 5432, description: 'Server port.' },
  { name: 'password', type: 'string', secret: true, description: 'Password.' },
  { name: 'ssl', type: 'boolean', description: 'Use TLS.' },
  { name: 'url', type: 'string', group: 'target', description: 'A URL.' },
  {
    name: 'database',
    type: 'string',
    group: 'target',
    aliases: ['db'],
    required: { unless: ['url'] },
    description: 'Database.',
  },
]
const ctx = { connectionName: 'main', typeName: 'demo' }

describe('resolveConfig', () => {
  it('takes each value from the highest layer that has it, remembering the source', () => {
    const c = resolveConfig(
      specs,
      [
        { kind: 'kwargs', values: { host: 'code-host' } },
        {
          kind: 'secrets',
          values: { host: 'secret-host', port: 6543 },
          origins: { host: 'secrets: /a.toml', port: 'secrets: /a.toml' },
        },
        {
          kind: 'native',
          values: { port: '7777', database: 'envdb', password: 'pw' },
          origins: { port: 'env PGPORT', database: 'env PGDATABASE', password: 'env PGPASSWORD' },
        },
      ],
      ctx,
    )
    expect(c.get('host')).toBe('code-host')
    expect(c.source('host')).toBe('kwargs')
    expect(c.get('port')).toBe(6543)
    expect(c.source('port')).toBe('secrets: /a.toml')
    expect(c.get('database')).toBe('envdb')
    expect(c.source('database')).toBe('env PGDATABASE')
  })

  it('coerces text from environment variables to the declared type', () => {
    const c = resolveConfig(specs, [{ kind: 'native', values: { port: '7777', ssl: 'true', database: 'd' } }], ctx)
    expect(c.get('port')).toBe(7777)
    expect(c.get('ssl')).toBe(true)
  })

  it('fills declared defaults last', () => {
    const c = resolveConfig(specs, [{ kind: 'kwargs', values: { database: 'd' } }], ctx)
    expect(c.get('host')).toBe('localhost')
    expect(c.source('host')).toBe('default')
  })

  it('takes a whole option group from the highest layer that gives any of it', () => {
    const c = resolveConfig(
      specs,
      [
        { kind: 'kwargs', values: { url: 'demo://x' } },
        { kind: 'secrets', values: { database: 'from-secrets' } },
      ],
      ctx,
    )
    expect(c.get('url')).toBe('demo://x')
    expect(c.has('database')).toBe(false)
  })

  it('maps aliases to the option name', () => {
    const c = resolveConfig(specs, [{ kind: 'kwargs', values: { db: 'aliased' } }], ctx)
    expect(c.get('database')).toBe('aliased')
  })

  it('names a missing required option and its alternatives', () => {
    expect(() => resolveConfig(specs, [], ctx)).toThrow(/needs "database" \(or "url"\)/)
  })

  it('suggests the closest name for an unknown option', () => {
    try {
      resolveConfig(specs, [{ kind: 'kwargs', values: { databse: 'x' } }], ctx)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).code).toBe('UNKNOWN_OPTION')
      expect((err as Error).message).toContain('Did you mean "database"?')
    }
  })

  it('ignores unknown keys from native sources', () => {
    const c = resolveConfig(specs, [{ kind: 'native', values: { PGAPPNAME: 'x', database: 'd' } }], ctx)
    expect(c.get('database')).toBe('d')
  })

  it('does not print a secret value in a type error', () => {
    expect(() =>
      resolveConfig(specs, [{ kind: 'kwargs', values: { password: { nested: 'hunter2' }, database: 'd' } }], ctx),
    ).toThrow(/got a secret value/)
  })
})

describe('printing a config', () => {
  const c = resolveConfig(
    specs,
    [{ kind: 'kwargs', values: { password: 'hunter2', url: 'demo://alice:hunter3@db.example:5432/x' } }],
    ctx,
  )

  it('masks secret options and URL passwords in toString, inspect and JSON', () => {
    for (const text of [c.toString(), inspect(c), JSON.stringify(c)]) {
      expect(text).not.toContain('hunter2')
      expect(text).not.toContain('hunter3')
      expect(text).toContain('****')
    }
    expect(c.toString()).toContain('demo://alice:****@db.example:5432/x')
  })

  it('masks options named like secrets even when not declared secret', () => {
    const c2 = resolveConfig(
      [{ name: 'apiToken', type: 'string', description: 'A token.' }],
      [{ kind: 'kwargs', values: { apiToken: 'tok-123456' } }],
      ctx,
    )
    expect(c2.toString()).not.toContain('tok-123456')
    expect(c2.secretValues()).toContain('tok-123456')
  })

  it('lists every secret for redaction', () => {
    expect(c.secretValues()).toEqual(expect.arrayContaining(['hunter2', 'hunter3']))
  })

  it('redacts secrets and URL passwords from any text', () => {
    expect(redact('failed: hunter2 at pg://u:zzz@h/db', ['hunter2'])).toBe('failed: **** at pg://u:****@h/db')
  })
})

describe('masking beyond declared secrets', () => {
  it('masks secrets nested in object options, such as ssl', () => {
    const c = resolveConfig(
      [{ name: 'ssl', type: 'any', description: 'TLS.' }],
      [
        {
          kind: 'kwargs',
          values: { ssl: { rejectUnauthorized: false, key: 'PRIVATE-KEY-PEM', passphrase: 'pp-secret' } },
        },
      ],
      ctx,
    )
    const printed = [c.toString(), JSON.stringify(c), inspect(c)].join('\n')
    expect(printed).not.toContain('PRIVATE-KEY-PEM')
    expect(printed).not.toContain('pp-secret')
    expect(printed).toContain('rejectUnauthorized')
    expect(c.secretValues()).toEqual(expect.arrayContaining(['PRIVATE-KEY-PEM', 'pp-secret']))
  })

  it("masks a URL password that holds an unescaped '@'", () => {
    expect(redact('postgres://u:p@ss@db.example/x', [])).toBe('postgres://u:****@db.example/x')
  })
})
