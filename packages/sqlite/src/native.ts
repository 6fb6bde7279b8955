import path from 'node:path'
import { type ConfigLayer, type FileUrlForm, fileFromUrl, type NativeContext } from '@sqlconn/core'

/** SQLAlchemy's SQLite URLs, with or without a driver (`sqlite+pysqlite:`). */
const SQLITE_URL: FileUrlForm = {
  scheme: /^sqlite(?:\+[a-z0-9]+)?:\/\//i,
  server: 'SQLite',
  forms: 'sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:// (in memory)',
  queryAdvice: 'use the readonly, fileMustExist and timeout options instead',
  example: 'sqlite:///path.db',
}

/** `DATABASE_URL` when it is a sqlite: URL; SQLite itself reads no configuration of its own. */
export function sqliteNativeConfig({ env }: NativeContext): ConfigLayer {
  const url = env.DATABASE_URL
  if (url && /^sqlite(\+[a-z0-9]+)?:/i.test(url)) {
    return { kind: 'native', values: { url }, origins: { url: 'env DATABASE_URL' } }
  }
  return { kind: 'native', values: {} }
}

/**
 * The file a SQLAlchemy-style SQLite URL names, as Streamlit users write it:
 * `sqlite:///relative/path.db` (relative to the working directory), `sqlite:////absolute/path.db`,
 * and `sqlite://` or `sqlite:///:memory:` for an in-memory database.
 */
export function filenameFromUrl(url: string, cwd = process.cwd()): string {
  return fileFromUrl(url, SQLITE_URL, cwd)
}

/** A `filename` as better-sqlite3 is given it: absolute, so `config` shows the file opened (":memory:" as it is). */
export function absoluteFilename(file: string): string {
  return file === ':memory:' || file === '' ? file : path.resolve(file)
}
