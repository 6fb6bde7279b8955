import type { RetryPolicy } from 'cockatiel'
import { ConnectionError, QueryError, SqlconnError } from '../errors.js'
import type { CompiledSql } from '../params.js'
import { RETRY_DEFAULTS, type RetryOptions, retryPolicy } from '../retry.js'
import type { RowTable } from '../table/table.js'
import { withIndex } from './compile.js'

/** What a retried read needs from its connection; SqlConnection passes closures over its protected hooks. */
export interface ReadHost {
  /** The connection's name, for messages. */
  readonly name: string
  /** The connection's `[connections.<name>]` section, where `retry` may be set. */
  secrets(): Readonly<Record<string, unknown>>
  /** The connection's reset counter, read before each attempt. */
  generation(): number
  /** The adapter's `execute()`. */
  execute(query: CompiledSql, options: { signal?: AbortSignal }): Promise<RowTable> | RowTable
  /** The adapter's `isTransientError()`. */
  isTransientError(error: unknown): boolean
  /** The adapter's `isConnectionRefused()`. */
  isConnectionRefused(error: unknown): boolean
  /** The adapter's `needsReset()`. */
  needsReset(error: unknown): boolean
  /** Resets unless another caller did since `generation`. */
  resetIfCurrent(generation: number, reason: string): Promise<void>
  /** A transient error will be retried (the `retry` event). */
  onRetry(attempt: number, error: unknown): void
  /** The connection's `redactError()`. */
  redactError<E>(error: E): E
}

/** Thrown inside an attempt to stop retrying once `retry.maxDuration` is spent; carries the last error. */
class RetryBudgetSpent extends Error {
  constructor(cause: unknown) {
    super('retry budget spent', { cause })
  }
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

/**
 * The retry/reset policy around one read: a transient error resets the driver object (when the
 * adapter says it needs it) and the read is retried with backoff, bounded by `retry.maxDuration`;
 * every other error reaches the user at once, wrapped and redacted.
 */
export class RetryingReader {
  readonly #host: ReadHost
  readonly #option: RetryOptions | false | undefined
  #policy: RetryPolicy | undefined

  /** @param option the `retry` option given in code */
  constructor(host: ReadHost, option: RetryOptions | false | undefined) {
    this.#host = host
    this.#option = option
  }

  /** `retry` from code, else from the secrets section. */
  get #settings(): RetryOptions {
    const options = this.#option ?? (this.#host.secrets().retry as RetryOptions | false | undefined)
    return options === false ? { maxAttempts: 0 } : (options ?? {})
  }

  /** Longest time a read may take, retries included. */
  get #maxDuration(): number {
    return this.#settings.maxDuration ?? RETRY_DEFAULTS.maxDuration
  }

  /** The retry policy, built once (again after `forget()`). */
  get #retry(): RetryPolicy {
    if (!this.#policy) {
      this.#policy = retryPolicy(
        this.#settings,
        (err) => this.isTransient(err),
        (err) => this.#host.isConnectionRefused(err),
      )
      this.#policy.onRetry((e) => {
        if ('error' in e) this.#host.onRetry(e.attempt, e.error)
      })
    }
    return this.#policy
  }

  /** Builds the policy again on next use: the secrets section (and its `retry`) changed. */
  forget(): void {
    this.#policy = undefined
  }

  /** True for an error the adapter calls transient, on its own or as a ConnectionError's cause. */
  isTransient(err: unknown): boolean {
    return (
      this.#host.isTransientError(err) || (err instanceof ConnectionError && this.#host.isTransientError(err.cause))
    )
  }

  /**
   * Runs `compiled` through the adapter's `execute()`, retrying transient errors; errors come out
   * wrapped. Most reads succeed at once: the first attempt is the adapter's own promise with one
   * rejection handler, no async frames around it (two fewer promises and turns per read); a failure
   * goes on in `#afterFirst`.
   */
  run(compiled: CompiledSql, signal: AbortSignal | undefined): Promise<RowTable> {
    const started = Date.now()
    const generation = this.#host.generation()
    let first: Promise<RowTable> | RowTable
    try {
      first = this.#host.execute(compiled, { signal })
    } catch (err) {
      return this.#afterFirst(this.#attemptFailed(err, generation, started), compiled, signal, started)
    }
    return Promise.resolve(first).then(undefined, (err: unknown) =>
      this.#afterFirst(this.#attemptFailed(err, generation, started), compiled, signal, started),
    )
  }

  /**
   * What an attempt that failed with `err` throws: `err`, or RetryBudgetSpent once `retry.maxDuration`
   * is spent. A transient error resets the driver object first when the adapter says it needs it.
   */
  #attemptFailed(err: unknown, generation: number, started: number): unknown {
    if (!this.isTransient(err)) return err
    // Not awaited: the retry must not wait for the old pool to drain.
    if (this.#host.needsReset(err)) void this.#host.resetIfCurrent(generation, 'transient error')
    // Retries are bounded in time (checked here, on failure: no timer per query). No backoff
    // starts once the budget is spent, so a read fails at most one delay and one attempt late.
    if (Date.now() - started >= this.#maxDuration) return new RetryBudgetSpent(err)
    return err
  }

  /** After a failed first attempt (`first`, as `#attemptFailed` gave it): the retries, and the error a user sees. */
  async #afterFirst(
    first: unknown,
    compiled: CompiledSql,
    signal: AbortSignal | undefined,
    started: number,
  ): Promise<RowTable> {
    const attempt = async (attemptSignal: AbortSignal | undefined): Promise<RowTable> => {
      const generation = this.#host.generation()
      try {
        return await this.#host.execute(compiled, { signal: attemptSignal })
      } catch (err) {
        throw this.#attemptFailed(err, generation, started)
      }
    }
    try {
      if (!this.isTransient(first)) throw first
      // The policy (and cockatiel, which a one-shot process would otherwise load for nothing) comes
      // with the first read that fails transiently. It starts from that failure, replayed as its
      // first attempt: its backoff, attempt numbers, `retry` events and maxAttempts are those of a
      // read that ran inside it from the start.
      let replayed = false
      return await this.#retry.execute(({ signal: policySignal }) => {
        if (replayed) return attempt(policySignal)
        replayed = true
        return Promise.reject(first)
      }, signal)
    } catch (err) {
      if (err instanceof RetryBudgetSpent) {
        throw this.wrap(
          new QueryError(
            'CONNECTION_FAILED',
            `Connection "${this.#host.name}" did not answer within ${this.#maxDuration} ms (retry.maxDuration): ` +
              `${err.cause instanceof Error ? err.cause.message : String(err.cause)}\n  SQL: ${compiled.sql}`,
            compiled.sql,
            { cause: err.cause },
          ),
          compiled.sql,
        )
      }
      throw this.wrap(err, compiled.sql, true)
    }
  }

  /** One read with retries, then the index column moved first (`query()`'s `indexCol`). */
  runIndexed(compiled: CompiledSql, options: { indexCol?: string; signal?: AbortSignal }): Promise<RowTable> {
    const read = this.run(compiled, options.signal)
    const indexCol = options.indexCol
    if (!indexCol) return read
    return read.then((table) => {
      try {
        return withIndex(table, indexCol)
      } catch (err) {
        throw this.wrap(err, compiled.sql, true)
      }
    })
  }

  /**
   * The error a user sees for `err`, redacted: the message, and the cause when the driver's own
   * error would show a secret (a server echoing a URL given as a user or database name).
   */
  wrap(err: unknown, sql: string, retried = false): unknown {
    if (err instanceof SqlconnError) return this.#host.redactError(err)
    if (err instanceof Error && err.name === 'AbortError') return err
    const message = err instanceof Error ? err.message : String(err)
    const transient = this.isTransient(err)
    const what = transient
      ? `Connection "${this.#host.name}" failed${retried ? ' after retries' : ''}: ${message}`
      : `Query on connection "${this.#host.name}" failed: ${message}`
    return this.#host.redactError(
      new QueryError(transient ? 'CONNECTION_FAILED' : 'QUERY_FAILED', `${what}\n  SQL: ${sql}`, sql, { cause: err }),
    )
  }
}
