/**
 * node:crypto, loaded on first use: only the query cache (keys, locks, invalidation bus) and an
 * in-memory target's instance id need it, and loading it costs a one-shot process about 6 ms of
 * start-up (packages/cli/test/lazy-deps.test.ts checks a read without the cache never loads it).
 */
export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto')
}
