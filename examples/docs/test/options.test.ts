import { readFileSync } from 'node:fs'
import { missingOptionRows, type OptionSpec } from '@sqlconn/core'
import { MysqlConnection } from '@sqlconn/mysql'
import { PostgresConnection } from '@sqlconn/postgres'
import { SqliteConnection } from '@sqlconn/sqlite'
import { describe, expect, it } from 'vitest'

/** Each adapter doc and the options it declares. DuckDB's doc lists a subset; packages/duckdb/test/docs.test.ts checks it. */
const ADAPTERS: [doc: string, options: readonly OptionSpec[]][] = [
  ['docs/sqlite.md', SqliteConnection.options],
  ['docs/postgres.md', PostgresConnection.options],
  ['docs/mysql.md', MysqlConnection.options],
]

describe('the options tables of the adapter docs', () => {
  for (const [doc, options] of ADAPTERS) {
    it(`${doc} lists every option as the adapter declares it`, () => {
      const text = readFileSync(new URL(`../../../${doc}`, import.meta.url), 'utf8')
      expect(missingOptionRows(text, options), 'regenerate the table with optionsTable()').toEqual([])
    })
  }
})
