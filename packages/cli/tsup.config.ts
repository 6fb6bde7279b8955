import { builtinsWithoutNamespaces, packageBuild } from '../../tsup.shared'

// A bin: no type declarations; the shebang in src/index.ts is kept by esbuild. Commander is bundled
// so that its built-in imports are rewritten too: in particular node:child_process (with net, dgram
// and the process wrappers), which it imports up front for executable subcommands (`sqlconn-foo`
// files) that this CLI never declares, loads on first use.
export default packageBuild({
  dts: false,
  noExternal: ['commander'],
  esbuildPlugins: [
    builtinsWithoutNamespaces(/([\\/]packages[\\/]cli[\\/]src[\\/].*\.ts|[\\/]commander[\\/]lib[\\/]\w+\.js)$/, [
      'child_process',
    ]),
  ],
})
