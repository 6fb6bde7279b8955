import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type IPolicy,
  noop,
} from 'cockatiel'
import { OptionalDependencyError } from '../errors.js'
import { withTimeout } from './keyv-stores.js'
import type { CacheEvents, CacheOptions, CacheStats } from './options.js'

/**
 * What stands between the cache and a shared store: every command bounded by `timeout`, a circuit
 * breaker that stops asking a failing store for a while, and failures counted and reported (never
 * thrown: the query goes to the database instead).
 */
export class StoreGuard {
  readonly #policy: IPolicy
  readonly #timeoutMs: number

  /** @param options the cache settings @param stats counters to update @param events told of failures and breaker changes */
  constructor(
    options: CacheOptions,
    readonly stats: CacheStats,
    readonly events: CacheEvents,
  ) {
    this.#timeoutMs = options.timeout ?? 250
    if (options.breaker === false) {
      this.#policy = noop
      return
    }
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.breaker?.halfOpenAfter ?? 10_000,
      breaker: new ConsecutiveBreaker(options.breaker?.threshold ?? 5),
    })
    breaker.onStateChange((state) => {
      stats.breaker =
        state === CircuitState.Open || state === CircuitState.Isolated
          ? 'open'
          : state === CircuitState.HalfOpen
            ? 'half-open'
            : 'closed'
      events.onBreaker(stats.breaker)
    })
    this.#policy = breaker
  }

  /**
   * `op`'s result, or undefined when it failed or timed out (counted, reported). `inMemory`: the
   * store cannot hang or go down, so no timeout and no breaker (no cost on a hit).
   */
  async run<T>(op: () => Promise<T>, inMemory = false): Promise<T | undefined> {
    try {
      if (inMemory) return await op()
      return (await this.#policy.execute(() => withTimeout(op(), this.#timeoutMs))) as T
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
    if (err instanceof BrokenCircuitError) return
    this.stats.errors++
    this.events.onError(err)
  }
}
