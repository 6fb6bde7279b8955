import { SqliteConnection } from './connection.js'

export { SqliteConnection }
export { filenameFromUrl } from './url.js'
export default SqliteConnection
