import { MysqlConnection } from './connection.js'

export { isTransientMysqlError } from './errors.js'
export type { PoolOptions } from './pool-options.js'
export { MysqlConnection }
export default MysqlConnection
