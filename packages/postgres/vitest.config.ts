import { withRestartLast } from '../../vitest.shared'

// restart*.test.ts stop or restart the shared server: they run one at a time, after the package's other files.
export default withRestartLast('postgres')
