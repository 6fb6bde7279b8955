import type { FieldInit } from '@sqlconn/core'
import { fieldInits, isJson, isMariadbJson, type MysqlField, type ReadOptions } from './types.js'

/** What a result's column definitions make of it, worked out once per set of definitions. */
export interface Shape {
  /** The columns for core's TableBuilder (shared by every table of this shape; nothing changes them). */
  readonly inits: readonly FieldInit[]
  /** JSON columns are read as their text (sqlconn's typeCast-free JSON path, see ResultReader). */
  readonly jsonText: boolean
  /** Indexes of MariaDB JSON columns, whose `json` mark is taken off so mysql2 reads them as text. */
  readonly mariadbJson: readonly number[]
  /** True when a MySQL JSON column needs the jsonAsText typeCast. */
  readonly jsonTypeCast: boolean
}

interface Entry {
  readonly shape: Shape
  /** Whether the query's own typeCast left JSON to sqlconn when the shape was made. */
  readonly typeCastFree: boolean
  /** Every definition value `fieldInits()` reads, column after column (see `sameDefinitions`). */
  readonly definitions: readonly unknown[]
}

/** Values kept per column to recognise a set of definitions: see `definitionsOf`. */
const PER_COLUMN = 8

/** Sets of column definitions a connection remembers; past this the oldest is forgotten. */
const MAX_SHAPES = 256

/** The definition values `fieldInits()` and the JSON handling read (the encoding follows the character set). */
function definitionsOf(fields: readonly MysqlField[]): unknown[] {
  const out = new Array<unknown>(fields.length * PER_COLUMN)
  for (let j = 0; j < fields.length; j++) {
    const f = fields[j]!
    const at = j * PER_COLUMN
    out[at] = f.name
    out[at + 1] = f.columnType
    out[at + 2] = f.flags
    out[at + 3] = f.characterSet
    out[at + 4] = f.columnLength
    out[at + 5] = f.decimals
    out[at + 6] = f.extendedTypeName
    out[at + 7] = f.extendedFormat
  }
  return out
}

function sameDefinitions(fields: readonly MysqlField[], definitions: readonly unknown[]): boolean {
  if (definitions.length !== fields.length * PER_COLUMN) return false
  for (let j = 0; j < fields.length; j++) {
    const f = fields[j]!
    const at = j * PER_COLUMN
    if (
      definitions[at] !== f.name ||
      definitions[at + 1] !== f.columnType ||
      definitions[at + 2] !== f.flags ||
      definitions[at + 3] !== f.characterSet ||
      definitions[at + 4] !== f.columnLength ||
      definitions[at + 5] !== f.decimals ||
      definitions[at + 6] !== f.extendedTypeName ||
      definitions[at + 7] !== f.extendedFormat
    ) {
      return false
    }
  }
  return true
}

/** A cheap hash of the definitions: the type codes, flags and sizes and the names' lengths and ends. */
function hashOf(fields: readonly MysqlField[]): number {
  let h = fields.length
  for (let j = 0; j < fields.length; j++) {
    const f = fields[j]!
    const name = f.name
    h = Math.imul(h ^ (f.columnType | (f.characterSet << 8) | (f.decimals << 24)), 0x9e3779b1)
    h = Math.imul(h ^ f.flags ^ (f.columnLength << 16), 0x85ebca6b)
    h = Math.imul(h ^ name.length ^ (name.charCodeAt(0) << 8) ^ (name.charCodeAt(name.length - 1) << 16), 0xc2b2ae35)
    if (f.extendedTypeName !== undefined || f.extendedFormat !== undefined) h ^= 0x5bd1e995
  }
  return h
}

/**
 * The shapes of the results a connection has read, by their column definitions. mysql2 parses the
 * definitions afresh for every query, but an application runs the same few queries again and again:
 * the types, type names and decode of each column (`fieldInits()`) are worked out once per set of
 * definitions instead of once per query. A hit is checked value by value against the definitions
 * it was made from, so a changed column (an ALTER TABLE between two reads) makes a new shape.
 */
export class ShapeCache {
  readonly #entries = new Map<number, Entry>()
  readonly #read: ReadOptions

  /** @param read how values are held, from the connection's options (`jsonAsText`: sqlconn's JSON path may be taken) */
  constructor(read: ReadOptions) {
    this.#read = read
  }

  /**
   * The shape of a result with these column definitions, as read by a query whose own typeCast
   * leaves JSON to sqlconn (`typeCastFree`) or not. Read before the definitions are changed.
   */
  shapeOf(fields: readonly MysqlField[], typeCastFree: boolean): Shape {
    const hash = hashOf(fields)
    const hit = this.#entries.get(hash)
    if (hit !== undefined && hit.typeCastFree === typeCastFree && sameDefinitions(fields, hit.definitions)) {
      return hit.shape
    }
    const jsonText = this.#read.jsonAsText && typeCastFree && fields.some(isJson)
    const mariadbJson: number[] = []
    if (jsonText) for (let j = 0; j < fields.length; j++) if (isMariadbJson(fields[j]!)) mariadbJson.push(j)
    const shape: Shape = {
      inits: fieldInits(fields, { jsonAsText: jsonText, bigintAsText: this.#read.bigintAsText }),
      jsonText,
      mariadbJson,
      // MariaDB's JSON needs only its mark taken off; MySQL's JSON type needs the typeCast.
      jsonTypeCast: jsonText && fields.some((f, j) => isJson(f) && !mariadbJson.includes(j)),
    }
    if (hit === undefined && this.#entries.size >= MAX_SHAPES) {
      this.#entries.delete(this.#entries.keys().next().value!)
    }
    this.#entries.set(hash, { shape, typeCastFree, definitions: definitionsOf(fields) })
    return shape
  }
}
