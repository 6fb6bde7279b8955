import type { IPolicy } from 'cockatiel'
import { OptionalDependencyError } from '../errors.js'
import { cockatiel } from '../lazy.js'
import { withTimeout } from './keyv-stores.js'
import type { CacheEvents, CacheOptions, CacheStats } from './options.js'

/**
 * What stands between the cache and a shared store: every command bounded by `timeout`, a circuit
 * breaker that stops asking a failing store for a while, and failures counted and reported (never
 * thrown: the query goes to the database instead).
 */
export class StoreGuard {
  #policy: IPolicy | undefined
  readonly #timeoutMs: number

  /** @param options the cache settings @param stats counters to update @param events told of failures and breaker changes */
  constructor(
    readonly options: CacheOptions,
    readonly stats: CacheStats,
    readonly events: CacheEvents,
  ) {
    this.#timeoutMs = options.timeout ?? 250
  }

  /**
   * The breaker, built with the first command to a store that can fail: a memory-only cache never
   * builds one, so it never loads cockatiel.
   */
  get #guard(): IPolicy {
    if (this.#policy) return this.#policy
    const { CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll, noop } = cockatiel.get()
    const options = this.options
    if (options.breaker === false) {
      this.#policy = noop
      return noop
    }
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.breaker?.halfOpenAfter ?? 10_000,
      breaker: new ConsecutiveBreaker(options.breaker?.threshold ?? 5),
    })
    const stats = this.stats
    breaker.onStateChange((state) => {
      stats.breaker =
        state === CircuitState.Open || state === CircuitState.Isolated
          ? 'open'
          : state === CircuitState.HalfOpen
            ? 'half-open'
            : 'closed'
      this.events.onBreaker(stats.breaker)
    })
    this.#policy = breaker
    return breaker
  }

  /**
   * `op`'s result, or undefined when it failed or timed out (counted, reported). `inMemory`: the
   * store cannot hang or go down, so no timeout and no breaker (no cost on a hit).
   */
  async run<T>(op: () => Promise<T>, inMemory = false): Promise<T | undefined> {
    try {
      if (inMemory) return await op()
      return (await this.#guard.execute(() => withTimeout(op(), this.#timeoutMs))) as T
    } catch (err) {
      // A missing @keyv/redis is a setup mistake to fix, not an outage to ride out.
      if (err instanceof OptionalDependencyError) throw err
      this.failed(err)
      return undefined
    }
  }

  /** Counts and reports a store failure. */
  failed(err: unknown): void {
    // An open breaker skipping the store is the breaker working, not a new failure to report.
    const loaded = cockatiel.loaded()
    if (loaded && err instanceof loaded.BrokenCircuitError) return
    this.stats.errors++
    this.events.onError(err)
  }
}
