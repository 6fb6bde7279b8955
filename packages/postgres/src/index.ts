import { PostgresConnection } from './connection.js'

export { isTransientPgError } from './errors.js'
export { PostgresConnection }
export default PostgresConnection
