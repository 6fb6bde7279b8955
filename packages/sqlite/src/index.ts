import { SqliteConnection } from './connection.js'

export { filenameFromUrl } from './url.js'
export { SqliteConnection }
export default SqliteConnection
