import { ParameterError } from '../errors.js'
import { type CompiledSql, compileNamed, type Placeholder } from '../params.js'
import type { RowTable } from '../table/table.js'
import type { Compilable, Params } from './options.js'

/**
 * The query argument and params as SQL text with the dialect's placeholders: a Kysely query is
 * compiled on `db()` (its own parameters win), an array passes through, an object fills `:name`s.
 */
export function compileQuery(
  query: string | Compilable,
  params: Params | undefined,
  db: () => unknown,
  placeholder: Placeholder,
  backslashEscapes: boolean,
): CompiledSql {
  if (typeof query !== 'string') {
    if (query === null || typeof (query as Compilable)?.compile !== 'function') {
      throw new ParameterError(
        'INVALID_PARAMETERS',
        'query() takes SQL text, a Kysely `sql` template or a Kysely query builder.',
      )
    }
    const c = query.compile(db())
    return { sql: c.sql, parameters: c.parameters }
  }
  if (params === undefined) return { sql: query, parameters: [] }
  if (Array.isArray(params)) return { sql: query, parameters: params }
  if (typeof params === 'object' && params !== null && Object.getPrototypeOf(params) === Object.prototype) {
    return compileNamed(query, params as Record<string, unknown>, placeholder, backslashEscapes)
  }
  throw new ParameterError(
    'INVALID_PARAMETERS',
    `params must be an array (for ${placeholder(0)} placeholders) or a plain object (for :name placeholders).`,
  )
}

/** `table` with `indexCol` moved first and recorded as the index in the schema's metadata. */
export function withIndex(table: RowTable, indexCol: string): RowTable {
  const names = table.schema.fields.map((f) => f.name)
  if (!names.includes(indexCol)) {
    throw new ParameterError(
      'INVALID_PARAMETERS',
      `indexCol "${indexCol}" is not a column of the result; its columns are ${names.join(', ')}.`,
      'indexCol',
    )
  }
  const metadata = new Map(table.schema.metadata)
  metadata.set('index', indexCol)
  // By position, not name: a result may repeat a column name.
  const at = names.indexOf(indexCol)
  return table.withMetadata(metadata, [at, ...names.map((_, j) => j).filter((j) => j !== at)])
}
