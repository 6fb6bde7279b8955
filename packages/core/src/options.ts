import type { ConfigLayer, OptionSpec, ResolvedOption, ValueSource } from './contract.js'
import { ConfigError, MissingOptionsError } from './errors.js'
import { lazyModule } from './lazy.js'
import { isSecret, maskDeep, maskUrlPasswords, SECRET_NAME } from './redact.js'
import { ResolvedConfig } from './resolved-config.js'

// The declarations live in contract.ts; importers of the resolution keep finding them here.
export type {
  ConfigLayer,
  OptionSpec,
  OptionType,
  ResolvedOption,
  SourceKind,
  ValueSource,
} from './contract.js'

/** Loaded with the first typo to suggest a name for: a process without one never pays for it. */
const levenshtein = lazyModule<typeof import('fastest-levenshtein')>('fastest-levenshtein')

/** Suggests the closest known name when `name` is a likely typo. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return ''
  const { closest, distance } = levenshtein.get()
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
