import { ConfigError } from './errors.js'

/** A time span: seconds as a number, or a string such as `'90s'`, `'10m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | string

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Milliseconds for a Duration; `undefined`/`null` stay undefined (no expiry). Written here rather
 * than taken from `ms` because the accepted grammar is Streamlit's four units and an error must
 * name the option it came from.
 */
export function toMilliseconds(value: Duration | null | undefined, option = 'ttl'): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigError(
        'INVALID_OPTION',
        option,
        `${option} must be a non-negative number of seconds, got ${value}.`,
      )
    }
    return value * 1000
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value)
  if (!m) {
    throw new ConfigError(
      'INVALID_OPTION',
      option,
      `${option} "${value}" is not a duration: use seconds (600) or a string like '90s', '10m', '1h', '1d'.`,
    )
  }
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

/**
 * A monotonic clock in milliseconds, for how long something took: `performance.now()` without the
 * global `performance`, whose first use loads perf_hooks (start-up time a one-shot process's read
 * would otherwise pay to time itself).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}
