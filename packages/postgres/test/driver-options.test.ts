import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { PostgresConnection } from '../src/index.js'
import { TEST_URL } from './helpers.js'

describe("pg's own options", () => {
  it('hands function-valued options (stream, onConnect, log) to pg, which uses them', async () => {
    let streams = 0
    let connected = 0
    const logged: unknown[] = []
    const conn = new PostgresConnection('t', {
      url: TEST_URL,
      // What a custom DNS lookup or a proxy plugs into: pg takes its socket from here.
      stream: () => {
        streams++
        return new net.Socket()
      },
      onConnect: () => {
        connected++
      },
      log: (...messages: unknown[]) => logged.push(messages),
    })
    try {
      expect((await conn.query('select 42 as answer', { cache: false })).get(0)).toEqual({ answer: 42 })
      expect(streams).toBeGreaterThan(0)
      expect(connected).toBeGreaterThan(0)
      expect(logged.length).toBeGreaterThan(0)
    } finally {
      await conn.close()
    }
  })

  it('accepts a function as the password, as pg does', () => {
    const password = async () => 'from-a-vault'
    const conn = new PostgresConnection('t', { url: TEST_URL, password })
    expect(conn.config.get('password')).toBe(password)
    expect(String(conn.config)).not.toContain('from-a-vault')
  })

  it('rejects a password that is neither text nor a function', () => {
    expect(() => new PostgresConnection('t', { url: TEST_URL, password: { secret: 'x' } }).config).toThrow(
      /must be a string or a function/,
    )
  })

  it('lets idle clients not hold the process open by default (allowExitOnIdle)', async () => {
    const conn = new PostgresConnection('t', { url: TEST_URL })
    expect(conn.config.get('allowExitOnIdle')).toBe(true)
    expect((conn.raw.options as { allowExitOnIdle?: boolean }).allowExitOnIdle).toBe(true)
    await conn.close()
  })

  it('still names an unknown option with a suggestion', () => {
    expect(() => new PostgresConnection('t', { url: TEST_URL, onConect: () => {} }).config).toThrow(
      /Did you mean "onConnect"/,
    )
  })
})
