import type { IBackoff, IBackoffFactory, IRetryBackoffContext, RetryPolicy } from 'cockatiel'
import { cockatiel } from './lazy.js'

/** Bounds for retrying a read after a transient error (cockatiel's names). */
export interface RetryOptions {
  /** Retries after the first attempt (default: no limit; `maxDuration` bounds them). */
  maxAttempts?: number
  /** First backoff delay in ms (default 100); doubles with jitter up to `maxDelay`. */
  initialDelay?: number
  /** Longest backoff delay in ms (default 1000); a refused connection waits at most 250 ms. */
  maxDelay?: number
  /**
   * Longest time in ms a read keeps retrying (default 15,000): no retry starts once it is spent,
   * so a read fails at most one backoff delay and one attempt later.
   */
  maxDuration?: number
}

/**
 * The defaults: retries bounded by time, not by count, so a read rides through a server restart of
 * up to 10 s (the server is back well within `maxDuration`, and the read notices within `maxDelay`).
 */
export const RETRY_DEFAULTS: Readonly<Required<RetryOptions>> = Object.freeze({
  maxAttempts: Number.POSITIVE_INFINITY,
  initialDelay: 100,
  maxDelay: 1000,
  maxDuration: 15_000,
})

/**
 * Longest wait after a refused connection. Nothing listens (the server is restarting), so an
 * attempt costs one round trip and no server work: retrying often lets a read through as soon as
 * the server listens again.
 */
export const REFUSED_MAX_DELAY = 250

/**
 * True when the error says the server refused the connection (ECONNREFUSED): on the error itself,
 * inside Node's AggregateError (every address of a host refused) or as the cause of a wrapper.
 */
export function isConnectionRefused(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 3) return false
  const e = error as { code?: unknown; errors?: unknown; cause?: unknown }
  if (e.code === 'ECONNREFUSED') return true
  if (Array.isArray(e.errors) && e.errors.some((inner) => isConnectionRefused(inner, depth + 1))) return true
  return isConnectionRefused(e.cause, depth + 1)
}

/**
 * Exponential backoff with half jitter (each delay between half and all of `initialDelay * 2^n`),
 * capped at `maxDelay`, and at `REFUSED_MAX_DELAY` after a refused connection. Half jitter rather
 * than full keeps concurrent readers apart without letting one hammer a server with 0 ms waits.
 */
class ReadBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(
    private readonly initialDelay: number,
    private readonly maxDelay: number,
    private readonly isRefused: (err: unknown) => boolean,
  ) {}

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    return this.#step(0, context)
  }

  #step(n: number, context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const refused = 'error' in context.result && this.isRefused(context.result.error)
    const cap = refused ? Math.min(this.maxDelay, REFUSED_MAX_DELAY) : this.maxDelay
    const full = Math.min(cap, this.initialDelay * 2 ** Math.min(n, 30))
    return {
      duration: Math.round(full / 2 + (Math.random() * full) / 2),
      next: (ctx) => this.#step(n + 1, ctx),
    }
  }
}

/**
 * A cockatiel retry policy that retries only errors `isTransient` accepts, waiting less after
 * errors `isRefused` accepts (a server not listening yet).
 */
export function retryPolicy(
  options: RetryOptions | false | undefined,
  isTransient: (err: unknown) => boolean,
  isRefused: (err: unknown) => boolean = isConnectionRefused,
): RetryPolicy {
  const o = options === false ? { maxAttempts: 0 } : (options ?? {})
  const { retry, handleWhen } = cockatiel.get()
  return retry(handleWhen(isTransient), {
    maxAttempts: o.maxAttempts ?? RETRY_DEFAULTS.maxAttempts,
    backoff: new ReadBackoff(
      o.initialDelay ?? RETRY_DEFAULTS.initialDelay,
      o.maxDelay ?? RETRY_DEFAULTS.maxDelay,
      isRefused,
    ),
  })
}
