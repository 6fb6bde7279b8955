import { MysqlConnection } from './connection.js'

export type { PoolOptions } from './pool-options.js'
export { isTransientMysqlError } from './transient.js'
export { MysqlConnection }
export default MysqlConnection
