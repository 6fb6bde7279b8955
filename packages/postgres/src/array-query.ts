import pg from 'pg'
import type { QueryTypes } from './types.js'

/** pg's Query as sqlconn sets it up; the fields pg's own constructor fills from a config object. */
interface QueryInternals {
  _rowMode?: string
  _result?: unknown
  _results?: unknown
  types?: unknown
}

/**
 * True when pg's Query keeps its row mode and result in the fields `arrayQuery` sets (every pg 8
 * so far). Checked once, on a throwaway query, so another layout falls back to the config object.
 */
export const QUERY_FIELDS_KNOWN = (() => {
  if (typeof pg.Result !== 'function') return false
  const probe = new pg.Query('') as unknown as QueryInternals
  return '_rowMode' in probe && probe._result instanceof pg.Result && probe._results === probe._result
})()

/**
 * pg's Query for `text` and `values` with its rows as arrays read by `types`. Made from the text,
 * pg's cheap path, then given its row mode and result. pg copies a config object through its
 * property descriptors (`cloneQueryConfig`) into an object that is slow to read from then on: about
 * 5 µs of a one-row read, which went from 1.13x to 1.08x the time of `pool.query(text, values)`.
 */
export function arrayQuery(
  text: string,
  values: unknown[],
  types: QueryTypes,
  layoutKnown: boolean = QUERY_FIELDS_KNOWN,
): pg.Query {
  if (!layoutKnown) {
    const config: pg.QueryArrayConfig = {
      text,
      values,
      rowMode: 'array',
      types: types as unknown as pg.CustomTypesConfig,
    }
    return new pg.Query(config)
  }
  const query = new pg.Query(text, values)
  const q = query as unknown as QueryInternals
  q._rowMode = 'array'
  q.types = types
  q._results = q._result = new pg.Result('array', types as unknown as typeof pg.types)
  return query
}
