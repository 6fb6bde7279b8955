import { inspect } from 'node:util'
import type { OptionSpec, ResolvedOption, ValueSource } from './contract.js'
import { collectNestedSecrets, isSecret, MASK, maskDeep, maskUrlPasswords, urlPasswords } from './redact.js'

/**
 * The resolved parameters of a connection, each with its source. Printing it (`toString`,
 * `inspect`, `JSON.stringify`) masks secret options and passwords inside URLs.
 */
export class ResolvedConfig {
  readonly #options: ReadonlyMap<string, ResolvedOption>
  readonly #specs: readonly OptionSpec[]
  readonly #foundRank: number

  /**
   * The options, shown in the declared order. Core builds it from every source; an adapter's
   * `refineConfig()` rarely needs to: `with()`, `without()`, `withFound()` and `withUrlParts()`
   * return adjusted copies, each value keeping its source.
   * @param specs the declared options: their order is the printed order, their flags the masking
   * @param foundRank the rank of values the data source's configuration gives once the rest is known
   */
  constructor(options: readonly ResolvedOption[], specs: readonly OptionSpec[] = [], foundRank = 0) {
    this.#specs = specs
    this.#foundRank = foundRank
    // Declared order first, so a printed config reads the same whichever source gave a value.
    const order = [...specs.map((s) => s.name), ...options.map((o) => o.name)]
    const byName = new Map(options.map((o) => [o.name, o]))
    this.#options = new Map([...new Set(order)].filter((n) => byName.has(n)).map((n) => [n, byName.get(n)!]))
  }

  /** The value of an option (unmasked: this is what the driver receives). */
  get<T = unknown>(name: string): T | undefined {
    return this.#options.get(name)?.value as T | undefined
  }

  /** True when the option has a value. */
  has(name: string): boolean {
    return this.#options.has(name)
  }

  /** Where the option's value came from (`kwargs`, `secrets: <file>`, `env PGHOST`, `default`). */
  source(name: string): string | undefined {
    return this.#options.get(name)?.source
  }

  /** Where the option's value came from, as data: its kind, rank and label. */
  origin(name: string): ValueSource | undefined {
    return this.#options.get(name)?.origin
  }

  /**
   * A copy with `name` set to `value`. The source stays the option's own unless `origin` is given
   * (a value taken from a URL takes the URL's); the secret flag is the option's, else its declaration's.
   */
  with(name: string, value: unknown, origin?: ValueSource): ResolvedConfig {
    const current = this.#options.get(name)
    const from = origin ?? current?.origin
    if (!from) throw new TypeError(`Option "${name}" has no value yet: give its origin.`)
    const spec = this.#specs.find((s) => s.name === name)
    const secret = current?.secret ?? isSecret(spec, name)
    const entry: ResolvedOption = { name, value, source: from.label, origin: from, secret }
    return this.#copy([...this.#options.values()].filter((o) => o.name !== name).concat(entry))
  }

  /** A copy without `name` (a value that never reaches the driver, such as an unused socket). */
  without(name: string): ResolvedConfig {
    return this.#copy([...this.#options.values()].filter((o) => o.name !== name))
  }

  /**
   * A copy with a value the data source's own configuration gives only once the rest is known (a
   * password file matched against the resolved host and user): ranked below every layer of that
   * configuration and above the defaults.
   */
  withFound(name: string, value: unknown, label: string): ResolvedConfig {
    return this.with(name, value, { kind: 'native', rank: this.#foundRank, label })
  }

  #copy(options: readonly ResolvedOption[]): ResolvedConfig {
    return new ResolvedConfig(options, this.#specs, this.#foundRank)
  }

  /** Every resolved option with its source; values unmasked. */
  entries(): ResolvedOption[] {
    return [...this.#options.values()]
  }

  /** The unmasked values as a plain object, for handing to the driver. */
  values(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const o of this.#options.values()) out[o.name] = o.value
    return out
  }

  /** Every string that must never be printed: secret options and passwords inside URLs. */
  secretValues(): string[] {
    const out: string[] = []
    for (const o of this.#options.values()) {
      if (o.secret && o.value != null && typeof o.value !== 'object') out.push(String(o.value))
      if (o.value !== null && typeof o.value === 'object') collectNestedSecrets(o.value, out, 0)
      if (typeof o.value === 'string') out.push(...urlPasswords(o.value))
    }
    return out.filter((s) => s.length > 0)
  }

  /** The values as they may be shown: secrets masked. */
  toJSON(): Record<string, { value: unknown; source: string }> {
    const out: Record<string, { value: unknown; source: string }> = {}
    for (const o of this.#options.values()) out[o.name] = { value: maskValue(o), source: o.source }
    return out
  }

  /** One line per option: `name = value  (source)`, secrets masked. */
  toString(): string {
    const rows = [...this.#options.values()].map((o) => [o.name, formatValue(maskValue(o)), o.source] as const)
    const w0 = Math.max(0, ...rows.map((r) => r[0].length))
    const w1 = Math.max(0, ...rows.map((r) => r[1].length))
    return rows.map(([n, v, s]) => `${n.padEnd(w0)} = ${v.padEnd(w1)}  (${s})`).join('\n')
  }

  [inspect.custom](): string {
    return `ResolvedConfig {\n${this.toString()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}\n}`
  }
}

function maskValue(o: ResolvedOption): unknown {
  if (o.value == null) return o.value
  if (o.secret) return MASK
  if (typeof o.value === 'string') return maskUrlPasswords(o.value)
  if (typeof o.value === 'object') return maskDeep(o.value)
  return o.value
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : inspect(v, { depth: 1, breakLength: Number.POSITIVE_INFINITY })
}
