import type { FieldInit, LogicalType } from '@sqlconn/core'

/** What mysql2 tells about a result column (its `ColumnDefinition`). */
export interface MysqlField {
  readonly name: string
  readonly columnType: number
  readonly flags: number
  readonly characterSet: number
  readonly columnLength: number
  readonly decimals: number
  /** MariaDB's extended metadata: `uuid`, `inet4`, `inet6`, `point`, ... */
  readonly extendedTypeName?: string
  /** MariaDB's extended metadata: `json` for JSON columns (sent as LONGTEXT). */
  readonly extendedFormat?: string
  /** The Node encoding of the column's character set (mysql2's ColumnDefinition). */
  readonly encoding?: string
}

/** MySQL protocol column type codes (mysql2's `Types`). */
const T = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  NULL: 0x06,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  VECTOR: 0xf2,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const

const NOT_NULL = 1
const UNSIGNED = 32
const ENUM_FLAG = 256
const SET_FLAG = 2048
/** The `binary` pseudo character set: bytes, not text. */
const BINARY_CHARSET = 63

/** How the values of a column are read (see `FieldInit.decode`) under the connection's options. */
export interface ReadOptions {
  /** JSON arrives as text (jsonStrings, or sqlconn's own reader) and is parsed when read. */
  jsonAsText: boolean
  /** BIGINT arrives as decimal text (supportBigNumbers + bigNumberStrings). */
  bigintAsText: boolean
}

/** True for a JSON column: MySQL's JSON type, or MariaDB's LONGTEXT marked `json`. */
export function isJson(f: MysqlField): boolean {
  return f.columnType === T.JSON || f.extendedFormat === 'json'
}

/** MariaDB's JSON: UTF-8 LONGTEXT that only its extended metadata marks `json` (MySQL's has a type of its own). */
export function isMariadbJson(f: MysqlField): boolean {
  return f.columnType !== T.JSON && f.extendedFormat === 'json' && f.encoding === 'utf8'
}

function isText(type: number): boolean {
  return (
    type === T.STRING ||
    type === T.VAR_STRING ||
    type === T.VARCHAR ||
    type === T.BLOB ||
    type === T.TINY_BLOB ||
    type === T.MEDIUM_BLOB ||
    type === T.LONG_BLOB
  )
}

/** The logical type of a result column, from its type code, flags and character set. */
export function logicalType(f: MysqlField): LogicalType {
  const unsigned = (f.flags & UNSIGNED) !== 0
  if (isJson(f)) return 'json'
  if (f.extendedTypeName === 'uuid') return 'uuid'
  switch (f.columnType) {
    case T.TINY:
      if (f.columnLength === 1) return 'bool'
      return unsigned ? 'uint8' : 'int8'
    case T.SHORT:
      return unsigned ? 'uint16' : 'int16'
    case T.INT24:
    case T.LONG:
      return unsigned ? 'uint32' : 'int32'
    case T.LONGLONG:
      return unsigned ? 'uint64' : 'int64'
    case T.YEAR:
      return 'uint16'
    case T.FLOAT:
      return 'float32'
    case T.DOUBLE:
      return 'float64'
    case T.DECIMAL:
    case T.NEWDECIMAL:
      return 'decimal'
    case T.DATE:
    case T.NEWDATE:
      return 'date'
    case T.DATETIME:
      return 'timestamp'
    case T.TIMESTAMP:
      return 'timestamptz'
    case T.TIME:
      return 'time'
    case T.BIT:
      return 'binary'
    case T.NULL:
      return 'null'
    case T.ENUM:
    case T.SET:
      return 'utf8'
    case T.VECTOR:
      return 'list'
    case T.GEOMETRY:
      return 'unknown'
    default:
      if (isText(f.columnType)) return f.characterSet === BINARY_CHARSET ? 'binary' : 'utf8'
      return 'unknown'
  }
}

const INTEGER_NAMES: Readonly<Record<number, string>> = {
  [T.TINY]: 'TINYINT',
  [T.SHORT]: 'SMALLINT',
  [T.INT24]: 'MEDIUMINT',
  [T.LONG]: 'INT',
  [T.LONGLONG]: 'BIGINT',
}

function blobName(f: MysqlField, binary: boolean): string {
  // The server sends every BLOB/TEXT as BLOB; its length (in bytes, up to 4 per character) tells which.
  const n = f.columnLength
  const per = binary ? 1 : 4
  const size = n <= 255 * per ? 'TINY' : n <= 65_535 * per ? '' : n <= 16_777_215 * per ? 'MEDIUM' : 'LONG'
  return `${size}${binary ? 'BLOB' : 'TEXT'}`
}

/** A DECIMAL column's precision: mysql2's `columnLength` counts the digits, a sign and a decimal point. */
function decimalPrecision(f: MysqlField): number {
  return f.columnLength - (f.decimals > 0 ? 1 : 0) - ((f.flags & UNSIGNED) !== 0 ? 0 : 1)
}

/**
 * Precision and scale of a DECIMAL(p,s) result column, or undefined when the server sent no usable
 * size (MySQL allows up to DECIMAL(65,30); 31 and above as `decimals` means "not fixed").
 */
export function decimalSize(f: MysqlField): { precision: number; scale: number } | undefined {
  if (f.columnType !== T.NEWDECIMAL && f.columnType !== T.DECIMAL) return undefined
  const precision = decimalPrecision(f)
  const scale = f.decimals
  if (precision < 1 || precision > 65 || scale < 0 || scale > 30 || scale > precision) return undefined
  return { precision, scale }
}

/** The MySQL type name of a result column, as `SHOW COLUMNS` would spell it (without lengths). */
export function mysqlTypeName(f: MysqlField): string {
  const unsigned = (f.flags & UNSIGNED) !== 0 ? ' UNSIGNED' : ''
  const binary = f.characterSet === BINARY_CHARSET
  if (f.columnType === T.JSON || f.extendedFormat === 'json') return 'JSON'
  if (f.extendedTypeName) return f.extendedTypeName.toUpperCase()
  switch (f.columnType) {
    case T.TINY:
      return f.columnLength === 1 ? `TINYINT(1)${unsigned}` : `TINYINT${unsigned}`
    case T.SHORT:
    case T.INT24:
    case T.LONG:
    case T.LONGLONG:
      return `${INTEGER_NAMES[f.columnType]}${unsigned}`
    case T.FLOAT:
      return `FLOAT${unsigned}`
    case T.DOUBLE:
      return `DOUBLE${unsigned}`
    case T.DECIMAL:
    case T.NEWDECIMAL:
      return `DECIMAL(${decimalPrecision(f)},${f.decimals})${unsigned}`
    case T.DATE:
    case T.NEWDATE:
      return 'DATE'
    case T.DATETIME:
      return 'DATETIME'
    case T.TIMESTAMP:
      return 'TIMESTAMP'
    case T.TIME:
      return 'TIME'
    case T.YEAR:
      return 'YEAR'
    case T.BIT:
      return `BIT(${f.columnLength})`
    case T.NULL:
      return 'NULL'
    case T.ENUM:
      return 'ENUM'
    case T.SET:
      return 'SET'
    case T.VECTOR:
      return 'VECTOR'
    case T.GEOMETRY:
      return 'GEOMETRY'
    case T.STRING:
      if (f.flags & ENUM_FLAG) return 'ENUM'
      if (f.flags & SET_FLAG) return 'SET'
      return binary ? 'BINARY' : 'CHAR'
    case T.VAR_STRING:
    case T.VARCHAR:
      return binary ? 'VARBINARY' : 'VARCHAR'
    case T.BLOB:
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
      return blobName(f, binary)
    default:
      return `TYPE ${f.columnType}`
  }
}

/** The columns of a result for core's TableBuilder. */
export function fieldInits(fields: readonly MysqlField[], read: ReadOptions): FieldInit[] {
  return fields.map((f) => {
    const init: FieldInit = {
      name: f.name,
      type: logicalType(f),
      nullable: (f.flags & NOT_NULL) === 0,
      dbType: mysqlTypeName(f),
    }
    const size = decimalSize(f)
    if (size) {
      init.precision = size.precision
      init.scale = size.scale
    }
    if (read.jsonAsText && isJson(f)) init.decode = 'json'
    else if (read.bigintAsText && f.columnType === T.LONGLONG) init.decode = 'int64-text'
    return init
  })
}
