import { builtinsWithoutNamespaces, packageBuild } from '../../tsup.shared'

export default packageBuild({
  entry: ['src/index.ts', 'src/testing.ts'],
  external: ['vitest', 'apache-arrow', 'kysely'],
  esbuildPlugins: [builtinsWithoutNamespaces(/[\\/]packages[\\/]core[\\/]src[\\/].*\.ts$/)],
})
