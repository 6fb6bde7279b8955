import { nodeCrypto, nodeCryptoLoaded } from './node-crypto.js'

// SHA-256 in JavaScript, for the few short strings a one-shot process hashes (the secrets section's
// digest, the options' instance key, a connection's cache identity, a result's key). Loading
// node:crypto costs such a process (`sqlconn query`, a data loader, a serverless function) about
// 2.5 ms of start-up, more than hashing a dozen short strings here; past that, `sha256()` hands over
// to node:crypto, about ten times faster once loaded. The output is the same as
// createHash('sha256'): test/sha256.test.ts compares them.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])

/**
 * 64-byte blocks `sha256()` may still hash in JavaScript: about what loading node:crypto costs in
 * instructions (a short key is 2 or 3 blocks, hashed cold by the interpreter). Past it a
 * process is not a one-shot, and node:crypto pays for itself (the rent-or-buy rule).
 */
let jsBlocksLeft = 32

/**
 * The SHA-256 digest of `text` (UTF-8), base64url: in JavaScript while the budget above lasts and
 * node:crypto is not loaded yet, through node:crypto after. The digest is the same either way, so a
 * cache key does not depend on which one made it.
 */
export function sha256(text: string): string {
  if (jsBlocksLeft > 0 && !nodeCryptoLoaded()) {
    // text.length undercounts non-ASCII bytes: the budget is a cost estimate, not a bound.
    const blocks = Math.ceil((text.length + 9) / 64)
    if (blocks <= jsBlocksLeft) {
      jsBlocksLeft -= blocks
      return sha256Base64url(text)
    }
    jsBlocksLeft = 0
  }
  return nodeCrypto().hash('sha256', text, 'base64url')
}

/**
 * The SHA-256 digest of `text` (UTF-8), base64url: what `createHash('sha256').update(text).digest('base64url')`
 * returns, in JavaScript. Written for the interpreter, as it mostly runs cold: 32-bit words in
 * Int32Arrays, rotations inline (a call per rotation costs more than the rotation).
 */
export function sha256Base64url(text: string): string {
  const data = Buffer.from(text, 'utf8')
  const n = data.length
  // The message as big-endian words, a 0x80 byte after it, and its length in bits in the last two
  // words: a multiple of 16 words (64 bytes).
  const words = ((n + 9 + 63) >>> 6) << 4
  const m = new Int32Array(words)
  for (let i = 0; i < n; i++) m[i >> 2] = (m[i >> 2] as number) | ((data[i] as number) << (24 - ((i & 3) << 3)))
  m[n >> 2] = (m[n >> 2] as number) | (0x80 << (24 - ((n & 3) << 3)))
  m[words - 2] = Math.floor(n / 0x20000000)
  m[words - 1] = n << 3
  const w = new Int32Array(64)
  let h0 = 0x6a09e667 | 0
  let h1 = 0xbb67ae85 | 0
  let h2 = 0x3c6ef372 | 0
  let h3 = 0xa54ff53a | 0
  let h4 = 0x510e527f | 0
  let h5 = 0x9b05688c | 0
  let h6 = 0x1f83d9ab | 0
  let h7 = 0x5be0cd19 | 0
  // Indexes below are in range by construction (`as number`: the compiler cannot see it).
  for (let off = 0; off < words; off += 16) {
    for (let i = 0; i < 16; i++) w[i] = m[off + i] as number
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15] as number
      const y = w[i - 2] as number
      w[i] =
        (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
        (w[i - 16] as number) +
        (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
        (w[i - 7] as number)
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    let f = h5
    let g = h6
    let h = h7
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
    h5 = (h5 + f) | 0
    h6 = (h6 + g) | 0
    h7 = (h7 + h) | 0
  }
  const out = Buffer.allocUnsafe(32)
  out.writeInt32BE(h0, 0)
  out.writeInt32BE(h1, 4)
  out.writeInt32BE(h2, 8)
  out.writeInt32BE(h3, 12)
  out.writeInt32BE(h4, 16)
  out.writeInt32BE(h5, 20)
  out.writeInt32BE(h6, 24)
  out.writeInt32BE(h7, 28)
  return out.toString('base64url')
}
