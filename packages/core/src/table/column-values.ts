/** Values and buffers ColumnBuilder shares with nothing else: limits, integer text, typed-array growth. */

import type { Decode } from '../contract.js'
import type { Storage } from './storage.js'
import { type Ticks, tickValue } from './ticks.js'

export type { Decode } from '../contract.js'

/** The storage kinds a ColumnBuilder fills; packed text (`str`) only comes from the cache codec. */
export type Kind = Exclude<Storage['kind'], 'str'>

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n
export const INT_TEXT = /^-?\d{1,19}$/
export const TWO_32 = 2 ** 32
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * Canonical integer text of at most 15 digits ('-42', '0'; not '007', '+1' or '-0', which would not
 * read back the same) as a Number, exact at that size; NaN for anything else (the BigInt path decides).
 */
export function smallIntText(text: string): number {
  const len = text.length
  let i = text.charCodeAt(0) === 45 ? 1 : 0
  const digits = len - i
  if (digits < 1 || digits > 15) return Number.NaN
  const first = text.charCodeAt(i) - 48
  if (first === 0 && (digits > 1 || i === 1)) return Number.NaN
  let n = 0
  for (; i < len; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return Number.NaN
    n = n * 10 + d
  }
  return text.charCodeAt(0) === 45 ? -n : n
}

/**
 * A value kept as it reads back (after a fallback to plain values): JSON parsed, epoch milliseconds
 * as a Date, ticks as a Date or a time of day's text.
 */
export function decodeNow(decode: Decode, value: unknown, ticks: Ticks | undefined): unknown {
  if (decode === 'json' && typeof value === 'string') return JSON.parse(value)
  if (decode === 'epoch-ms' && typeof value === 'number') return new Date(value)
  if (ticks !== undefined && typeof value === 'bigint') return tickValue(ticks, value)
  return value
}

export type Typed = Float64Array | Uint8Array | BigInt64Array | Int32Array

export function grow<T extends Typed>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size)
  next.set(a as never)
  return next
}

/** Copies to the exact length so a finished table holds no slack. */
export function trimmed<T extends Typed>(a: T, size: number): T {
  return a.length === size ? a : (a.slice(0, size) as T)
}
