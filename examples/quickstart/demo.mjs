// sqlconn quickstart: seed a SQLite file, declare it in .sqlconn/secrets.toml, then read it
// through connection('shop') twice: the second read comes from the query cache.
//
// Run it from the repository root with `npx -y pnpm@10.34.9 demo`. pnpm runs it on the repository's
// Node 24, the one better-sqlite3 was built for.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { closeAll, connection } from '@sqlconn/core'
import Database from 'better-sqlite3'

// 1. Seed data/shop.db (drop and create, so every run starts from the same rows).
mkdirSync('data', { recursive: true })
const seed = new Database('data/shop.db')
seed.exec(`
  drop table if exists orders;
  create table orders (
    id       integer primary key,
    customer text    not null,
    product  text    not null,
    quantity integer not null,
    total    real    not null,
    paid     boolean not null,
    placed   datetime not null
  );
`)
const insert = seed.prepare(
  'insert into orders (customer, product, quantity, total, paid, placed) values (?, ?, ?, ?, ?, ?)',
)
const rows = [
  ['ada', 'keyboard', 1, 89.5, 1, '2025-01-03 10:15:00'],
  ['grace', 'monitor', 2, 458.0, 1, '2025-01-04 16:40:00'],
  ['linus', 'mouse', 3, 59.97, 0, '2025-01-05 09:05:00'],
  ['ada', 'monitor', 1, 229.0, 1, '2025-01-07 12:30:00'],
  ['grace', 'cable', 5, 24.95, 0, '2025-01-08 18:20:00'],
]
seed.transaction(() => {
  for (const row of rows) insert.run(...row)
})()
seed.close()

// 2. Declare the connection in the project's secrets file (committed here; written if missing).
if (!existsSync('.sqlconn/secrets.toml')) {
  mkdirSync('.sqlconn', { recursive: true })
  writeFileSync('.sqlconn/secrets.toml', '[connections.shop]\ntype = "sqlite"\nurl = "sqlite:///data/shop.db"\n')
}

// 3. One line gets a ready, cached, retrying connection.
const shop = await connection('shop')
shop.on('query', (e) => {
  console.log(`  query event: cached=${e.cached} rows=${e.rows} durationMs=${e.durationMs.toFixed(3)}`)
})

const sql = `
  select customer, count(*) as orders, sum(total) as spent, max(placed) as last_order
  from orders
  where total > :min
  group by customer
  order by spent desc`

for (const label of ['first query (database)', 'second query (cache)']) {
  console.log(label)
  const started = performance.now()
  await shop.query(sql, { params: { min: 20 }, ttl: '10m' })
  console.log(`  took ${(performance.now() - started).toFixed(3)} ms`)
}

// 4. The result is a typed, columnar RowTable.
const table = await shop.query(sql, { params: { min: 20 }, ttl: '10m' })
console.log('\nresult')
console.log(table.toString())
console.log('\nschema')
for (const f of table.schema.fields) console.log(`  ${f.name}: ${f.type} (${f.dbType ?? 'expression'})`)
console.log(`  spent column: ${table.getChild('spent')?.toArray().join(', ')}`)

// 5. Every setting remembers where it came from (secrets are masked when printed).
console.log('\nconfig (value and source)')
console.log(shop.config.toString())

await closeAll()
