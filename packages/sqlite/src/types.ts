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
