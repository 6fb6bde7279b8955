let loaded = false

/**
 * node:crypto, loaded on first use: only the query cache's Redis side (locks, invalidation bus), a
 * bytes option's identity, a secret's slow digest, an in-memory target's instance id and the hashing
 * of a longer-running process (sha256.ts) need it, and loading it costs a one-shot process about
 * 2.5 ms of start-up (packages/cli/test/lazy-deps.test.ts checks a cached read never loads it).
 */
export function nodeCrypto(): typeof import('node:crypto') {
  loaded = true
  return process.getBuiltinModule('node:crypto')
}

/** Whether `nodeCrypto()` was called: hashing then has no reason to stay in JavaScript. */
export function nodeCryptoLoaded(): boolean {
  return loaded
}
