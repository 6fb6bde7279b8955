import { configDefaults, defineConfig, mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared'

/**
 * restart.test.ts restarts the shared server, so it runs alone, after every other file of the
 * package. Both groups need an explicit order: vitest runs a single-worker group 0 last.
 */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      projects: [
        {
          extends: true,
          test: {
            name: 'postgres',
            exclude: [...configDefaults.exclude, 'test/restart.test.ts'],
            sequence: { groupOrder: 1 },
          },
        },
        { extends: true, test: { name: 'restart', include: ['test/restart.test.ts'], sequence: { groupOrder: 2 } } },
      ],
    },
  }),
)
