import { readFileSync } from 'node:fs'
import { defineConfig, type Options } from 'tsup'

type Plugin = NonNullable<Options['esbuildPlugins']>[number]

// `import { x } from 'node:fs'` (single- or multi-line), default imports and namespace imports.
const BUILTIN_IMPORT = /^import\s+(\*\s+as\s+\w+|\w+|\{[^}]*\})\s+from\s+['"]node:([\w/]+)['"];?$/gm

/**
 * Rewrites the `node:` imports of the files `filter` matches into `process.getBuiltinModule()` calls.
 * Importing a built-in as an ES module builds its namespace from every export, which runs Node's lazy
 * getters: `node:fs` loads fs/promises and the streams, `node:util` the diff and parseArgs code,
 * `node:process` the report machinery, several milliseconds of every one-shot process (`sqlconn
 * query`, a data loader) for code it never runs. `getBuiltinModule()` returns the module object and
 * runs no getter. A default import of a built-in listed in `lazy` becomes a proxy that loads the
 * module on first use (for a dependency's import of a module that only a rare path uses).
 */
export function builtinsWithoutNamespaces(filter: RegExp, lazy: readonly string[] = []): Plugin {
  return {
    name: 'builtins-without-namespaces',
    setup(build) {
      build.onLoad({ filter }, (args) => {
        const source = readFileSync(args.path, 'utf8')
        const contents = source.replace(BUILTIN_IMPORT, (whole, clause: string, id: string) => {
          const mod = `globalThis.process.getBuiltinModule('node:${id}')`
          if (clause.startsWith('*')) return `const ${clause.replace(/^\*\s+as\s+/, '')} = ${mod};`
          if (!clause.startsWith('{')) {
            if (id === 'process') return `const ${clause} = globalThis.process;`
            if (lazy.includes(id)) return `const ${clause} = new Proxy({}, { get: (_t, key) => ${mod}[key] });`
            return `const ${clause} = ${mod};`
          }
          // Type-only specifiers go; `a as b` becomes `a: b`; newlines are kept (source maps).
          const names = clause
            .slice(1, -1)
            .split(',')
            .filter((n) => n.trim() !== '' && !/^\s*type\s/.test(n))
            .map((n) => n.replace(/\s+as\s+/, ': '))
          if (names.length === 0) return whole // only types: the compiler drops the import
          return `const {${names.join(',')}} = ${mod};`
        })
        return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' }
      })
    },
  }
}

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
