import type { ValueSource } from './contract.js'
import type { ResolvedConfig } from './resolved-config.js'

/**
 * The source of a value taken from another option (a URL's host, a file a URL names): it binds as
 * that option does, and its label says so (`kwargs (connectionString)`).
 */
export function partOf(origin: ValueSource, option: string): ValueSource {
  return { kind: origin.kind, rank: origin.rank, label: `${origin.label} (${option})`, via: option }
}

/**
 * A URL and options given separately, merged: the one rule for every adapter. Each part the URL
 * gives (`parts`: host, port, user, password, database, query parameters) competes with the option
 * of the same name by rank, as resolved by core:
 *
 * - the value from the higher-precedence source (the lower rank) wins, so a URL in code beats a
 *   host from the environment, and a host in code beats the host inside `DATABASE_URL`;
 * - on a tie (both given in code, or both in the secrets files) the separately given option wins:
 *   it is the more specific, so `{ url: 'postgres://h/shop', database: 'other' }` connects to
 *   "other", as in mysql2.
 *
 * Layers of the data source's own configuration are ranked one after another, so `DATABASE_URL`,
 * ranked above `PGHOST`, wins over it without a special case. A part that wins takes the URL's kind
 * and rank, and its label with the URL option's name after it. Parts that are `undefined` are
 * skipped; nothing happens when `urlOption` has no value.
 */
export function withUrlParts(
  config: ResolvedConfig,
  urlOption: string,
  parts: Readonly<Record<string, unknown>>,
): ResolvedConfig {
  const url = config.origin(urlOption)
  if (url === undefined) return config
  const from = partOf(url, urlOption)
  let out = config
  for (const [name, value] of Object.entries(parts)) {
    if (value === undefined) continue
    const current = config.origin(name)
    if (current !== undefined && current.rank <= url.rank) continue
    out = out.with(name, value, from)
  }
  return out
}

/** True when the value was given in code or in the secrets files, rather than found or defaulted. */
export function isGiven(origin: ValueSource | undefined): boolean {
  return origin?.kind === 'kwargs' || origin?.kind === 'secrets'
}
