// `pnpm dashboard` runs this after building the page: serve the shop dashboard on 127.0.0.1, on
// PORT or a free port, and print the URL once it answers.
import { closeAll } from '@sqlconn/core'
import { startDashboard } from './server.ts'

const port = process.env.PORT ? Number(process.env.PORT) : 0
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0 to 65535); got "${process.env.PORT}".`)
  process.exit(1)
}
console.log('Connecting to [connections.shop] from .sqlconn/secrets.toml ...')
const dashboard = await startDashboard({ port })
const { seed } = dashboard
if (seed.seeded)
  console.log(`Seeded ${seed.rows.toLocaleString('en-US')} order lines in ${(seed.ms / 1000).toFixed(1)} s.`)
console.log(`Dashboard: ${dashboard.url}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await dashboard.close()
    await closeAll()
    process.exit(0)
  })
}
