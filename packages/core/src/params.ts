import type { CompiledSql, Placeholder } from './contract.js'
import { ParameterError } from './errors.js'

export type { CompiledSql, Placeholder } from './contract.js'

const NAME_START = /[A-Za-z_]/
const NAME_PART = /[A-Za-z0-9_]/

/**
 * Rewrites Streamlit-style `:name` placeholders to the dialect's positional ones and orders the
 * values to match. Quoted strings and identifiers, comments, dollar-quoted bodies and `::type`
 * casts are left alone, so `':x'`, `-- :x` and `a::text` are not placeholders.
 */
export function compileNamed(
  sql: string,
  params: Readonly<Record<string, unknown>>,
  placeholder: Placeholder,
  backslashEscapes = false,
): CompiledSql {
  const parameters: unknown[] = []
  let out = ''
  let i = 0
  let last = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]!
    if (c === "'" || c === '"' || c === '`') {
      // PostgreSQL's E'...' strings take backslash escapes even where plain strings do not.
      const escapeString = c === "'" && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !NAME_PART.test(sql[i - 2] ?? '')
      i = skipQuoted(sql, i, c, backslashEscapes || escapeString)
    } else if ((c === '-' && sql[i + 1] === '-') || (c === '#' && backslashEscapes)) {
      // `--` comments, and MySQL's `#` comments.
      const end = sql.indexOf('\n', i)
      i = end < 0 ? n : end
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 2
    } else if (
      c === '$' &&
      /\d/.test(sql[i + 1] ?? '') &&
      (i === 0 || !NAME_PART.test(sql[i - 1]!)) &&
      placeholder(0) === '$1'
    ) {
      throw new ParameterError(
        'INVALID_PARAMETERS',
        'The query mixes positional $n placeholders with :name ones; with params as an object use only :name.',
      )
    } else if (c === '$' && (i === 0 || !NAME_PART.test(sql[i - 1]!))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length)
        i = end < 0 ? n : end + tag[0].length
      } else i++
    } else if (c === ':' && sql[i + 1] === ':') {
      i += 2
    } else if (c === ':' && NAME_START.test(sql[i + 1] ?? '') && (i === 0 || sql[i - 1] !== ':')) {
      let j = i + 1
      while (j < n && NAME_PART.test(sql[j]!)) j++
      const name = sql.slice(i + 1, j)
      if (!Object.hasOwn(params, name)) {
        const given = Object.keys(params)
        throw new ParameterError(
          'MISSING_PARAMETER',
          `The query uses :${name} but params has no "${name}"${given.length ? ` (it has ${given.join(', ')})` : ''}.`,
          name,
        )
      }
      out += sql.slice(last, i) + placeholder(parameters.length)
      parameters.push(params[name])
      i = j
      last = j
    } else {
      i++
    }
  }
  return { sql: out + sql.slice(last), parameters }
}

function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2
      else return i + 1
    } else if (backslashEscapes && sql[i] === '\\' && quote !== '`') {
      // MySQL's backslash escapes inside strings.
      i += 2
    } else i++
  }
  return i
}
