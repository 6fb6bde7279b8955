import { EventEmitter } from 'node:events'
import { homedir } from 'node:os'
import { inspect } from 'node:util'
import type { ConfigLayer, OptionSpec } from './contract.js'
import { ConnectionClosedError, ConnectionError, SqlconnError } from './errors.js'
import { resolveConfig, resolveGiven } from './options.js'
import { redact, redactError, secretsIn, urlPasswords } from './redact.js'
import { assertConnectionClass } from './registry.js'
import type { ResolvedConfig } from './resolved-config.js'
import { type SecretsSection, secretsSection } from './secrets.js'

/** Options every connection accepts besides its driver's own; they never reach option validation. */
const RESERVED_OPTIONS = new Set(['type', 'ttl', 'maxEntries', 'cache', 'retry'])

function withoutReserved(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(values)) if (!RESERVED_OPTIONS.has(k)) out[k] = v
  return out
}

/** What an adapter may read from the data source's own configuration. */
export interface NativeContext {
  readonly env: NodeJS.ProcessEnv
  readonly home: string
  readonly cwd: string
}

/** The process's environment, home and working directory: built here only, once per resolution. */
function nativeContext(): NativeContext {
  return { env: process.env, home: homedir(), cwd: process.cwd() }
}

/**
 * The data source's own configuration, as layers highest first. An adapter returns one layer, or
 * several when its sources outrank one another (`DATABASE_URL` over `PGHOST`): core ranks each.
 */
export type NativeLayers = ConfigLayer | readonly ConfigLayer[]

function nativeLayers(
  cls: ConnectionClass,
  context: NativeContext,
  given: ResolvedConfig | undefined,
): readonly ConfigLayer[] {
  const layers = cls.nativeConfig(context, given)
  return Array.isArray(layers) ? layers : [layers as ConfigLayer]
}

/** The static side of a connection class: its declared options and native configuration. */
export interface ConnectionClass<C extends BaseConnection = BaseConnection> {
  new (name: string, options?: Record<string, unknown>): C
  /** The short type name (`sqlite`), used in messages and cache keys. */
  readonly typeName: string
  /** Every option the type accepts, declared once. */
  readonly options: readonly OptionSpec[]
  /**
   * Values from the data source's own configuration (env variables, files), below code and
   * secrets: one layer, or several highest first. `given` holds what code and secrets say (no
   * defaults), for a configuration that depends on them; it is undefined when only the secrets
   * to mask are wanted.
   */
  nativeConfig(context: NativeContext, given?: ResolvedConfig): NativeLayers
}

/** Events a connection emits, for logs and metrics. */
export interface ConnectionEvents {
  /** A read failed with a transient error and will be retried after a reset. */
  retry: [{ attempt: number; error: unknown }]
  /** The driver object was dropped (stale connection, rotated secrets, explicit reset). */
  reset: [{ reason: string }]
  /**
   * A query finished: `cached` when it came from the cache; `tier` names the cache looked in
   * (`memory`, `redis`, `custom`), undefined when the call skipped the cache.
   */
  query: [{ sql: string; cached: boolean; durationMs: number; rows: number; tier?: 'memory' | 'redis' | 'custom' }]
  /** The cache store failed; the query went to the database instead. */
  cacheError: [{ error: unknown }]
  /** The cache's circuit breaker changed state (`open`: the store is skipped after failures). */
  cacheBreaker: [{ state: 'closed' | 'open' | 'half-open' }]
  /** An invalidation from an app server (this one included) arrived over the Redis bus, `latencyMs` after it was sent. */
  cacheInvalidated: [{ latencyMs: number }]
}

/**
 * The contract every connection implements, after Streamlit's `BaseConnection`: settings resolved
 * from kwargs, secrets and the data source's own configuration; a driver object created lazily by
 * `connect()`; `reset()` and `close()`.
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
  readonly #kwargs: Readonly<Record<string, unknown>>
  /** Everything given in code, sqlconn's own options included (a cache URL's password is a secret too). */
  readonly #given: Readonly<Record<string, unknown>>
  #section: SecretsSection | undefined
  #config: ResolvedConfig | undefined
  #context: NativeContext | undefined
  #raw: Raw | undefined
  #closed = false
  #staleSecrets = false
  #generation = 0
  readonly #events = new EventEmitter()

  /**
   * @param name the connection's name (its secrets section)
   * @param options the driver's options given in code: the highest precedence
   */
  constructor(name: string, options: Record<string, unknown> = {}) {
    this.name = name
    this.#kwargs = withoutReserved(options)
    this.#given = options
    this.#events.on('error', () => {})
  }

  /**
   * Creates the driver object (a database handle, a pool) from the resolved config. The one
   * method an adapter must implement; it runs lazily, on first use and after each reset.
   */
  protected abstract connect(config: ResolvedConfig): Raw

  /** Releases a driver object made by `connect()`. The default calls its `end()` or `close()`. */
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
    return this.#secretsSection().values
  }

  /** The resolved parameters, each with its source; secrets masked when printed. */
  get config(): ResolvedConfig {
    if (!this.#config) {
      const cls = this.connectionClass
      // A class made with `new` never went through connection()'s check; a broken one is named here.
      assertConnectionClass(cls)
      try {
        const section = this.#secretsSection()
        const context = nativeContext()
        const names = { connectionName: this.name, typeName: cls.typeName }
        const given: ConfigLayer[] = [
          { kind: 'kwargs', values: this.#kwargs },
          { kind: 'secrets', values: withoutReserved(section.values), origins: section.origins },
        ]
        const native = nativeLayers(cls, context, resolveGiven(cls.options, given, names))
        const resolved = resolveConfig(cls.options, [...given, ...native], names)
        this.#context = context
        this.#config = this.refineConfig(resolved, context)
      } catch (err) {
        // The declared secret flags are not known yet: redact what any source could hold.
        throw redactError(err, this.#unresolvedSecrets())
      }
    }
    return this.#config
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
    const before = this.#section?.digest
    // Read first, replace after: a file caught half-saved must not lose the baseline.
    const fresh = secretsSection(this.name)
    this.#section = fresh
    const after = fresh.digest
    if (before !== undefined && before !== after) {
      this.#config = undefined
      if (this.#raw !== undefined) this.#staleSecrets = true
      this.onSecretsChanged()
      return true
    }
    return false
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
    const secrets = this.#unresolvedSecrets()
    try {
      secrets.push(...this.config.secretValues())
    } catch {}
    return secrets
  }

  /**
   * Secrets found in every source before resolving them: secret-named keys and URL passwords in
   * code, the secrets section and the data source's own configuration, and DATABASE_URL's password
   * whether or not the adapter reads it.
   */
  #unresolvedSecrets(): string[] {
    const out = secretsIn(this.#given)
    const sources: Array<() => ReadonlyArray<Readonly<Record<string, unknown>>>> = [
      () => [this.#secretsSection().values],
      () => nativeLayers(this.connectionClass, nativeContext(), undefined).map((l) => l.values),
    ]
    for (const values of sources) {
      try {
        for (const v of values()) out.push(...secretsIn(v))
      } catch {}
    }
    if (process.env.DATABASE_URL) out.push(...urlPasswords(process.env.DATABASE_URL))
    return out
  }

  #secretsSection(): SecretsSection {
    this.#section ??= secretsSection(this.name)
    return this.#section
  }

  async #dropRaw(reason: string): Promise<void> {
    const raw = this.#raw
    this.#raw = undefined
    this.#config = undefined
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

  /**
   * Adjusts the resolved config once every source is known, keeping each value's source: split a
   * URL into the options it stands for (`withUrlParts`), look up a password file for the final host
   * and user (`config.withFound`). `context` is the one the config was resolved with. Ranks are
   * decided by core: an adapter compares them, never the labels.
   */
  protected refineConfig(config: ResolvedConfig, _context: NativeContext): ResolvedConfig {
    return config
  }

  /** The environment, home and working directory the current config was resolved with. */
  protected get nativeContext(): NativeContext {
    void this.config
    return this.#context!
  }

  /** Called when this connection's secrets section changed; subclasses drop what they built from it. */
  protected onSecretsChanged(): void {}

  /** Adapters drop objects built on the driver object (a Kysely instance, statement caches). */
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
