declare module 'pgpass/lib/helper.js' {
  /** One line of a password file: host:port:database:user:password. */
  export interface PgPassEntry {
    host: string
    port: string
    database: string
    user: string
    password: string
  }
  export interface PgPassConnInfo {
    host?: string
    port?: number | string
    database?: string
    user?: string
  }
  interface Helper {
    getFileName(env?: Record<string, string | undefined>): string
    parseLine(line: string): PgPassEntry | null
    isValidEntry(entry: PgPassEntry): boolean
    match(connInfo: PgPassConnInfo, entry: PgPassEntry): boolean
    readonly isWin: boolean
  }
  const helper: Helper
  export default helper
}
