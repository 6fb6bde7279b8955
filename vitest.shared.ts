import { configDefaults, defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config'

/** The test settings every package uses (each package's vitest.config.ts re-exports them). */
const shared = defineConfig({
  test: {
    // Separate processes: tests change the working directory and HOME.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The JSON report is what .ci/run totals across packages.
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
})

export default shared

/**
 * The shared settings for a package whose test/restart*.test.ts files stop or restart the shared
 * server: those files run after every other file of the package (`name` names the other group),
 * one at a time. Both groups need an explicit order: vitest runs a single-worker group 0 last.
 */
export function withRestartLast(name: string): ViteUserConfig {
  const restarting = 'test/restart*.test.ts'
  return mergeConfig(
    shared,
    defineConfig({
      test: {
        projects: [
          {
            extends: true,
            test: {
              name,
              exclude: [...configDefaults.exclude, restarting],
              sequence: { groupOrder: 1 },
            },
          },
          {
            extends: true,
            // One file at a time: a file stopping the server must not overlap one restarting it.
            test: { name: 'restart', include: [restarting], fileParallelism: false, sequence: { groupOrder: 2 } },
          },
        ],
      },
    }),
  )
}
