import { SqliteConnection } from './connection.js'

export { isTransientSqliteError } from './errors.js'
export { filenameFromUrl } from './native.js'
export { SqliteConnection }
export default SqliteConnection
