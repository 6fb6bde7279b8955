import { homedir } from 'node:os'
import type { ConfigLayer, ConnectionClass, NativeContext } from './contract.js'
import { resolveConfig, resolveGiven } from './options.js'
import { redactError, secretsIn, urlPasswords } from './redact.js'
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

/** The process's environment, home and working directory: built here only, once per resolution. */
function nativeContext(): NativeContext {
  return { env: process.env, home: homedir(), cwd: process.cwd() }
}

function nativeLayers(
  cls: ConnectionClass,
  context: NativeContext,
  given: ResolvedConfig | undefined,
): readonly ConfigLayer[] {
  const layers = cls.nativeConfig(context, given)
  return Array.isArray(layers) ? layers : [layers as ConfigLayer]
}

/**
 * Where a connection's settings come from and what they resolve to: the options given in code, its
 * secrets section (re-read to notice rotations), the data source's own configuration, and every
 * secret among them. `BaseConnection` holds one and keeps the driver object's lifecycle to itself.
 */
export class ConnectionSettings {
  readonly #name: string
  readonly #kwargs: Readonly<Record<string, unknown>>
  /** Everything given in code, sqlconn's own options included (a cache URL's password is a secret too). */
  readonly #given: Readonly<Record<string, unknown>>
  #section: SecretsSection | undefined
  #config: ResolvedConfig | undefined
  #context: NativeContext | undefined

  /** @param name the connection's name (its secrets section) @param options everything given in code */
  constructor(name: string, options: Readonly<Record<string, unknown>>) {
    this.#name = name
    this.#kwargs = withoutReserved(options)
    this.#given = options
  }

  /** The connection's `[connections.<name>]` section (values unmasked). */
  get secrets(): Readonly<Record<string, unknown>> {
    return this.#secretsSection().values
  }

  /** The resolved config, until `forget()` or a changed secrets section drops it. */
  get current(): ResolvedConfig | undefined {
    return this.#config
  }

  /**
   * The resolved config, resolved on first use after each `forget()`: kwargs, secrets and the native
   * layers ranked in that order, then the adapter's `refine` with the context it was resolved with.
   */
  resolve(
    cls: ConnectionClass,
    refine: (config: ResolvedConfig, context: NativeContext) => ResolvedConfig,
  ): ResolvedConfig {
    if (!this.#config) {
      // A class made with `new` never went through connection()'s check; a broken one is named here.
      assertConnectionClass(cls)
      try {
        const section = this.#secretsSection()
        const context = nativeContext()
        const names = { connectionName: this.#name, typeName: cls.typeName }
        const given: ConfigLayer[] = [
          { kind: 'kwargs', values: this.#kwargs },
          { kind: 'secrets', values: withoutReserved(section.values), origins: section.origins },
        ]
        const native = nativeLayers(cls, context, resolveGiven(cls.options, given, names))
        const resolved = resolveConfig(cls.options, [...given, ...native], names)
        this.#context = context
        this.#config = refine(resolved, context)
      } catch (err) {
        // The declared secret flags are not known yet: redact what any source could hold.
        throw redactError(err, this.unresolvedSecrets(cls))
      }
    }
    return this.#config
  }

  /** The environment, home and working directory the current config was resolved with. */
  get context(): NativeContext | undefined {
    return this.#context
  }

  /** Drops the resolved config: the next use resolves it again from fresh sources. */
  forget(): void {
    this.#config = undefined
  }

  /**
   * Re-reads the secrets files; true when this connection's own section changed since the last
   * read (the resolved config is then dropped).
   */
  reread(): boolean {
    const last = this.#section
    // Read first, replace after: a file caught half-saved must not lose the baseline.
    const fresh = secretsSection(this.#name)
    this.#section = fresh
    // Unchanged files give the very same section object: no digest needed to tell.
    if (last !== undefined && last.values !== fresh.values && last.digest !== fresh.digest) {
      this.#config = undefined
      return true
    }
    return false
  }

  /** Every secret of the connection: the unresolved ones, and the resolved config's when it resolves. */
  allSecrets(config: () => ResolvedConfig, cls: ConnectionClass): string[] {
    const secrets = this.unresolvedSecrets(cls)
    try {
      secrets.push(...config().secretValues())
    } catch {}
    return secrets
  }

  /**
   * Secrets found in every source before resolving them: secret-named keys and URL passwords in
   * code, the secrets section and the data source's own configuration, and DATABASE_URL's password
   * whether or not the adapter reads it.
   */
  unresolvedSecrets(cls: ConnectionClass): string[] {
    const out = secretsIn(this.#given)
    const sources: Array<() => ReadonlyArray<Readonly<Record<string, unknown>>>> = [
      () => [this.#secretsSection().values],
      () => nativeLayers(cls, nativeContext(), undefined).map((l) => l.values),
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
    this.#section ??= secretsSection(this.#name)
    return this.#section
  }
}
