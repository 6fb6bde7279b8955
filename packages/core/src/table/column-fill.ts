import type { ColumnBuffers, Put } from './column-buffers.js'

/**
 * The fill loops of appendColumnTo, one per common append path: the path's checks and stores inlined
 * in a loop of its own (a call through `put` per value cost as much as the store). Each returns the
 * row of the first value its path does not take, or `to`. Nulls are appended in place.
 */

/** Numbers into the float64 storage. */
export function fillF64(
  b: ColumnBuffers,
  rows: readonly ArrayLike<unknown>[],
  j: number,
  r: number,
  to: number,
): number {
  let f64 = b.f64!
  let i = b.length
  for (; r < to; r++) {
    const value = rows[r]![j]
    if (typeof value === 'number') {
      if (i === b.capacity) {
        b.grow()
        f64 = b.f64!
      }
      f64[i++] = value
    } else if (value === null || value === undefined) {
      b.appendNull(i++)
      f64 = b.f64!
    } else break
  }
  b.length = i
  return r
}

/** Dates into the epoch-milliseconds storage. */
export function fillDate(
  b: ColumnBuffers,
  rows: readonly ArrayLike<unknown>[],
  j: number,
  r: number,
  to: number,
): number {
  let f64 = b.f64!
  let i = b.length
  for (; r < to; r++) {
    const value = rows[r]![j]
    if (value instanceof Date) {
      if (i === b.capacity) {
        b.grow()
        f64 = b.f64!
      }
      f64[i++] = value.getTime()
    } else if (value === null || value === undefined) {
      b.appendNull(i++)
      f64 = b.f64!
    } else break
  }
  b.length = i
  return r
}

/** Plain JS values: takes every value. */
export function fillAny(
  b: ColumnBuffers,
  rows: readonly ArrayLike<unknown>[],
  j: number,
  r: number,
  to: number,
): number {
  const values = b.values!
  let i = b.length
  for (; r < to; r++) {
    const value = rows[r]![j]
    if (value === null || value === undefined) {
      b.appendNull(i++)
      continue
    }
    // Capacity tracks the null bitmap's size, which grows with it.
    if (i === b.capacity) b.grow()
    values[i++] = value
  }
  b.length = i
  return r
}

/** JSON text, kept as strings. */
export function fillJson(
  b: ColumnBuffers,
  rows: readonly ArrayLike<unknown>[],
  j: number,
  r: number,
  to: number,
): number {
  const values = b.values!
  let i = b.length
  for (; r < to; r++) {
    const value = rows[r]![j]
    if (typeof value === 'string') {
      if (i === b.capacity) b.grow()
      values[i++] = value
    } else if (value === null || value === undefined) {
      b.appendNull(i++)
    } else break
  }
  b.length = i
  return r
}

/** Buffers (or plain Uint8Arrays, whichever the column started with) into the packed bytes. */
export function fillBin(
  b: ColumnBuffers,
  rows: readonly ArrayLike<unknown>[],
  j: number,
  r: number,
  to: number,
): number {
  const isBuffer = b.isBuffer
  for (; r < to; r++) {
    const value = rows[r]![j]
    if (value instanceof Uint8Array && Buffer.isBuffer(value) === isBuffer) {
      const i = b.length
      if (i === b.capacity) b.grow()
      b.appendBytes(i, value)
    } else if (value === null || value === undefined) {
      b.appendNull(b.length)
    } else break
  }
  return r
}

/** Any other path, through `put`: returns at the first value it does not take. */
export function fillPut(
  b: ColumnBuffers,
  put: Put,
  rows: readonly ArrayLike<unknown>[],
  j: number,
  r: number,
  to: number,
): number {
  for (; r < to; r++) {
    const value = rows[r]![j]
    if (value === null || value === undefined) b.appendNull(b.length)
    else if (!put(b, value)) break
  }
  return r
}
