import { defineConfig, mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // One file, its docs one after another: each doc's blocks share a working directory, and the
      // machine's databases are shared with other test runs.
      fileParallelism: false,
    },
  }),
)
