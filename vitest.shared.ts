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
 * The shared settings for a package whose test/restart.test.ts restarts the shared server: that
 * file runs alone, after every other file of the package (`name` names the other group). Both
 * groups need an explicit order: vitest runs a single-worker group 0 last.
 */
export function withRestartLast(name: string): ViteUserConfig {
  return mergeConfig(
    shared,
    defineConfig({
      test: {
        projects: [
          {
            extends: true,
            test: {
              name,
              exclude: [...configDefaults.exclude, 'test/restart.test.ts'],
              sequence: { groupOrder: 1 },
            },
          },
          { extends: true, test: { name: 'restart', include: ['test/restart.test.ts'], sequence: { groupOrder: 2 } } },
        ],
      },
    }),
  )
}
