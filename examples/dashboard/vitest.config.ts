import { defineConfig, mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // Builds the page and seeds data/shop.db once, before any test file runs.
      globalSetup: ['test/global-setup.ts'],
    },
  }),
)
