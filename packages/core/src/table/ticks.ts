import type { FieldInit, TimeUnit } from '../contract.js'

/**
 * What a column of ticks (`decode: 'ticks'`) counts: the field's `unit` since the epoch (a
 * `timestamp`/`timestamptz`, read back as a Date) or since midnight (a `time`, read back as text).
 * Decided here once, from the field, for the builder, the codec and the Arrow export alike.
 */
export interface Ticks {
  readonly unit: TimeUnit
  readonly since: 'epoch' | 'midnight'
}

/** Ticks of each unit in a millisecond (seconds are multiplied instead). */
const PER_MS = { s: 0, ms: 1, us: 1000, ns: 1_000_000 } as const
const PER_MS_BIG = { s: 0n, ms: 1n, us: 1000n, ns: 1_000_000n } as const
/** Digits after the second, per unit, in a time of day's text. */
const DIGITS = { s: 0, ms: 3, us: 6, ns: 9 } as const
const PER_SECOND = { s: 1, ms: 1000, us: 1_000_000, ns: 1_000_000_000 } as const
const MAX_EXACT = 2 ** 53

/** The ticks of a field declared with `decode: 'ticks'`; a TypeError when its type or unit cannot say what they count. */
export function ticksOf(field: Pick<FieldInit, 'name' | 'type' | 'unit'>): Ticks {
  const { type, unit } = field
  if (unit === undefined || (type !== 'time' && type !== 'timestamp' && type !== 'timestamptz')) {
    throw new TypeError(
      `Field "${field.name}" has decode 'ticks' but type ${String(type)} and unit ${String(unit)}: ` +
        `ticks need a unit and a type of time, timestamp or timestamptz.`,
    )
  }
  return { unit, since: type === 'time' ? 'midnight' : 'epoch' }
}

/** True on little-endian machines, where a tick's two 32-bit words can be read without a BigInt. */
export const WORDS = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * The same memory as `values` as 32-bit words (low word first) on a little-endian machine, so a value
 * is read without making a BigInt; undefined elsewhere.
 */
export function wordsOf(values: BigInt64Array): Int32Array | undefined {
  return WORDS ? new Int32Array(values.buffer, values.byteOffset, values.length * 2) : undefined
}

const TWO_32 = 2 ** 32

/**
 * Value `i` of a ticks column as users read it: a Date (since the epoch) or the time of day's text
 * (since midnight). Read from the two 32-bit words when given: a BigInt per value, and BigInt
 * division, cost more than the Date itself.
 */
export function tickAt(ticks: Ticks, values: BigInt64Array, words: Int32Array | undefined, i: number): Date | string {
  if (words === undefined) return tickValue(ticks, values[i]!)
  const hi = words[2 * i + 1]!
  const lo = words[2 * i]! >>> 0
  if (ticks.since === 'midnight') return timeText(ticks.unit, hi * TWO_32 + lo)
  return new Date(epochMsOfWords(ticks.unit, hi, lo))
}

/** A tick value as users read it: a Date (since the epoch) or the time of day's text (since midnight). */
export function tickValue(ticks: Ticks, value: bigint): Date | string {
  return ticks.since === 'epoch' ? new Date(epochMs(ticks.unit, value)) : timeText(ticks.unit, Number(value))
}

/**
 * Milliseconds since the epoch, truncated toward zero as drivers make Dates (@duckdb/node-api's
 * `micros / 1000n`). In doubles while the ticks are exact in one (to the year 2255 in microseconds):
 * `Math.trunc(n / 1000)` is then exact, as the quotient's rounding error stays under 1/1000.
 */
export function epochMs(unit: TimeUnit, value: bigint): number {
  if (unit === 's') return Number(value) * 1000
  if (unit === 'ms') return Number(value)
  const n = Number(value)
  if (n > -MAX_EXACT && n < MAX_EXACT) return Math.trunc(n / PER_MS[unit])
  return Number(value / PER_MS_BIG[unit])
}

/** 2^32 as `Q * d + R` for each divisor d (ticks per millisecond). */
const SPLIT = {
  us: { d: 1000, q: Math.floor(TWO_32 / 1000), r: TWO_32 % 1000 },
  ns: { d: 1_000_000, q: Math.floor(TWO_32 / 1_000_000), r: TWO_32 % 1_000_000 },
} as const

/**
 * `epochMs` from the two words of a value (`hi` signed, `lo` unsigned), exactly and without a BigInt:
 * past 2^53 the value is `hi * (q * d + r) + lo`, whose part `hi * r + lo` stays exact in a double.
 */
function epochMsOfWords(unit: TimeUnit, hi: number, lo: number): number {
  const n = hi * TWO_32 + lo
  if (unit === 's') return n * 1000
  if (unit === 'ms') return n
  const { d, q, r } = SPLIT[unit]
  if (n > -MAX_EXACT && n < MAX_EXACT) return Math.trunc(n / d)
  const rest = hi * r + lo
  const down = Math.floor(rest / d)
  const floor = hi * q + down
  // Floor division so far; toward zero for a negative value that is not a whole millisecond.
  return hi < 0 && rest - down * d !== 0 ? floor + 1 : floor
}

/** `'000000000'` cut to n digits, to pad a fraction without `padStart`. */
const ZEROS = '000000000'

/** '00' to '99': a time's parts without a `padStart` each (reading a time is building its text). */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)))

/**
 * A time of day as DuckDB and @duckdb/node-api write it: `HH:MM:SS`, then the fraction of the second
 * without trailing zeros (`10:00:00.5`, `10:11:12.345678`). `n` is a day's ticks, exact in a double.
 */
export function timeText(unit: TimeUnit, n: number): string {
  const perSecond = PER_SECOND[unit]
  if (n < 0) n += 86_400 * perSecond
  const seconds = Math.floor(n / perSecond)
  let fraction = n - seconds * perSecond
  const h = (seconds / 3600) | 0
  const rest = seconds - h * 3600
  const m = (rest / 60) | 0
  const text = `${h < 100 ? TWO_DIGITS[h] : String(h)}:${TWO_DIGITS[m]}:${TWO_DIGITS[rest - m * 60]}`
  if (fraction === 0) return text
  let digits = DIGITS[unit]
  while (fraction % 10 === 0) {
    fraction /= 10
    digits--
  }
  const f = String(fraction)
  return `${text}.${ZEROS.slice(0, digits - f.length)}${f}`
}
