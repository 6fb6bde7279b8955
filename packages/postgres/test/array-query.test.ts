import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { arrayQuery, QUERY_FIELDS_KNOWN } from '../src/array-query.js'
import { QueryTypes } from '../src/types.js'
import { TEST_URL } from './helpers.js'

const pool = new pg.Pool({ connectionString: TEST_URL, max: 1 })
afterAll(() => pool.end())

/** What a caller of pool.query sees of a result: its rows, field names and oids, and command. */
function seen(result: pg.QueryResult | pg.QueryResult[]) {
  const results = Array.isArray(result) ? result : [result]
  return results.map((r) => ({
    command: r.command,
    rowCount: r.rowCount,
    rows: r.rows,
    fields: r.fields.map((f) => [f.name, f.dataTypeID]),
  }))
}

async function read(text: string, values: unknown[], layoutKnown: boolean) {
  const types = new QueryTypes(pg.types)
  const query = arrayQuery(text, values, types, layoutKnown)
  const result = await (pool.query(query) as unknown as Promise<pg.QueryResult | pg.QueryResult[]>)
  return { result: seen(result), decodes: [...types.decodes] }
}

describe("pg's Query for a read", () => {
  it("finds pg's Query fields in the pg this package is tested with (else every read takes the slower config object)", () => {
    expect(QUERY_FIELDS_KNOWN).toBe(true)
  })

  it('reads rows as arrays through sqlconn types, set up from the text as from a config object', async () => {
    const text = `select $1::int4 as n, $2::text as label, '{"a":1}'::jsonb as doc, 9007199254740993::int8 as big
                  union all select null, null, null, null`
    const fromText = await read(text, [7, 'x'], true)
    const fromConfig = await read(text, [7, 'x'], false)
    expect(fromText).toEqual(fromConfig)
    // int8 and jsonb reach the table as text (sqlconn decodes them when read), int4 parsed.
    expect(fromText.result[0]!.rows).toEqual([
      [7, 'x', '{"a": 1}', '9007199254740993'],
      [null, null, null, null],
    ])
    expect(fromText.decodes).toEqual([
      [3802, 'json'],
      [20, 'int64-text'],
    ])
  })

  it('gives one result per statement of a multi-statement text, each with its rows as arrays', async () => {
    const text = 'select 1 as a; select 2 as b, 3 as c; set search_path to public'
    const fromText = await read(text, [], true)
    expect(fromText).toEqual(await read(text, [], false))
    expect(fromText.result.map((r) => r.rows)).toEqual([[[1]], [[2, 3]], []])
  })

  it('rejects with the server error and leaves the client usable', async () => {
    const err = await read('select * from no_such_table_at_all', [], true).catch((e: unknown) => e)
    expect((err as { code?: string }).code).toBe('42P01')
    expect((await read('select 1 as one', [], true)).result[0]!.rows).toEqual([[1]])
  })
})
