import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { closeAll, connection, type SqlConnection } from '@sqlconn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MYSQL_URL, PG_URL } from './helpers.js'

// Core's spans against the real servers: the attributes only a networked database has.
const spans = new InMemorySpanExporter()

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }))
})
afterAll(() => closeAll())

describe.each([
  ['postgres', PG_URL, 'connectionString', 'postgresql', '42P01'],
  ['mysql', MYSQL_URL, 'uri', 'mysql', 'ER_NO_SUCH_TABLE'],
] as const)('spans of %s', (type, url, option, system, missingTable) => {
  const u = new URL(url)

  it('name the server, port and database, and the rows returned', async () => {
    spans.reset()
    const conn = await connection<SqlConnection>(`trace-${type}`, { type, [option]: url })
    const sql = type === 'postgres' ? 'select 1 as one where 1 = $1' : 'select 1 as one where 1 = ?'
    await conn.query(sql, { params: [1], cache: false })
    const [span] = spans.getFinishedSpans()
    expect(span?.attributes).toMatchObject({
      'db.system.name': system,
      'db.namespace': u.pathname.slice(1),
      'server.address': u.hostname,
      'server.port': Number(u.port || (type === 'postgres' ? 5432 : 3306)),
      'db.operation.name': 'SELECT',
      'db.response.returned_rows': 1,
    })
  })

  it("a SQL error's span carries the server's own error code", async () => {
    spans.reset()
    const conn = await connection<SqlConnection>(`trace-${type}`, { type, [option]: url })
    await expect(conn.query('select * from sqlconn_no_such_table_otel')).rejects.toThrow()
    const [span] = spans.getFinishedSpans()
    expect(span?.attributes['error.type']).toBe(missingTable)
    expect(span?.attributes['db.response.status_code']).toBe(missingTable)
  })
})
