import { defineConfig, type Options } from 'tsup'

/**
 * How every package builds: ESM with type declarations for Node 22+; `extra` adds entries or externals.
 * Members marked `@internal` are left out of the declarations (packages/core/test/dts-internal.test.ts).
 */
export function packageBuild(extra: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: { compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: true,
    target: 'node22',
    ...extra,
  })
}
