import { MysqlConnection } from './connection.js'

export { GLOBAL_OPTION_FILES, nativeLayer, readOptionFile } from './native.js'
export { MYSQL_OPTIONS } from './options.js'
export { type PoolOptions, parseMysqlUrl, poolOptions } from './pool-options.js'
export { isTransientMysqlError } from './transient.js'
export { logicalType, type MysqlField, mysqlTypeName } from './types.js'
export { MysqlConnection }
export default MysqlConnection
