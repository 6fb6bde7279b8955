import { describe, expect, it } from 'vitest'
import { toMilliseconds } from '../src/duration.js'

describe('ttl durations', () => {
  it('read numbers as seconds', () => {
    expect(toMilliseconds(90)).toBe(90_000)
    expect(toMilliseconds(0)).toBe(0)
  })

  it("read '90s', '10m', '1h', '1d' and '250ms'", () => {
    expect(toMilliseconds('90s')).toBe(90_000)
    expect(toMilliseconds('10m')).toBe(600_000)
    expect(toMilliseconds('1h')).toBe(3_600_000)
    expect(toMilliseconds('1d')).toBe(86_400_000)
    expect(toMilliseconds('250ms')).toBe(250)
  })

  it('leave undefined as no expiry', () => {
    expect(toMilliseconds(undefined)).toBeUndefined()
  })

  it('reject anything else with the option name', () => {
    expect(() => toMilliseconds('10 minutes', 'ttl')).toThrow(/ttl "10 minutes" is not a duration/)
    expect(() => toMilliseconds(-1)).toThrow(/non-negative/)
  })
})
