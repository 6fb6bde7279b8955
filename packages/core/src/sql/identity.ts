import type { OptionSpec } from '../contract.js'
import { nodeCrypto } from '../node-crypto.js'
import { objectId } from '../object-id.js'
import { maskUrlPasswords, secretsIn, urlPasswords } from '../redact.js'
import type { ResolvedConfig } from '../resolved-config.js'
import { sha256 } from '../sha256.js'

/** Option values that name an in-memory database, whose data no other connection can read. */
const IN_MEMORY = /:memory:|[?&]mode=memory(?:[&#]|$)/i

/** A value for an identity: plain data as it is, functions and class instances by identity. */
function byIdentity(value: unknown, depth = 0): unknown {
  if (typeof value === 'function') return `fn${objectId(value)}`
  if (value === null || typeof value !== 'object' || depth > 8) return value
  if (value instanceof Date) return value.toISOString()
  if (ArrayBuffer.isView(value)) {
    return `bytes:${nodeCrypto()
      .createHash('sha256')
      .update(value as Uint8Array)
      .digest('base64url')}`
  }
  if (Array.isArray(value)) return value.map((v) => byIdentity(v, depth + 1))
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return `obj${objectId(value)}`
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, byIdentity(v, depth + 1)]))
}

/**
 * The default `cacheIdentity()` without the instance part: every resolved option (functions and
 * class instances by identity; secrets, URL passwords included, through `digest`).
 */
export function optionsIdentity(config: ResolvedConfig, digest: (text: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const secrets: unknown[] = []
  for (const o of config.entries()) {
    if (o.value === undefined) continue
    if (o.secret || (typeof o.value === 'object' && o.value !== null && secretsIn({ [o.name]: o.value }).length)) {
      secrets.push([o.name, byIdentity(o.value)])
      continue
    }
    if (typeof o.value === 'string') {
      out[o.name] = maskUrlPasswords(o.value)
      const passwords = urlPasswords(o.value)
      if (passwords.length) secrets.push([o.name, passwords])
    } else out[o.name] = byIdentity(o.value)
  }
  // Secrets can select the data (a token naming an account), so they count; through scrypt, as a
  // key's fast hash of a guessable password could be brute-forced by whoever reads the store.
  if (secrets.length) out['sqlconn:secrets'] = digest(JSON.stringify(secrets))
  return out
}

/**
 * The default `isPrivateTarget()`: an option naming an in-memory database (`:memory:`,
 * `file::memory:`, `mode=memory`) or an empty required path.
 */
export function namesPrivateTarget(config: ResolvedConfig, specs: readonly OptionSpec[]): boolean {
  return config.entries().some((o) => {
    if (typeof o.value !== 'string') return false
    if (IN_MEMORY.test(o.value)) return true
    const spec = specs.find((s) => s.name === o.name)
    return o.value === '' && spec !== undefined && (Boolean(spec.required) || spec.group !== undefined)
  })
}

/**
 * scrypt of a text, remembered for the last input: identities are recomputed after each reset. Its
 * cost (N = 4096, about 10 ms once per connection) makes guessing a password from a key slow.
 */
export class SlowDigest {
  #last: { text: string; digest: string } | undefined

  /** The digest of `text`, computed again only when `text` changed. */
  of(text: string): string {
    if (this.#last?.text !== text) {
      const digest = nodeCrypto()
        .scryptSync(text, 'sqlconn cache identity', 24, { N: 1 << 12 })
        .toString('base64url')
      this.#last = { text, digest }
    }
    return this.#last.digest
  }
}

/** The cache key's first part: the type and a hash of the identity values (no secret in clear). */
export function identityKey(typeName: string, values: Record<string, unknown>): string {
  const stable = JSON.stringify(
    Object.keys(values)
      .sort()
      .map((k) => [k, values[k]]),
    // A function counts by identity: two parsers with one name may read values differently.
    (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? `fn${objectId(v)}` : v),
  )
  const digest = sha256(stable)
  return `${typeName}:${digest.slice(0, 32)}`
}
