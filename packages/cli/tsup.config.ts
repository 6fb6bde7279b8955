import { readFileSync } from 'node:fs'
import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.shared'

const CHILD_PROCESS_IMPORT = "import childProcess from 'node:child_process';"

// Commander imports node:child_process up front, for executable subcommands (`sqlconn-foo` files)
// that this CLI never declares; loading it (with net, dgram and the process wrappers) is a few
// milliseconds of every run. Commander is bundled and that import becomes a proxy that loads the
// real module on first use, so a run pays for it only if Commander ever spawns. The build fails if
// a Commander upgrade changes the import, rather than quietly loading it again.
const lazyChildProcess: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'lazy-child-process',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes(CHILD_PROCESS_IMPORT)) throw new Error(`${args.path} no longer has: ${CHILD_PROCESS_IMPORT}`)
      return {
        contents: source.replace(
          CHILD_PROCESS_IMPORT,
          "const childProcess = new Proxy({}, { get: (_t, key) => process.getBuiltinModule('node:child_process')[key] });",
        ),
        loader: 'js',
      }
    })
  },
}

// A bin: no type declarations; the shebang in src/index.ts is kept by esbuild.
export default packageBuild({ dts: false, noExternal: ['commander'], esbuildPlugins: [lazyChildProcess] })
