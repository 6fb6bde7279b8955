import { packageBuild } from '../../tsup.shared'

// A bin: no type declarations; the shebang in src/index.ts is kept by esbuild.
export default packageBuild({ dts: false })
