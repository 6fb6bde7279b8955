import path from 'node:path'
import { ConfigError, type ConfigLayer, type FileUrlForm, fileFromUrl, type NativeContext } from '@sqlconn/core'

/** True for a duckdb: URL (duckdb_engine's SQLAlchemy form). */
export function isDuckDBUrl(url: string): boolean {
  return /^duckdb:/i.test(url.trim())
}

/** `DATABASE_URL` when it is a duckdb: URL; DuckDB itself reads no environment variables for this. */
export function duckdbNativeConfig({ env }: NativeContext): ConfigLayer {
  const url = env.DATABASE_URL
  if (url && isDuckDBUrl(url)) return { kind: 'native', values: { url }, origins: { url: 'env DATABASE_URL' } }
  return { kind: 'native', values: {} }
}

/** MotherDuck databases (`md:`, `motherduck:`) need the network and a token: not what this adapter opens. */
export function assertLocal(file: string, option: string): void {
  if (/^(md|motherduck):/i.test(file)) {
    throw new ConfigError(
      'INVALID_OPTION',
      option,
      `"${file.split('?')[0]}" is a MotherDuck database. @sqlconn/duckdb opens local files and ":memory:" only ` +
        '(MotherDuck needs the network and a token, which is out of its scope): give a local path.',
    )
  }
}

/** duckdb_engine's SQLAlchemy URLs. */
const DUCKDB_URL: FileUrlForm = {
  scheme: /^duckdb:\/\//i,
  server: 'DuckDB',
  forms: 'duckdb:///relative.db, duckdb:////absolute.db or duckdb:///:memory:',
  queryAdvice: 'give DuckDB settings as options (threads = 4, access_mode = "READ_ONLY")',
  example: 'duckdb:///path.db',
  check: (file) => assertLocal(file, 'url'),
}

/**
 * The file a duckdb_engine URL names, as Streamlit users write it: `duckdb:///relative.db`
 * (relative to the working directory), `duckdb:////absolute.db`, and `duckdb:///:memory:` or
 * `duckdb://` for an in-memory database.
 */
export function pathFromUrl(url: string, cwd = process.cwd()): string {
  return fileFromUrl(url, DUCKDB_URL, cwd)
}

/** A `path` as DuckDB is given it: absolute, so `config` shows the file opened and the instance cache keys on it. */
export function absolutePath(file: string, cwd = process.cwd()): string {
  assertLocal(file, 'path')
  if (file === ':memory:' || file === '' || file.startsWith(':memory:')) return file === '' ? ':memory:' : file
  return path.resolve(cwd, file)
}
