import { describe, expect, it } from 'vitest'
import { type ConfigLayer, type OptionSpec, resolveConfig } from '../src/options.js'
import { isGiven, partOf, withUrlParts } from '../src/precedence.js'

const specs: OptionSpec[] = [
  { name: 'url', type: 'string', description: 'A URL.' },
  { name: 'host', type: 'string', default: 'localhost', description: 'Server host.' },
  { name: 'port', type: 'number', default: 5432, description: 'Server port.' },
  { name: 'user', type: 'string', description: 'User.' },
  { name: 'password', type: 'string', secret: true, description: 'Password.' },
  { name: 'database', type: 'string', description: 'Database.' },
]
const ctx = { connectionName: 'main', typeName: 'demo' }
const URL_PARTS = { host: 'url-host', port: 7777, database: 'url-db' }

function resolve(...layers: ConfigLayer[]) {
  return resolveConfig(specs, layers, ctx)
}

describe('each resolved value carries its source as data', () => {
  it('ranks kwargs, secrets, each native layer, found values and defaults in that order', () => {
    const c = resolve(
      { kind: 'kwargs', values: { host: 'code' } },
      { kind: 'secrets', values: { user: 'ann' }, origins: { user: 'secrets: /a.toml' } },
      { kind: 'native', values: { url: 'demo://x' }, origins: { url: 'env DATABASE_URL' } },
      { kind: 'native', values: { database: 'envdb' }, origins: { database: 'env PGDATABASE' } },
    )
    expect(c.origin('host')).toEqual({ kind: 'kwargs', rank: 0, label: 'kwargs' })
    expect(c.origin('user')).toEqual({ kind: 'secrets', rank: 1, label: 'secrets: /a.toml' })
    expect(c.origin('url')).toEqual({ kind: 'native', rank: 2, label: 'env DATABASE_URL' })
    expect(c.origin('database')).toEqual({ kind: 'native', rank: 3, label: 'env PGDATABASE' })
    expect(c.withFound('password', 'pw', 'pgpass ~/.pgpass:1').origin('password')).toEqual({
      kind: 'native',
      rank: 4,
      label: 'pgpass ~/.pgpass:1',
    })
    expect(c.origin('port')).toEqual({ kind: 'default', rank: 5, label: 'default' })
  })

  it('shows the label as the source, and lists the origin with each entry', () => {
    const c = resolve({ kind: 'native', values: { host: 'h' }, origins: { host: 'env PGHOST' } })
    expect(c.source('host')).toBe('env PGHOST')
    expect(c.entries().find((e) => e.name === 'host')?.origin.kind).toBe('native')
  })

  it('tells values given in code or secrets from found and default ones', () => {
    const c = resolve(
      { kind: 'kwargs', values: { host: 'h' } },
      { kind: 'secrets', values: { user: 'u' } },
      { kind: 'native', values: { database: 'd' } },
    )
    expect(['host', 'user', 'database', 'port'].map((n) => isGiven(c.origin(n)))).toEqual([true, true, false, false])
  })
})

describe("a URL and separately given options (core's one tie rule)", () => {
  it("takes the URL's parts over options from lower-precedence sources and over defaults", () => {
    const c = resolve(
      { kind: 'kwargs', values: { url: 'demo://url-host:7777/url-db' } },
      { kind: 'secrets', values: { database: 'secret-db' } },
    )
    const merged = withUrlParts(c, 'url', URL_PARTS)
    expect(merged.get('host')).toBe('url-host')
    expect(merged.get('port')).toBe(7777)
    expect(merged.get('database')).toBe('url-db')
    expect(merged.source('database')).toBe('kwargs (url)')
  })

  it('keeps an option given in the same place as the URL: on a tie the separate option wins', () => {
    const c = resolve({ kind: 'kwargs', values: { url: 'demo://url-host/url-db', database: 'other' } })
    const merged = withUrlParts(c, 'url', URL_PARTS)
    expect(merged.get('database')).toBe('other')
    expect(merged.source('database')).toBe('kwargs')
    expect(merged.get('host')).toBe('url-host')
  })

  it('keeps an option from a higher-precedence source than the URL', () => {
    const c = resolve(
      { kind: 'kwargs', values: { host: 'code-host' } },
      { kind: 'native', values: { url: 'demo://url-host/url-db' }, origins: { url: 'env DATABASE_URL' } },
    )
    const merged = withUrlParts(c, 'url', URL_PARTS)
    expect(merged.get('host')).toBe('code-host')
    expect(merged.get('database')).toBe('url-db')
    expect(merged.source('database')).toBe('env DATABASE_URL (url)')
  })

  it('lets a URL from a higher native layer beat a lower native layer', () => {
    const c = resolve(
      { kind: 'native', values: { url: 'demo://url-host' }, origins: { url: 'env DATABASE_URL' } },
      { kind: 'native', values: { host: 'env-host' }, origins: { host: 'env PGHOST' } },
    )
    expect(withUrlParts(c, 'url', { host: 'url-host' }).get('host')).toBe('url-host')
  })

  it("gives a part that wins the URL's kind and rank, and names the URL option it came through", () => {
    const c = resolve({ kind: 'secrets', values: { url: 'demo://x' }, origins: { url: 'secrets: /a.toml' } })
    const merged = withUrlParts(c, 'url', { user: 'ann' })
    expect(merged.origin('user')).toEqual({ kind: 'secrets', rank: 0, label: 'secrets: /a.toml (url)', via: 'url' })
    expect(partOf(c.origin('url')!, 'url')).toEqual(merged.origin('user'))
  })

  it("masks a URL's password part as the declared option is masked", () => {
    const c = resolve({ kind: 'kwargs', values: { url: 'demo://ann:pw-123@h/db' } })
    const merged = withUrlParts(c, 'url', { password: 'pw-123' })
    expect(merged.secretValues()).toContain('pw-123')
    expect(merged.toString()).not.toContain('pw-123')
  })

  it('keeps the declared order whichever source gave a value', () => {
    const c = resolve({ kind: 'kwargs', values: { url: 'demo://x' } })
    const merged = withUrlParts(c, 'url', { database: 'db', user: 'ann' })
    expect(merged.entries().map((e) => e.name)).toEqual(['url', 'host', 'port', 'user', 'database'])
  })

  it('changes nothing when the URL option has no value', () => {
    const c = resolve({ kind: 'kwargs', values: { host: 'h' } })
    expect(withUrlParts(c, 'url', URL_PARTS)).toBe(c)
  })
})
