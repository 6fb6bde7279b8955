import { nodeCrypto } from '../node-crypto.js'
import { sha256 } from '../sha256.js'

function isPlainScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
}

/**
 * The digest part of a result's key: a SHA-256 of the SQL, its parameters, the shaping options and
 * the scope (a user or session id), so none of them is readable in the key.
 */
export function resultDigest(
  sql: string,
  parameters: readonly unknown[],
  shape: string | null,
  scope: string | number | undefined,
): string {
  if (parameters.every(isPlainScalar)) {
    // The common case: JSON is exact for these values and several times cheaper than v8.serialize.
    // Without a scope the text is what it always was, so existing entries keep their keys.
    const parts = scope === undefined ? [sql, parameters, shape] : [sql, parameters, shape, `s${scope}`]
    return sha256(`j${JSON.stringify(parts)}`)
  }
  const h = nodeCrypto()
    .createHash('sha256')
    .update(`v${sql}\0${shape ?? ''}\0${scope === undefined ? '' : `s${scope}\0`}`)
  try {
    // node:v8 loads with the first key that needs it: most processes never do, and a module is start-up time.
    h.update(process.getBuiltinModule('node:v8').serialize(parameters))
  } catch {
    h.update(JSON.stringify(parameters, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))
  }
  return h.digest('base64url')
}

/** A tag as stored: a hash under the namespace, so no tag is readable in Redis or on the bus. */
export function tagDigest(namespace: string, tag: string): string {
  return sha256(`${namespace}\0${tag}`).slice(0, 32)
}
