// Runs once before the test files: the page bundle the browser test loads, and the example's own
// database seeded through connection('shop') (the first start, when data/shop.db is not there yet).
import { mkdirSync } from 'node:fs'
import { closeAll, connection, type SqlConnection } from '@sqlconn/core'
import { buildPage } from '../scripts/build-page.ts'
import { seedShop } from '../src/seed.ts'

export default async function setup(): Promise<void> {
  await buildPage()
  mkdirSync('data', { recursive: true })
  await seedShop((await connection('shop')) as SqlConnection)
  await closeAll()
}
