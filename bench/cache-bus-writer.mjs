// The other app server of cache.bench.mjs's bus measurement: a process of its own that invalidates
// the tag `items` BUS_COUNT times, BUS_GAP_MS apart, on the Redis cache of the bench's database.
// The bench (the reading server) times each message from its send to its arrival.
import { closeAll, connection } from '@sqlconn/core'

const { BENCH_DB, BENCH_REDIS, BENCH_NAMESPACE } = process.env
const count = Number(process.env.BUS_COUNT ?? 1)
const gap = Number(process.env.BUS_GAP_MS ?? 0)
const conn = await connection('bench', {
  type: 'sqlite',
  filename: BENCH_DB,
  cache: { url: BENCH_REDIS, namespace: BENCH_NAMESPACE },
})
for (let i = 0; i < count; i++) {
  await conn.invalidate({ tags: ['items'] })
  // Paced, as invalidations after writes are: messages do not queue behind each other.
  if (gap) await new Promise((resolve) => setTimeout(resolve, gap))
}
await closeAll()
