import { defineConfig, type Options } from 'tsup'

/** How every package builds: ESM with type declarations for Node 22+; `extra` adds entries or externals. */
export function packageBuild(extra: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    ...extra,
  })
}
