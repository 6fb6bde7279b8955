import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { createClient } from '@keyv/redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { secretsToml, seed } from './fixtures.js'
import { makeProject, type Project, REDIS_URL, run } from './helpers.js'

let project: Project
const namespace = `sqlconn-cli-${randomUUID()}`
const redis = createClient({ url: REDIS_URL })

beforeAll(async () => {
  project = makeProject('')
  // A shared store, so results outlive the process that cached them.
  const extra = `\n[connections.pg.cache]\nurl = "${REDIS_URL}"\nnamespace = "${namespace}"\n`
  writeFileSync(path.join(project.dir, '.sqlconn', 'secrets.toml'), secretsToml(project.dir, extra))
  await seed(project)
  await redis.connect()
})

afterAll(async () => {
  project?.remove()
  await redis.quit()
})

const keysInStore = async () => (await redis.keys(`${namespace}:*`)).length

it('query --ttl stores the result in the shared store, where cache stats counts it', async () => {
  const q = await run(project, [
    'query',
    'pg',
    'select count(*) as n from sqlconn_cli_people',
    '--ttl',
    '10m',
    '-f',
    'json',
  ])
  expect(q.code).toBe(0)
  expect(await keysInStore()).toBe(1)
  const stats = await run(project, ['cache', 'stats', 'pg', '--json'])
  expect(JSON.parse(stats.stdout)).toMatchObject({ kind: 'redis', answers: true, entries: 1 })
})

it("cache clear removes the connection's results from the shared store", async () => {
  await run(project, ['query', 'pg', 'select 2 as two', '--ttl', '10m', '-f', 'json'])
  expect(await keysInStore()).toBeGreaterThan(0)
  const clear = await run(project, ['cache', 'clear', 'pg'])
  expect(clear.code).toBe(0)
  expect(clear.stdout).toMatch(/^Cleared \d+ cached results of "pg" from redis:\/\/127\.0\.0\.1:6379/)
  expect(await keysInStore()).toBe(0)
})
