import path from 'node:path'
import { ConfigError, maskUrlPasswords } from '@sqlconn/core'

/**
 * The file a SQLAlchemy-style SQLite URL names, as Streamlit users write it:
 * `sqlite:///relative/path.db` (relative to the working directory), `sqlite:////absolute/path.db`,
 * and `sqlite://` or `sqlite:///:memory:` for an in-memory database.
 */
export function filenameFromUrl(url: string, cwd = process.cwd()): string {
  const m = /^sqlite(?:\+[a-z0-9]+)?:\/\/([^?#]*)(\?[^#]*)?$/i.exec(url.trim())
  if (!m) {
    throw new ConfigError(
      'INVALID_OPTION',
      'url',
      `"${maskUrlPasswords(url)}" is not a SQLite URL: use sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:// (in memory).`,
    )
  }
  if (m[2]) {
    throw new ConfigError(
      'INVALID_OPTION',
      'url',
      `SQLite URL query parameters (${m[2]}) are not read: use the readonly, fileMustExist and timeout options instead.`,
    )
  }
  const rest = decodeURIComponent(m[1]!)
  if (rest === '' || rest === '/' || rest === '/:memory:') return ':memory:'
  if (!rest.startsWith('/')) {
    throw new ConfigError(
      'INVALID_OPTION',
      'url',
      `"${maskUrlPasswords(url)}" has a host part; SQLite URLs start with three slashes: sqlite:///path.db.`,
    )
  }
  const file = rest.slice(1)
  return path.isAbsolute(file) ? file : path.resolve(cwd, file)
}
