import { createRequire } from 'node:module'

/** A dependency loaded on first use: `get()` loads it, `loaded()` gives it only if something already did. */
export interface LazyModule<T> {
  get(): T
  loaded(): T | undefined
}

/**
 * One of core's own dependencies, loaded the first time a code path needs it rather than when core
 * is imported. A one-shot process (a CLI run, a build-time data loader, a serverless cold start)
 * then pays only for what it uses: the retry policy loads on the first failed read,
 * keyv with a shared store, the typo suggester with a typo.
 *
 * It is `require()`d from core's own location (Node 22.12+ loads ESM-only packages this way), so
 * it is the same module a static import would give, synchronously, from the module cache.
 */
export function lazyModule<T>(name: string): LazyModule<T> {
  let mod: T | undefined
  return {
    get: () => {
      mod ??= createRequire(import.meta.url)(name) as T
      return mod
    },
    loaded: () => mod,
  }
}

/** cockatiel: the read retry policy and the shared store's circuit breaker. */
export const cockatiel: LazyModule<typeof import('cockatiel')> = lazyModule('cockatiel')
