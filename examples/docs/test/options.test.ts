import { readFileSync } from 'node:fs'
import { type OptionSpec, optionsTable } from '@sqlconn/core'
import { MysqlConnection } from '@sqlconn/mysql'
import { PostgresConnection } from '@sqlconn/postgres'
import { SqliteConnection } from '@sqlconn/sqlite'
import { describe, expect, it } from 'vitest'

/** A Markdown table's rows with the cell padding removed, so a reformatted table still compares. */
function rows(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .join('|'),
    )
}

/** The options table of each adapter's doc, as the adapter declares its options (DuckDB's has its own test: it lists a subset). */
const ADAPTERS: [doc: string, options: readonly OptionSpec[]][] = [
  ['docs/sqlite.md', SqliteConnection.options],
  ['docs/postgres.md', PostgresConnection.options],
  ['docs/mysql.md', MysqlConnection.options],
]

describe('the options tables of the adapter docs', () => {
  for (const [doc, options] of ADAPTERS) {
    it(`${doc} lists every option as the adapter declares it`, () => {
      const text = readFileSync(new URL(`../../../${doc}`, import.meta.url), 'utf8')
      const documented = rows(text)
      const missing = rows(optionsTable(options)).filter((row) => !documented.includes(row))
      expect(missing, 'regenerate the table with optionsTable()').toEqual([])
    })
  }
})
