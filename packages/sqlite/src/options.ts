import type { OptionSpec } from '@sqlconn/core'

/** The options SQLite connections take: better-sqlite3's own names, plus `url`. */
export const SQLITE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'filename',
    type: 'string',
    aliases: ['database'],
    group: 'path',
    required: { unless: ['url'] },
    description: 'Path of the database file (relative to the working directory), or ":memory:".',
  },
  {
    name: 'url',
    type: 'string',
    group: 'path',
    description: 'SQLAlchemy-style URL: sqlite:///relative.db, sqlite:////absolute.db, sqlite:// for memory.',
    native: ['DATABASE_URL (sqlite: URLs)'],
  },
  { name: 'readonly', type: 'boolean', default: false, description: 'Open the database read-only.' },
  { name: 'fileMustExist', type: 'boolean', default: false, description: 'Fail instead of creating a missing file.' },
  {
    name: 'timeout',
    type: 'number',
    default: 5000,
    description: 'Milliseconds to wait on a locked database before SQLITE_BUSY.',
  },
  {
    name: 'safeIntegers',
    type: 'boolean',
    default: false,
    description: 'Read INTEGER values as bigint (better-sqlite3 defaultSafeIntegers).',
  },
  {
    name: 'pragmas',
    type: 'object',
    description: 'PRAGMAs run on open, e.g. { journal_mode: "wal", foreign_keys: "on" }.',
  },
  {
    name: 'verbose',
    type: 'any',
    description: 'A function better-sqlite3 calls with every SQL statement it runs, e.g. console.log.',
  },
  {
    name: 'nativeBinding',
    type: 'any',
    description: "better-sqlite3's .node addon, when bundled: its path, or the addon object itself.",
  },
]
