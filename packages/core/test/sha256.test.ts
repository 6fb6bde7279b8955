import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256, sha256Base64url } from '../src/sha256.js'

const native = (text: string) => createHash('sha256').update(text).digest('base64url')

describe('sha256Base64url', () => {
  it('gives the same digest as node:crypto for the standard test vectors', () => {
    expect(sha256Base64url('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU')
    expect(sha256Base64url('abc')).toBe(native('abc'))
    expect(sha256Base64url('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      native('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    )
  })

  it('gives the same digest as node:crypto around every block boundary and for non-ASCII text', () => {
    // Lengths 0-200 cross the 55/56/64-byte padding edges several times; é, 漢 and 😀 are 2, 3 and 4 bytes.
    for (let n = 0; n <= 200; n++) {
      const ascii = 'x'.repeat(n)
      expect(sha256Base64url(ascii), `length ${n}`).toBe(native(ascii))
      const mixed = Array.from({ length: n }, (_, i) => ['a', 'é', '漢', '😀'][i % 4]).join('')
      expect(sha256Base64url(mixed), `mixed length ${n}`).toBe(native(mixed))
    }
    const big = JSON.stringify({ password: 'p@ss', host: 'db.internal', n: 10n ** 30n }, (_k, v) =>
      typeof v === 'bigint' ? `${v}n` : v,
    ).repeat(500)
    expect(sha256Base64url(big)).toBe(native(big))
  })
})

describe('sha256', () => {
  it("gives node:crypto's digest for short and long texts, before and after it hands over to node:crypto", () => {
    // Far past the JavaScript budget: the first texts are hashed in JavaScript, the rest by node:crypto.
    for (let i = 0; i < 100; i++) {
      const text = `j${JSON.stringify(['select * from t where id = ?', [i], null])}${'é'.repeat(i % 7)}`.repeat(
        1 + (i % 30),
      )
      expect(sha256(text), `text ${i}`).toBe(native(text))
    }
  })
})
