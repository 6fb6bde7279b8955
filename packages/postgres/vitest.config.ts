import { withRestartLast } from '../../vitest.shared'

// restart.test.ts restarts the shared server: it runs alone, after the package's other files.
export default withRestartLast('postgres')
