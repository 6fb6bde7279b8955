import { defineConfig } from 'vitest/config'

/** The test settings every package uses (each package's vitest.config.ts re-exports them). */
export default defineConfig({
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
