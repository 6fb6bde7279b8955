import { PostgresConnection } from './connection.js'

export { isTransientPgError } from './errors.js'
export { POSTGRES_OPTIONS } from './options.js'
export { epochMs } from './types.js'
export { PostgresConnection }
export default PostgresConnection
