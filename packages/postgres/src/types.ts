import { createRequire } from 'node:module'
import type { Decode, FieldInit, LogicalType } from '@sqlconn/core'
import pg from 'pg'

/** Something with pg's `getTypeParser(oid, format)`: `pg.types`, a `TypeOverrides`, the `types` option. */
export interface TypeSource {
  getTypeParser(oid: number, format?: string): (value: string) => unknown
}

/** A built-in type: its PostgreSQL name (`typname`, arrays as `name[]`) and logical type. */
interface TypeInfo {
  readonly name: string
  readonly type: LogicalType
}

// oid, typname, logical type. Array types are listed by their element's oid below.
const SCALARS: readonly (readonly [number, string, LogicalType])[] = [
  [16, 'bool', 'bool'],
  [17, 'bytea', 'binary'],
  [18, 'char', 'utf8'],
  [19, 'name', 'utf8'],
  [20, 'int8', 'int64'],
  [21, 'int2', 'int16'],
  [23, 'int4', 'int32'],
  [24, 'regproc', 'utf8'],
  [25, 'text', 'utf8'],
  [26, 'oid', 'uint32'],
  [28, 'xid', 'utf8'],
  [114, 'json', 'json'],
  [142, 'xml', 'utf8'],
  [600, 'point', 'unknown'],
  [601, 'lseg', 'utf8'],
  [602, 'path', 'utf8'],
  [603, 'box', 'utf8'],
  [604, 'polygon', 'utf8'],
  [628, 'line', 'utf8'],
  [650, 'cidr', 'utf8'],
  [700, 'float4', 'float32'],
  [701, 'float8', 'float64'],
  [705, 'unknown', 'utf8'],
  [718, 'circle', 'unknown'],
  [774, 'macaddr8', 'utf8'],
  [790, 'money', 'utf8'],
  [829, 'macaddr', 'utf8'],
  [869, 'inet', 'utf8'],
  [1042, 'bpchar', 'utf8'],
  [1043, 'varchar', 'utf8'],
  [1082, 'date', 'date'],
  [1083, 'time', 'time'],
  [1114, 'timestamp', 'timestamp'],
  [1184, 'timestamptz', 'timestamptz'],
  [1186, 'interval', 'interval'],
  [1266, 'timetz', 'time'],
  [1560, 'bit', 'utf8'],
  [1562, 'varbit', 'utf8'],
  [1700, 'numeric', 'decimal'],
  [1790, 'refcursor', 'utf8'],
  [2205, 'regclass', 'utf8'],
  [2206, 'regtype', 'utf8'],
  [2249, 'record', 'utf8'],
  [2278, 'void', 'utf8'],
  [2950, 'uuid', 'uuid'],
  [3614, 'tsvector', 'utf8'],
  [3615, 'tsquery', 'utf8'],
  [3802, 'jsonb', 'json'],
  [3904, 'int4range', 'utf8'],
  [3906, 'numrange', 'utf8'],
  [3908, 'tsrange', 'utf8'],
  [3910, 'tstzrange', 'utf8'],
  [3912, 'daterange', 'utf8'],
  [3926, 'int8range', 'utf8'],
  [4072, 'jsonpath', 'utf8'],
  [5069, 'xid8', 'utf8'],
]

// array oid, element oid
const ARRAYS: readonly (readonly [number, number])[] = [
  [1000, 16],
  [1001, 17],
  [1002, 18],
  [1003, 19],
  [1005, 21],
  [1007, 23],
  [1009, 25],
  [1014, 1042],
  [1015, 1043],
  [1016, 20],
  [1017, 600],
  [1021, 700],
  [1022, 701],
  [1028, 26],
  [1040, 829],
  [1041, 869],
  [651, 650],
  [1115, 1114],
  [1182, 1082],
  [1183, 1083],
  [1185, 1184],
  [1187, 1186],
  [1231, 1700],
  [1270, 1266],
  [199, 114],
  [3807, 3802],
  [2951, 2950],
  [791, 790],
  [143, 142],
  [3905, 3904],
  [3907, 3906],
  [3909, 3908],
  [3911, 3910],
  [3913, 3912],
  [3927, 3926],
]

const BUILTIN_TYPES = new Map<number, TypeInfo>()
for (const [oid, name, type] of SCALARS) BUILTIN_TYPES.set(oid, { name, type })
for (const [oid, elem] of ARRAYS) BUILTIN_TYPES.set(oid, { name: `${BUILTIN_TYPES.get(elem)!.name}[]`, type: 'list' })

/**
 * The built-in type behind an oid, or undefined for types created in the database (enums,
 * extensions). Built-in oids are fixed in every PostgreSQL, so they are named without a query.
 */
export function builtinType(oid: number): TypeInfo | undefined {
  return BUILTIN_TYPES.get(oid)
}

/**
 * A type created in the database, as `pg_type` describes it. Its oid differs from database to
 * database, so the connection looks it up once and names the column after it (`dbType`).
 */
export function databaseType(row: { typname: string; typcategory: string; elem: string | null }): TypeInfo {
  if (row.typcategory === 'A' && row.elem) return { name: `${row.elem}[]`, type: 'list' }
  // Enums, composites, ranges and extension types (citext, hstore, vector) read as pg's text.
  return { name: row.typname, type: 'utf8' }
}

// ---------------------------------------------------------------------------------------------
// Cheaper parsers for the values that cost most, used only while pg's own parser is in place.

type Parser = (value: string) => unknown

const JSON_OIDS = [114, 3802]
const DATE_OIDS = [1082, 1114, 1184]

/** pg-types' own text parsers, by oid, from the very module pg registered them from. */
function loadBuiltinParsers(): Map<number, Parser> {
  const out = new Map<number, Parser>()
  try {
    const fromPg = createRequire(createRequire(import.meta.url).resolve('pg'))
    const textParsers = fromPg('pg-types/lib/textParsers') as {
      init(register: (oid: number, p: Parser) => void): void
    }
    textParsers.init((oid, parser) => {
      // json/jsonb are bound anew on every init(); they are recognised by behaviour below.
      if (!JSON_OIDS.includes(oid)) out.set(oid, parser)
    })
  } catch {
    // Another pg-types layout: the parsers in place when this module loaded count as pg's own.
    for (const oid of [20, ...DATE_OIDS]) out.set(oid, pg.types.getTypeParser(oid, 'text') as Parser)
  }
  return out
}

const BUILTIN_PARSERS = loadBuiltinParsers()
const NO_PARSE = (pg.types as unknown as TypeSource).getTypeParser(0x7fffffff, 'text')
const JSON_PROBE = '{"n":12345678901234567890,"d":"2024-01-02T03:04:05Z","a":[1.5e300]}'

/** What `isBuiltinJson` found for each json parser it probed: a probe per query cost about a microsecond. */
const BUILTIN_JSON = new WeakMap<Parser, boolean>()

/** True when `parser` is pg-types' JSON.parse (a user's json-bigint or reviver is not). */
function isBuiltinJson(parser: Parser): boolean {
  let known = BUILTIN_JSON.get(parser)
  if (known === undefined) {
    known = probeJson(parser)
    BUILTIN_JSON.set(parser, known)
  }
  return known
}

function probeJson(parser: Parser): boolean {
  if (parser.name !== 'bound parse') return false
  try {
    const probe = parser(JSON_PROBE) as { n: unknown; d: unknown; a: unknown[] }
    return (
      Object.getPrototypeOf(probe) === Object.prototype &&
      probe.n === Number('12345678901234567890') &&
      probe.d === '2024-01-02T03:04:05Z' &&
      probe.a[0] === 1.5e300
    )
  } catch {
    return false
  }
}

/** True when the parser for `oid` is pg's own default (so sqlconn may read the value more cheaply). */
function isDefaultParser(oid: number, parser: Parser): boolean {
  if (JSON_OIDS.includes(oid)) return isBuiltinJson(parser)
  return BUILTIN_PARSERS.get(oid) === parser
}

/** True when nothing parses `oid` (pg hands over the text as it came). */
function isUnparsed(parser: Parser): boolean {
  return parser === NO_PARSE
}

function num(s: string, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * Milliseconds since the epoch of PostgreSQL's ISO text for date, timestamp and timestamptz,
 * computed exactly as postgres-date (pg's parser) builds its Date: zone-less values in local time,
 * the fraction as `1000 * parseFloat(fraction)`. `undefined` for anything off the common layout
 * (years before 100 or after 9999, BC, infinity, other DateStyles), which goes to pg's own parser.
 */
function epochMs(s: string, withTime: boolean): number | undefined {
  const len = s.length
  if (len < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined
  const year = num(s, 0, 4)
  const month = num(s, 5, 7)
  const day = num(s, 8, 10)
  if (year < 100 || month < 0 || day < 0) return undefined
  if (!withTime) return len === 10 ? new Date(year, month - 1, day).getTime() : undefined
  if (len < 19 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined
  const hour = num(s, 11, 13)
  const minute = num(s, 14, 16)
  const second = num(s, 17, 19)
  if (hour < 0 || minute < 0 || second < 0) return undefined
  let i = 19
  let ms = 0
  if (i < len && s.charCodeAt(i) === 46) {
    let j = i + 1
    while (j < len && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++
    if (j === i + 1) return undefined
    ms = 1000 * Number.parseFloat(s.slice(i, j))
    i = j
  }
  if (i === len) return new Date(year, month - 1, day, hour, minute, second, ms).getTime()
  const sign = s.charCodeAt(i)
  if (sign !== 43 && sign !== 45) return undefined
  const zh = num(s, i + 1, i + 3)
  if (zh < 0 || i + 3 > len) return undefined
  let zm = 0
  let zs = 0
  let j = i + 3
  if (j < len) {
    if (s.charCodeAt(j) !== 58 || j + 3 > len) return undefined
    zm = num(s, j + 1, j + 3)
    if (zm < 0) return undefined
    j += 3
  }
  if (j < len) {
    if (s.charCodeAt(j) !== 58 || j + 3 > len) return undefined
    zs = num(s, j + 1, j + 3)
    if (zs < 0) return undefined
    j += 3
  }
  if (j !== len) return undefined
  const offset = (zh * 3600 + zm * 60 + zs) * 1000 * (sign === 45 ? -1 : 1)
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset
}

const identity = (value: string): string => value

/** The integer types pg-types reads with `parseInt(value, 10)`: int2, int4 and oid. */
const INT_OIDS = [21, 23, 26]

/**
 * `parseInt(value, 10)`, pg's own parser for int2, int4 and oid, digit by digit for the text
 * PostgreSQL sends (an optional minus, at most 10 digits: exact in a Number). V8's parseInt leaves
 * its fast path for any string not yet used as an index, and a call into the runtime cost as much
 * as the rest of reading the value. Anything else goes to parseInt itself, so the result is always
 * the same value (-0 for '-0' included).
 */
function parseSmallInt(value: string): number {
  const len = value.length
  const negative = value.charCodeAt(0) === 45
  let i = negative ? 1 : 0
  if (len - i < 1 || len - i > 10) return Number.parseInt(value, 10)
  let n = 0
  for (; i < len; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) return Number.parseInt(value, 10)
    n = n * 10 + d
  }
  return negative ? -n : n
}

/**
 * The type parsers of one query, handed to pg as its `types`. Building a Date or an object per
 * value costs more than the rest of the read, so where pg's default parser is in place sqlconn
 * takes a cheaper form with a `decode` (json text, epoch milliseconds, int8 text) that reads back
 * as exactly pg's value. A parser the user set (`pg.types.setTypeParser`, the `types` option) is
 * used as it is, so their choice of value always wins. One per query: what it records about the
 * columns (`decodes`, `sawNonDate`) belongs to that result.
 */
export class QueryTypes implements TypeSource {
  /** oids read in a cheaper form, with how they read back */
  readonly decodes = new Map<number, Decode>()
  /** set when a date value went to pg's own parser and came back as no Date (±Infinity) */
  sawNonDate = false

  /**
   * @param base the parsers in force for the pool (the `types` option, else `pg.types`). A new
   * QueryTypes is made per query, so a `setTypeParser` call made after the pool opened still counts.
   */
  constructor(readonly base: TypeSource) {}

  /**
   * Called by pg for each column of the result. Returns pg's own parser unless it is the default
   * one for json, int8 or a date type, in which case the cheaper form is returned and recorded in
   * `decodes` so the table can rebuild pg's value when it is read, or for int2, int4 or oid, whose
   * faster parser gives pg's very value.
   */
  getTypeParser(oid: number, format = 'text'): Parser {
    const parser = this.base.getTypeParser(oid, format) as Parser
    if (format !== 'text' || !isDefaultParser(oid, parser)) return parser
    if (oid === 20) {
      this.decodes.set(oid, 'int64-text')
      return identity
    }
    // The same value as pg's parser, so nothing is recorded to undo when it is read.
    if (INT_OIDS.includes(oid)) return parseSmallInt
    if (oid === 114 || oid === 3802) {
      this.decodes.set(oid, 'json')
      return identity
    }
    if (oid === 1082 || oid === 1114 || oid === 1184) {
      this.decodes.set(oid, 'epoch-ms')
      const withTime = oid !== 1082
      return (value) => {
        const ms = epochMs(value, withTime)
        if (ms !== undefined) return ms
        const v = parser(value)
        if (v instanceof Date) return v.getTime()
        this.sawNonDate = true
        return v
      }
    }
    return parser
  }
}

/** pg's field description, as much of it as sqlconn reads. */
export interface PgField {
  readonly name: string
  readonly dataTypeID: number
  /** The table the column comes from (0 for an expression). */
  readonly tableID?: number
  /** The column's number in that table (`attnum`; 0 for an expression). */
  readonly columnID?: number
  /** The type's modifier (`atttypmod`): precision and scale for numeric; -1 when unconstrained. */
  readonly dataTypeModifier?: number
}

/** NOT NULL columns (their `attnum`s) of the tables a connection has read, by table oid. */
export type NotNullColumns = ReadonlyMap<number, ReadonlySet<number>>

const NUMERIC = 1700

/**
 * Precision and scale of a `numeric(p,s)` column from its typmod, as PostgreSQL's own
 * `numeric_typmod_precision`/`_scale` decode it: `((p << 16) | s) + 4`, the scale an 11-bit signed
 * number (PostgreSQL 15 allows a negative one). Unconstrained numeric (typmod -1) and a negative
 * scale give nothing: the column stays a decimal of no declared size.
 */
export function numericPrecision(typmod: number | undefined): { precision: number; scale: number } | undefined {
  if (typmod === undefined || typmod < 4) return undefined
  const precision = ((typmod - 4) >> 16) & 0xffff
  const scale = ((((typmod - 4) & 0x7ff) ^ 1024) - 1024) | 0
  return precision > 0 && scale >= 0 ? { precision, scale } : undefined
}

function hasNull(rows: readonly unknown[][], j: number): boolean {
  for (const row of rows) if (row[j] === null) return true
  return false
}

/**
 * The columns of a result and how their values read back. When a date column met a value pg gives
 * as no Date (infinity), that column is rewritten to pg's own values and read without a decode.
 *
 * A column is `nullable: false` when it is a NOT NULL column of a table (`notNull`) and none of
 * the values read is null: the outer side of a join names its table's column, NOT NULL or not, and
 * can still hold nulls. Expressions are nullable. `numeric(p,s)` columns carry their precision and scale.
 */
export function fieldsFor(
  fields: readonly PgField[],
  types: QueryTypes,
  names: ReadonlyMap<number, TypeInfo>,
  rows: unknown[][],
  notNull?: NotNullColumns,
): FieldInit[] {
  return fields.map((f, j) => {
    const info = names.get(f.dataTypeID) ?? builtinType(f.dataTypeID)
    let decode = types.decodes.get(f.dataTypeID)
    if (decode === 'epoch-ms' && types.sawNonDate) {
      for (const row of rows) {
        const v = row[j]
        if (typeof v === 'number' && !(v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY)) {
          row[j] = new Date(v)
        }
      }
      decode = undefined
    }
    const unparsed = isUnparsed(types.base.getTypeParser(f.dataTypeID, 'text') as Parser)
    // A type pg has no parser for and sqlconn cannot name still reads as text.
    const type = info?.type ?? (unparsed ? 'utf8' : undefined)
    const declaredNotNull = !!f.tableID && !!f.columnID && notNull?.get(f.tableID)?.has(f.columnID) === true
    const init: FieldInit = {
      name: f.name,
      type,
      nullable: !declaredNotNull || hasNull(rows, j),
      dbType: info?.name,
      decode,
    }
    if (f.dataTypeID === NUMERIC) {
      const size = numericPrecision(f.dataTypeModifier)
      if (size) {
        init.precision = size.precision
        init.scale = size.scale
      }
    }
    return init
  })
}
