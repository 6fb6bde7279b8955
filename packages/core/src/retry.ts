import { ExponentialBackoff, handleWhen, type RetryPolicy, retry } from 'cockatiel'

/** Bounds for retrying a read after a transient error (cockatiel's names). */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxAttempts?: number
  /** First backoff delay in ms (default 100); doubles with jitter up to `maxDelay`. */
  initialDelay?: number
  /** Longest backoff delay in ms (default 2000). */
  maxDelay?: number
  /** Longest time in ms a read may take, retries included, before it fails (default 30,000). */
  maxDuration?: number
}

/** A cockatiel retry policy that retries only errors `isTransient` accepts. */
export function retryPolicy(
  options: RetryOptions | false | undefined,
  isTransient: (err: unknown) => boolean,
): RetryPolicy {
  const o = options === false ? { maxAttempts: 0 } : (options ?? {})
  return retry(handleWhen(isTransient), {
    maxAttempts: o.maxAttempts ?? 3,
    backoff: new ExponentialBackoff({ initialDelay: o.initialDelay ?? 100, maxDelay: o.maxDelay ?? 2000 }),
  })
}
