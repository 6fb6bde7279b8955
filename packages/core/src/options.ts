import { inspect } from 'node:util'
import { closest, distance } from 'fastest-levenshtein'
import { ConfigError, MissingOptionsError, SqlconnError } from './errors.js'

/** The JS type an option takes. `'any'` accepts whatever the driver accepts (objects, functions). */
export type OptionType = 'string' | 'number' | 'boolean' | 'object' | 'any'

/**
 * One option of a connection type, declared once: it drives validation, masking, the docs'
 * options table and, later, the CLI's `doctor`.
 */
export interface OptionSpec {
  /** The driver's own name for it (`filename`, `connectionString`, `uri`). */
  readonly name: string
  readonly type: OptionType
  /** Must be given; `{ unless: [...] }` when one of those options may stand in for it. */
  readonly required?: boolean | { readonly unless: readonly string[] }
  readonly default?: unknown
  /** Masked wherever a config is printed, and kept out of errors. */
  readonly secret?: boolean
  /** One line for the docs and error messages. */
  readonly description: string
  /** Other names accepted for it (Kysely's `database` for SQLite's `filename`). */
  readonly aliases?: readonly string[]
  /**
   * Options in the same group describe one thing (a path or a URL): the highest-precedence source
   * that gives any of them gives the whole group, so a `url` in code beats a `filename` in secrets.
   */
  readonly group?: string
  /** Where the data source's own configuration may supply it (`PGHOST`, `~/.pgpass`). */
  readonly native?: readonly string[]
}

/** What kind of source a resolved value came from. */
export type SourceKind = 'kwargs' | 'secrets' | 'native' | 'default'

/**
 * Where a resolved value came from, as data, decided once by core: adapters compare `rank`s and
 * read `kind`, never the label's text.
 */
export interface ValueSource {
  readonly kind: SourceKind
  /**
   * How strongly the value binds: its source's place in the precedence order, 0 the highest. The
   * layers are numbered in the order given (kwargs 0, secrets 1, then each layer of the data
   * source's own configuration), then one place for values that configuration gives once the rest
   * is known (a password file), then the declared defaults.
   */
  readonly rank: number
  /** How it is shown: `kwargs`, `secrets: /app/.sqlconn/secrets.toml`, `env PGHOST`, `default`. */
  readonly label: string
  /** The option that stood for it, when it was taken from another one (a URL's part: `connectionString`). */
  readonly via?: string
}

/** A set of values from one source; `origins` refines the label per key (a file path, a variable name). */
export interface ConfigLayer {
  readonly kind: SourceKind
  readonly values: Readonly<Record<string, unknown>>
  /** Per-key origin (`secrets: /app/.sqlconn/secrets.toml`, `env PGHOST`); falls back to `kind`. */
  readonly origins?: Readonly<Record<string, string>>
}

/** One resolved option, with where it came from. */
export interface ResolvedOption {
  readonly name: string
  readonly value: unknown
  /** The source's label (`origin.label`), as `config` prints it. */
  readonly source: string
  /** The source as data: kind, rank and label. */
  readonly origin: ValueSource
  readonly secret: boolean
}

const MASK = '****'
/** Option names that hold secrets even when an adapter forgot to declare `secret: true`. */
const SECRET_NAME = /pass(word|wd|phrase)?$|secret|token|credential|private_?key|api_?key|^key$/i
/** `scheme://` and the URL text after it, up to whitespace or a quote that may enclose it. */
const URL_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/([^\s"'`<>]*)/gi

/**
 * Where each URL's password lies in `text`, as [start, end) offsets. The password runs from the
 * first ':' of the userinfo to the URL's last '@': people paste passwords holding unescaped
 * '@', ':', '/', '?' and '#', and a URL parser would split those anywhere. A '@' later in a query
 * string makes more of the URL count as password; over-masking is the safe way to be wrong.
 */
function urlPasswordSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  for (const m of text.matchAll(URL_TEXT)) {
    const rest = m[1]!
    const restStart = m.index + m[0].length - rest.length
    const userEnd = rest.search(/[:/?#@]/)
    if (userEnd < 0 || rest[userEnd] !== ':') continue
    const at = rest.lastIndexOf('@')
    if (at <= userEnd) continue
    spans.push([restStart + userEnd + 1, restStart + at])
  }
  return spans
}

/** The passwords of every `scheme://user:password@host` in `text`, as written and percent-decoded. */
export function urlPasswords(text: string): string[] {
  const out: string[] = []
  for (const [start, end] of urlPasswordSpans(text)) {
    const password = text.slice(start, end)
    if (password === '') continue
    out.push(password)
    try {
      const decoded = decodeURIComponent(password)
      if (decoded !== password) out.push(decoded)
    } catch {}
  }
  return out
}

/** Masks the password inside any `scheme://user:password@host` in `text`. */
export function maskUrlPasswords(text: string): string {
  const spans = urlPasswordSpans(text)
  if (spans.length === 0) return text
  let out = ''
  let from = 0
  for (const [start, end] of spans) {
    out += `${text.slice(from, start)}${MASK}`
    from = end
  }
  return out + text.slice(from)
}

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

/** A copy of `value` with secret-named keys masked at any depth and URL passwords masked in strings. */
function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskUrlPasswords(value)
  if (value === null || typeof value !== 'object' || depth > 8 || value instanceof Date) return value
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.byteLength} bytes>`
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_NAME.test(k) || /^(key|cert|pfx|ca)$/i.test(k) ? MASK : maskDeep(v, depth + 1)
  }
  return out
}

function collectNestedSecrets(value: object, out: string[], depth: number): void {
  if (depth > 8 || value instanceof Date || value instanceof Uint8Array) return
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && (SECRET_NAME.test(k) || /^key$/i.test(k))) out.push(v)
    else if (typeof v === 'string') out.push(...urlPasswords(v))
    else if (v !== null && typeof v === 'object') collectNestedSecrets(v, out, depth + 1)
  }
}

/**
 * Every string in `values` that must never be printed, found without resolving them: the values of
 * secret-named keys and the passwords inside URL-shaped strings, at any depth. Used when an error
 * comes from resolving the config itself, before the declared `secret` flags are known.
 */
export function secretsIn(values: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = []
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string') {
      if (SECRET_NAME.test(k)) out.push(v)
      out.push(...urlPasswords(v))
    } else if (v !== null && typeof v === 'object') collectNestedSecrets(v, out, 0)
  }
  return out.filter((s) => s.length > 0)
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

/** Replaces every secret string in `text` with a mask, and masks URL passwords. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = maskUrlPasswords(text)
  // Longest first: a password may contain a shorter secret (its percent-decoded form, say).
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length > 0) out = out.split(s).join(MASK)
  return out
}

/**
 * Removes `secrets` and URL passwords from one of sqlconn's own errors, in place: its message,
 * stack and string properties. A `cause` that would show a secret (a URL parser's error keeps the
 * whole URL in `input`) is replaced by a redacted copy; the original is not touched. Other errors
 * are returned as they are: they are not ours to change, and sqlconn wraps the ones it reports.
 */
export function redactError<E>(error: E, secrets: readonly string[]): E {
  if (!(error instanceof SqlconnError)) return error
  const clean = (text: string) => redact(text, secrets)
  const fields = error as unknown as Record<string, unknown>
  for (const key of Object.keys(error)) if (typeof fields[key] === 'string') fields[key] = clean(fields[key] as string)
  error.message = clean(error.message)
  if (error.stack) error.stack = clean(error.stack)
  const cause = error.cause
  if (cause instanceof SqlconnError) redactError(cause, secrets)
  else if (cause !== undefined) {
    const shown = inspect(cause, { depth: 4 })
    if (clean(shown) !== shown) {
      // The copy keeps what code branches on (a driver's code, severity, errno), redacted.
      const copy = new Error(clean(cause instanceof Error ? cause.message : String(cause)))
      copy.name = cause instanceof Error ? cause.name : 'Error'
      if (typeof cause === 'object' && cause !== null) {
        for (const [k, v] of Object.entries(cause)) {
          if (typeof v === 'string') Object.assign(copy, { [k]: clean(v) })
          else if (typeof v === 'number' || typeof v === 'boolean') Object.assign(copy, { [k]: v })
        }
      }
      copy.stack = cause instanceof Error && cause.stack ? clean(cause.stack) : copy.stack
      Object.defineProperty(error, 'cause', { value: copy, configurable: true, writable: true, enumerable: false })
    }
  }
  return error
}

/** Suggests the closest known name when `name` is a likely typo. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return ''
  const best = closest(name, candidates as string[])
  return distance(name.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(name.length / 3))
    ? ` Did you mean "${best}"?`
    : ''
}

function coerce(spec: OptionSpec, value: unknown, source: string): unknown {
  const where = `(from ${source})`
  switch (spec.type) {
    case 'number':
      if (typeof value === 'number') return value
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
      break
    case 'boolean':
      if (typeof value === 'boolean') return value
      if (typeof value === 'string' && /^(true|false|1|0|yes|no|on|off)$/i.test(value)) {
        return /^(true|1|yes|on)$/i.test(value)
      }
      break
    case 'string':
      if (typeof value === 'string') return value
      if (typeof value === 'number') return String(value)
      break
    case 'object':
      if (typeof value === 'object' && value !== null) return value
      break
    case 'any':
      return value
  }
  const shown =
    spec.secret || SECRET_NAME.test(spec.name)
      ? 'a secret value'
      : maskUrlPasswords(JSON.stringify(maskDeep(value)) ?? String(value))
  throw new ConfigError(
    'INVALID_OPTION',
    spec.name,
    `Option "${spec.name}" must be a ${spec.type}, got ${shown} ${where}. ${spec.description}`,
  )
}

/**
 * One error naming every missing required option, each with its alternatives and every place it
 * may be set, so a user fixes them all in one go rather than one per run.
 */
function missingOptionsError(
  missing: readonly OptionSpec[],
  byName: ReadonlyMap<string, OptionSpec>,
  context: { connectionName: string; typeName: string },
): MissingOptionsError {
  const section = `[connections.${context.connectionName}]`
  const lines = missing.map((spec) => {
    const unless = typeof spec.required === 'object' ? spec.required.unless : []
    const alternatives = unless.length ? ` (or ${unless.map((n) => `"${n}"`).join(', ')})` : ''
    // A stand-in's own native sources count too: DATABASE_URL may give the url instead of the path.
    const natives = [spec, ...unless.map((n) => byName.get(n))].flatMap((s) => s?.native ?? [])
    const where = [`in code ({ ${spec.name}: ... })`, `under ${section} in .sqlconn/secrets.toml`, ...natives]
    const places = `${where.slice(0, -1).join(', ')} or ${where.at(-1)}`
    return { spec, text: `"${spec.name}"${alternatives}: ${spec.description} Set it ${places}.` }
  })
  const head = `${context.typeName} connection "${context.connectionName}"`
  const message =
    lines.length === 1
      ? `${head} needs ${lines[0]!.text}`
      : `${head} needs ${lines.length} options that are not set:\n${lines.map((l) => `  - ${l.text}`).join('\n')}`
  return new MissingOptionsError(
    missing.map((s) => s.name),
    message,
  )
}

function isSecret(spec: OptionSpec | undefined, name: string): boolean {
  return spec?.secret ?? SECRET_NAME.test(name)
}

/** The options by name and by alias. */
function specsByName(specs: readonly OptionSpec[]): Map<string, OptionSpec> {
  const byName = new Map<string, OptionSpec>()
  for (const spec of specs) {
    byName.set(spec.name, spec)
    for (const alias of spec.aliases ?? []) byName.set(alias, spec)
  }
  return byName
}

/**
 * The values of `layers` (highest precedence first), each option from the highest layer that
 * gives it, ranked by its layer's place; groups taken whole from one layer.
 */
function collect(
  specs: readonly OptionSpec[],
  layers: readonly ConfigLayer[],
  context: { connectionName: string; typeName: string },
): { resolved: Map<string, ResolvedOption>; groupsTaken: Map<string, number> } {
  const byName = specsByName(specs)
  const known = [...byName.keys()]
  const resolved = new Map<string, ResolvedOption>()
  const groupsTaken = new Map<string, number>()

  layers.forEach((layer, rank) => {
    for (const [key, raw] of Object.entries(layer.values)) {
      if (raw === undefined) continue
      const spec = byName.get(key)
      const label = layer.origins?.[key] ?? layer.kind
      if (!spec) {
        if (layer.kind === 'native') continue
        throw new ConfigError(
          'UNKNOWN_OPTION',
          key,
          `Unknown option "${key}" for ${context.typeName} connection "${context.connectionName}" (from ${label}).` +
            `${didYouMean(key, known)} Known options: ${specs.map((s) => s.name).join(', ')}.`,
        )
      }
      if (spec.group) {
        const takenAt = groupsTaken.get(spec.group)
        if (takenAt !== undefined && takenAt < rank) continue
        groupsTaken.set(spec.group, rank)
      }
      if (resolved.has(spec.name)) continue
      resolved.set(spec.name, {
        name: spec.name,
        value: coerce(spec, raw, label),
        source: label,
        origin: { kind: layer.kind, rank, label },
        secret: isSecret(spec, spec.name),
      })
    }
  })
  return { resolved, groupsTaken }
}

/**
 * The options `layers` give (highest precedence first), validated and coerced, without defaults
 * and without checking required ones: what code and secrets say before the data source's own
 * configuration is read, for a configuration that depends on them (mysql's `defaultsFile`).
 */
export function resolveGiven(
  specs: readonly OptionSpec[],
  layers: readonly ConfigLayer[],
  context: { connectionName: string; typeName: string },
): ResolvedConfig {
  return new ResolvedConfig([...collect(specs, layers, context).resolved.values()], specs, layers.length)
}

/**
 * Resolves options from layers given highest precedence first (kwargs, secrets, then each layer of
 * the native configuration), then the declared defaults. Each value's rank is its layer's place;
 * the defaults rank last. Unknown names in kwargs and secrets are errors with a did-you-mean; the
 * missing required options are named together, each with where it can be set.
 */
export function resolveConfig(
  specs: readonly OptionSpec[],
  layers: readonly ConfigLayer[],
  context: { connectionName: string; typeName: string },
): ResolvedConfig {
  const { resolved, groupsTaken } = collect(specs, layers, context)
  // One place between the layers and the defaults, for values found once the rest is known.
  const foundRank = layers.length
  const defaultSource: ValueSource = { kind: 'default', rank: foundRank + 1, label: 'default' }
  const missing: OptionSpec[] = []
  for (const spec of specs) {
    if (resolved.has(spec.name)) continue
    const groupTaken = spec.group !== undefined && groupsTaken.has(spec.group)
    if (spec.default !== undefined && !groupTaken) {
      resolved.set(spec.name, {
        name: spec.name,
        value: spec.default,
        source: defaultSource.label,
        origin: defaultSource,
        secret: isSecret(spec, spec.name),
      })
      continue
    }
    const unless = typeof spec.required === 'object' ? spec.required.unless : []
    if (spec.required && !unless.some((n) => resolved.has(n))) missing.push(spec)
  }
  if (missing.length > 0) throw missingOptionsError(missing, specsByName(specs), context)
  return new ResolvedConfig([...resolved.values()], specs, foundRank)
}
