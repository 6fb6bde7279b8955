import type * as A from 'apache-arrow'
import { validity } from './arrow-data.js'
import type { Arrow } from './arrow-module.js'
import { textUnits } from './arrow-text.js'
import { type ColumnData, isNullAt, valueAt } from './storage.js'

const TWO_32 = 2 ** 32

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?$/

/**
 * `text` as an integer scaled by 10^`scale`, read digit by digit: the common case of the decimal
 * columns (about 5x cheaper than the regular expression). NaN whenever it is not plainly valid with
 * at most 15 significant digits (Number is exact there), so the general path below decides.
 */
function scaledDecimal(text: string, scale: number, precision: number): number {
  const len = text.length
  let i = 0
  const first = text.charCodeAt(0)
  const negative = first === 45
  if (negative || first === 43) i = 1
  let n = 0
  let digits = 0
  let intDigits = 0
  let frac = -1
  for (; i < len; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) {
      if (frac >= 0) return Number.NaN
      frac = 0
      continue
    }
    const d = c - 48
    if (d < 0 || d > 9) return Number.NaN
    if (frac < 0) intDigits++
    else if (frac === scale) {
      // Digits past the scale are dropped only when they are zeros.
      if (d !== 0) return Number.NaN
      continue
    } else frac++
    // Leading zeros are not significant digits (precision counts from the first other digit).
    if (n === 0 && d === 0) continue
    n = n * 10 + d
    if (++digits > 15) return Number.NaN
  }
  if (intDigits === 0 && frac <= 0) return Number.NaN
  for (let k = Math.max(frac, 0); k < scale; k++) {
    if (n === 0) break
    n *= 10
    if (++digits > 15) return Number.NaN
  }
  if (digits > precision) return Number.NaN
  return negative && n !== 0 ? -n : n
}

/** 10^0 … 10^15, exact in a Number. */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k)

/**
 * A number (SQLite's REAL in a DECIMAL column) as an integer scaled by 10^`scale`, without making its
 * text: the same integer `scaledDecimal(String(x))` gives. Below 10^15 the scaled integer is unique
 * (a Number's spacing there is finer than 10^-scale), and `n / 10^scale === x` holds exactly when
 * x's shortest text has at most `scale` decimals. NaN whenever that is not sure (exponent notation
 * below 1e-6, a scale above 15, more digits than the precision): the text path decides then.
 */
function scaledNumber(x: number, scale: number, precision: number): number {
  if (scale > 15 || !(Math.abs(x) >= 1e-6 || x === 0)) return Number.NaN
  const unit = POW10[scale]!
  const n = Math.round(x * unit)
  // More digits than the precision (|n| ≥ 10^precision) is what the text path refuses too.
  if (!(Math.abs(n) < POW10[Math.min(precision, 15)]!) || n / unit !== x) return Number.NaN
  return n
}

/**
 * Decimal128 from the driver's exact text (pg's numeric, mysql2's DECIMAL): the digits scaled to an
 * integer, written as four little-endian 32-bit words in two's complement. Values up to 15 digits
 * take a path without BigInt. Undefined when a value is not a finite decimal that fits (pg's NaN).
 */
export function decimalData(a: Arrow, type: A.Decimal, col: ColumnData): A.Data<A.Decimal> | undefined {
  const words = new Uint32Array(col.length * 4)
  if (!decimalWords(col, type.scale, type.precision, words)) return undefined
  return a.makeData({ type, length: col.length, nullCount: col.nullCount, nullBitmap: validity(col), data: words })
}

/** Rows per block of decimalWords (see there). */
const DECIMAL_BLOCK = 64

/**
 * Fills `words` with the column's decimals; false at a value that does not fit. Text comes in
 * blocks of rows, each first only looked at (textUnits, see packUtf8: the driver's strings lie
 * scattered through the heap, and a loop that only touches them overlaps their cache misses, which
 * the parse cannot), then parsed. The loop is the last thing here: V8 compiles a long loop on the
 * stack while it runs, and that code deoptimized on every call at a statement after the loop it had
 * never seen run.
 */
function decimalWords(col: ColumnData, scale: number, precision: number, words: Uint32Array): boolean {
  const length = col.length
  const values = col.storage.kind === 'any' ? col.storage.values : undefined
  for (let from = 0; from < length; from += DECIMAL_BLOCK) {
    const to = Math.min(length, from + DECIMAL_BLOCK)
    if (values) _touched = textUnits(values, from, to)
    if (!decimalBlock(col, scale, precision, words, from, to)) return false
  }
  return true
}

/** The last result of textUnits in decimalWords, kept so the compiler cannot drop its reads as unused. */
let _touched = 0

/** Rows `from` to `to` of decimalWords; false at a value that does not fit. */
function decimalBlock(
  col: ColumnData,
  scale: number,
  precision: number,
  words: Uint32Array,
  from: number,
  to: number,
): boolean {
  const s = col.storage
  const values = s.kind === 'any' ? s.values : undefined
  const numbers = s.kind === 'f64' ? s.values : undefined
  for (let i = from; i < to; i++) {
    if (isNullAt(col, i)) continue
    let scaled = numbers ? scaledNumber(numbers[i]!, scale, precision) : Number.NaN
    let text = ''
    if (Number.isNaN(scaled)) {
      const raw = values ? values[i] : valueAt(col, i)
      text = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'bigint' ? String(raw) : ''
      scaled = scaledDecimal(text, scale, precision)
    }
    if (!Number.isNaN(scaled)) {
      // Not NaN: an exact integer below 10^15, written without a regular expression or BigInt.
      const w = i * 4
      words[w] = scaled >>> 0
      words[w + 1] = Math.floor(scaled / TWO_32) >>> 0
      words[w + 2] = words[w + 3] = scaled < 0 ? 0xffffffff : 0
      continue
    }
    const m = DECIMAL_TEXT.exec(text)
    if (!m || (m[2] === '' && !m[3])) return false
    const frac = m[3] ?? ''
    if (frac.length > scale && !/^0*$/.test(frac.slice(scale))) return false
    const digits = (m[2]! + frac.slice(0, scale).padEnd(scale, '0')).replace(/^0+(?=\d)/, '')
    if (digits.length > precision) return false
    const negative = m[1] === '-'
    const w = i * 4
    if (digits.length <= 15) {
      const n = negative ? -Number(digits) : Number(digits)
      words[w] = n >>> 0
      const hi = Math.floor(n / TWO_32)
      words[w + 1] = hi >>> 0
      words[w + 2] = words[w + 3] = n < 0 ? 0xffffffff : 0
    } else {
      let big = BigInt(digits)
      if (negative) big = (1n << 128n) - big
      for (let k = 0; k < 4; k++) {
        words[w + k] = Number(big & 0xffffffffn)
        big >>= 32n
      }
    }
  }
  return true
}
