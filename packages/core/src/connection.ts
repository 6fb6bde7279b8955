import { EventEmitter } from 'node:events'
import { inspect } from 'node:util'
import { ConnectionSettings } from './connection-settings.js'
import type { ConnectionClass, ConnectionEvents, NativeContext, NativeLayers, OptionSpec } from './contract.js'
import { ConnectionClosedError, ConnectionError, SqlconnError } from './errors.js'
import { redact, redactError } from './redact.js'
import type { ResolvedConfig } from './resolved-config.js'

/** How often the query path re-reads the secrets files, at most. */
const SECRETS_CHECK_INTERVAL_MS = 1000

export type { ConnectionClass, ConnectionEvents, NativeContext, NativeLayers } from './contract.js'

/**
 * The contract every connection implements, after Streamlit's `BaseConnection`: settings resolved
 * from kwargs, secrets and the data source's own configuration; a driver object created lazily by
 * `connect()`; `reset()` and `close()`.
 *
 * An adapter declares `static typeName`, `static options` and, when the data source has its own
 * configuration, `static nativeConfig()` (`ConnectionClass`); it must implement `connect()` and may
 * override `refineConfig()`, `disconnect()`, `onReset()` and `onSecretsChanged()` (`ConnectionHooks`).
 * contract.ts documents each, in the order an adapter author meets them; a SQL adapter extends
 * `SqlConnection`, whose own hooks are listed there too.
 */
export abstract class BaseConnection<Raw = unknown> {
  /** The short type name; adapters override it. */
  static readonly typeName: string = 'base'
  /** Declared options; adapters override it. */
  static readonly options: readonly OptionSpec[] = []

  /** No native configuration unless the adapter reads some. */
  static nativeConfig(_context: NativeContext, _given?: ResolvedConfig): NativeLayers {
    return { kind: 'native', values: {} }
  }

  /** The connection's name: its `[connections.<name>]` section in the secrets files. */
  readonly name: string
  /** Where the settings come from and what they resolve to (connection-settings.ts). */
  readonly #settings: ConnectionSettings
  #raw: Raw | undefined
  #closed = false
  #staleSecrets = false
  #generation = 0
  #lastSecretsCheck = 0
  readonly #events = new EventEmitter()

  /**
   * @param name the connection's name (its secrets section)
   * @param options the driver's options given in code: the highest precedence
   */
  constructor(name: string, options: Record<string, unknown> = {}) {
    this.name = name
    this.#settings = new ConnectionSettings(name, options)
    this.#events.on('error', () => {})
  }

  /** Creates the driver object from the resolved config, lazily (`ConnectionHooks.connect`, contract.ts). */
  protected abstract connect(config: ResolvedConfig): Raw

  /** Releases a driver object made by `connect()`: its `end()`, `close()` or `destroy()` (`ConnectionHooks`). */
  protected async disconnect(raw: Raw): Promise<void> {
    const r = raw as { end?: () => unknown; close?: () => unknown; destroy?: () => unknown }
    if (typeof r.end === 'function') await r.end()
    else if (typeof r.close === 'function') await r.close()
    else if (typeof r.destroy === 'function') await r.destroy()
  }

  /** The connection's class, for its static declarations. */
  protected get connectionClass(): ConnectionClass {
    return this.constructor as unknown as ConnectionClass
  }

  /** This connection's `[connections.<name>]` section from the secrets files (values unmasked). */
  get secrets(): Readonly<Record<string, unknown>> {
    return this.#settings.secrets
  }

  /** The resolved parameters, each with its source; secrets masked when printed. */
  get config(): ResolvedConfig {
    // Resolved once per reset or secrets change: the closure is made only then.
    return this.#settings.current ?? this.#settings.resolve(this.connectionClass, (c, ctx) => this.refineConfig(c, ctx))
  }

  /** The driver object, created on first access (and again after a reset). */
  get raw(): Raw {
    if (this.#closed) throw new ConnectionClosedError(this.name)
    if (this.#staleSecrets) {
      this.#staleSecrets = false
      this.#dropRaw('secrets changed')
    }
    if (this.#raw === undefined) {
      const config = this.config
      try {
        this.#raw = this.connect(config)
      } catch (err) {
        if (err instanceof SqlconnError) throw this.redactError(err)
        const message = err instanceof Error ? err.message : String(err)
        throw new ConnectionError(
          this.name,
          this.redact(`Cannot open ${this.connectionClass.typeName} connection "${this.name}": ${message}`),
          { cause: err },
        )
      }
    }
    return this.#raw
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Increments on every reset. Read it before the work that may fail and pass it to
   * `resetIfCurrent()`, so concurrent failures of one driver object reset it once.
   */
  protected get generation(): number {
    return this.#generation
  }

  /**
   * Drops the driver object and the resolved config; the next use reconnects with fresh settings
   * (rotated credentials included).
   */
  async reset(): Promise<void> {
    await this.#dropRaw('reset')
  }

  /**
   * Resets only if no other caller has reset since `generation` was read: what a retry (and an
   * adapter's own handler of a pool's errors) calls instead of `reset()`.
   */
  protected async resetIfCurrent(generation: number, reason: string): Promise<void> {
    if (generation === this.#generation) await this.#dropRaw(reason)
  }

  /** Closes the driver object; the connection cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return
    // Closed first: a query racing the close must not open a new driver object nobody ends.
    this.#closed = true
    await this.#dropRaw('close')
  }

  /** `await using conn = await connection(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Listens to connection events (`retry`, `reset`, `query`, `cacheError`, `cacheBreaker`). */
  on<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    this.#events.on(event, listener as (...args: unknown[]) => void)
    return this
  }

  /** Stops listening. */
  off<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    this.#events.off(event, listener as (...args: unknown[]) => void)
    return this
  }

  /**
   * Sends one of the `ConnectionEvents` to the listeners `on()` registered. Core emits them all; an
   * adapter calls it only to report one of them itself.
   */
  protected emit<E extends keyof ConnectionEvents>(event: E, ...args: ConnectionEvents[E]): void {
    this.#events.emit(event, ...args)
  }

  /**
   * Re-reads the secrets files; when this connection's own section changed, it is reset before its
   * next use. Other sections changing leave it alone.
   * @internal called by `connection()` and before queries
   */
  checkSecrets(): boolean {
    if (!this.#settings.reread()) return false
    if (this.#raw !== undefined) this.#staleSecrets = true
    this.onSecretsChanged()
    return true
  }

  /**
   * `checkSecrets()` at most once a second: what the query path calls before each read. A secrets
   * file caught half-saved keeps the last good settings; connection() reports it.
   * @internal
   */
  protected maybeCheckSecrets(): void {
    const now = Date.now()
    if (now - this.#lastSecretsCheck < SECRETS_CHECK_INTERVAL_MS) return
    this.#lastSecretsCheck = now
    try {
      this.checkSecrets()
    } catch {
      // A secrets file caught half-saved: keep the last good settings; connection() reports it.
    }
  }

  /** Removes every secret of this connection from `text`. */
  protected redact(text: string): string {
    return redact(text, this.#allSecrets())
  }

  /**
   * Removes every secret of this connection from one of sqlconn's errors (message, stack, cause),
   * in place, and returns it. Adapters call it on errors they build from option values.
   */
  protected redactError<E>(error: E): E {
    return redactError(error, this.#allSecrets())
  }

  #allSecrets(): string[] {
    return this.#settings.allSecrets(() => this.config, this.connectionClass)
  }

  async #dropRaw(reason: string): Promise<void> {
    const raw = this.#raw
    this.#raw = undefined
    this.#settings.forget()
    this.#generation++
    this.onReset()
    if (raw !== undefined) {
      this.emit('reset', { reason })
      try {
        await this.disconnect(raw)
      } catch {
        // A stale handle often fails to close; it is dropped either way.
      }
    }
  }

  /** Adjusts the resolved config once every source is known (`ConnectionHooks.refineConfig`, contract.ts). */
  protected refineConfig(config: ResolvedConfig, _context: NativeContext): ResolvedConfig {
    return config
  }

  /** The environment, home and working directory the current config was resolved with. */
  protected get nativeContext(): NativeContext {
    void this.config
    return this.#settings.context!
  }

  /** Called when this connection's secrets section changed (`ConnectionHooks.onSecretsChanged`). */
  protected onSecretsChanged(): void {}

  /** Drops what was built on the driver object, at every reset (`ConnectionHooks.onReset`, contract.ts). */
  protected onReset(): void {}

  /** A readable summary; secrets masked. */
  toString(): string {
    let cfg: string
    try {
      cfg = this.config.toString()
    } catch (err) {
      cfg = err instanceof SqlconnError ? `(invalid: ${err.code})` : '(unresolved)'
    }
    return `${this.constructor.name}(${JSON.stringify(this.name)}, type=${this.connectionClass.typeName})\n${cfg
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}`
  }

  [inspect.custom](): string {
    return this.toString()
  }
}
