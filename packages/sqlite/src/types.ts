import type { LogicalType } from '@sqlconn/core'

/**
 * The logical type of a declared SQLite column type, after SQLite's affinity rules
 * (https://sqlite.org/datatype3.html#determination_of_column_affinity) with the common names
 * applications declare (BOOLEAN, DATETIME, JSON) recognised first. `undefined` (no declared
 * type: an expression) lets the values decide.
 */
export function logicalType(declared: string | null): LogicalType | undefined {
  if (!declared) return undefined
  const t = declared.toUpperCase()
  if (t.startsWith('BOOL')) return 'bool'
  if (t.startsWith('DATETIME') || t.startsWith('TIMESTAMP')) return 'timestamp'
  if (t === 'DATE') return 'date'
  if (t === 'TIME') return 'time'
  if (t.startsWith('JSON')) return 'json'
  if (t === 'UUID') return 'uuid'
  if (t.includes('INT')) return 'int64'
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'utf8'
  if (t.includes('BLOB')) return 'binary'
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'float64'
  if (t.includes('DECIMAL') || t.includes('NUMERIC')) return 'decimal'
  return undefined
}

/**
 * Precision and scale from a declared `DECIMAL(p,s)` or `NUMERIC(p,s)` (`DECIMAL(p)` is scale 0),
 * or undefined for any other declaration. SQLite itself ignores the size (the values are stored as
 * integers, reals or text); the schema carries it because the application declared it.
 */
export function decimalSize(declared: string | null): { precision: number; scale: number } | undefined {
  if (!declared) return undefined
  const m = /^\s*(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*$/i.exec(declared)
  if (!m) return undefined
  const precision = Number(m[1])
  const scale = m[2] === undefined ? 0 : Number(m[2])
  return precision >= 1 && scale <= precision ? { precision, scale } : undefined
}
