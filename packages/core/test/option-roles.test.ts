import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { declareOptions } from '../src/index.js'
import { resolveConfig } from '../src/options.js'

describe('declaring options in the shared roles', () => {
  it('gives a host, a port, a password and a pool size the type, secrecy and default every adapter shares', () => {
    const options = declareOptions([
      { role: 'host', description: 'Server.' },
      { role: 'port', default: 1234, description: 'Port.' },
      { role: 'password', description: 'Password.' },
      { role: 'poolSize', name: 'max', description: 'Pool.' },
    ])
    expect(options).toEqual([
      { name: 'host', type: 'string', default: 'localhost', description: 'Server.' },
      { name: 'port', type: 'number', default: 1234, description: 'Port.' },
      { name: 'password', type: 'string', secret: true, description: 'Password.' },
      { name: 'max', type: 'number', default: 10, description: 'Pool.' },
    ])
  })

  it("keeps the adapter's own name, default, type and sources over the role's, and its other options as they are", () => {
    const own = { name: 'socketPath', type: 'string', description: 'Socket.' } as const
    const options = declareOptions([
      { role: 'url', name: 'uri', description: 'URL.', native: ['DATABASE_URL'] },
      own,
      { role: 'password', type: 'any', description: 'A function too.' },
      { role: 'keepAlive', name: 'enableKeepAlive', default: true, description: 'Keep-alive.' },
    ])
    expect(options[0]).toEqual({
      name: 'uri',
      type: 'string',
      aliases: ['url'],
      description: 'URL.',
      native: ['DATABASE_URL'],
    })
    expect(options[1]).toBe(own)
    expect(options[2]).toMatchObject({ name: 'password', type: 'any', secret: true })
    expect(options[3]).toEqual({ name: 'enableKeepAlive', type: 'boolean', default: true, description: 'Keep-alive.' })
  })

  it('masks an option in the password role wherever the config is printed, whatever the driver calls it', () => {
    const options = declareOptions([
      { role: 'host', description: 'Server.' },
      { role: 'password', name: 'factor', description: 'A name that does not look like a secret.' },
    ])
    const config = resolveConfig(options, [{ kind: 'kwargs', values: { factor: 'hunter2-secret' } }], {
      connectionName: 'main',
      typeName: 'demo',
    })
    expect(String(config)).toContain('factor')
    expect(String(config)).not.toContain('hunter2-secret')
    expect(inspect(config)).not.toContain('hunter2-secret')
    expect(config.get('host')).toBe('localhost')
  })
})
