import { describeRestart } from '@sqlconn/core/testing'
import { PostgresConnection } from '../src/index.js'
import { admin, clusterCommand, probe, TEST_URL, useSchema } from './helpers.js'

// This file restarts the shared server: vitest.config.ts runs it after the package's other files.

const schema = useSchema()

describeRestart({
  server: 'PostgreSQL',
  // SQLCONN_TEST_POSTGRES_RESTART (say `docker compose restart postgres`), else pg_ctlcluster.
  restart: process.env.SQLCONN_TEST_POSTGRES_RESTART ?? clusterCommand('restart'),
  restartVariable: 'SQLCONN_TEST_POSTGRES_RESTART',
  start: clusterCommand('start'),
  // sqlconn's default retry settings (the helpers' `open()` shortens them).
  open: (options) =>
    new PostgresConnection('restart', {
      url: TEST_URL,
      options: `-c search_path=${schema.name}`,
      application_name: `${schema.name}_restart`,
      ...options,
    }),
  createItems: async () => {
    await admin(`create table ${schema.name}.items as select g as id, g * 3 as v from generate_series(1, 1000) g`)
  },
  // A fresh client outside any pool: answers only when the server accepts new connections.
  probe,
  unknownUser: { user: 'sqlconn_no_such_role' },
  unknownHost: { url: 'postgres://postgres@no-such-host.invalid:5432/test' },
  codes: { noSuchTable: '42P01', unknownUser: '28000' },
})
