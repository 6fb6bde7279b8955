import { DuckDBConnection } from './connection.js'

export { DuckDBDialect, type DuckDBDialectConfig } from './dialect.js'
export { DuckDBLockError, isTransientDuckDBError } from './errors.js'
export { pathFromUrl } from './native.js'
export { DuckDBPool } from './pool.js'
export { DuckDBConnection }
export default DuckDBConnection
