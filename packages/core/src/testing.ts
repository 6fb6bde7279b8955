/**
 * `@sqlconn/core/testing`: the adapter conformance suites and the helpers adapter tests share. An
 * adapter (built-in or third-party) runs the suites in a vitest file against its own real database
 * and adds its dialect's own cases beside them. Each part lives in `testing/`, one responsibility a file.
 *
 * @example
 * import { describeConformance } from '@sqlconn/core/testing'
 * describeConformance({ name: 'sqlite', create: (o) => new SqliteConnection('t', { filename, ...o }) })
 */
export { decimalText, expectArrowMatches, expectArrowRoundTrip } from './testing/arrow.js'
export { describeConformance } from './testing/conformance.js'
export { queryFailure } from './testing/connect-failures.js'
export {
  type EventLog,
  type Gate,
  gate,
  recordEvents,
  runScript,
  type Sandbox,
  until,
  useSandbox,
  within,
} from './testing/helpers.js'
export type { ConformanceOptions, ConnectFailureOptions } from './testing/options.js'
export { packAndInstall } from './testing/pack.js'
export { describePoolConformance, type PoolConformanceOptions, type ServerGate } from './testing/pool.js'
export { type PrivateRedis, startPrivateRedis } from './testing/redis-server.js'
export {
  describeRestart,
  type RestartReport,
  type RestartRun,
  type RestartSuite,
  readThroughRestart,
  waitUntilAnswers,
} from './testing/restart.js'
