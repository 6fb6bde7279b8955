import { createRequire } from 'node:module'

/** The kysely module. */
export type KyselyModule = typeof import('kysely')

let loaded: KyselyModule | undefined

/**
 * Kysely, loaded the first time something needs it (`conn.db`, a dialect, a query builder or `sql`
 * template passed to `query()`), so a process that only runs `query('select ...')` never pays its
 * import (about 110 ms and 25 MB). Adapters call it in `createDialect()` instead of importing their
 * dialect class at the top of the module.
 *
 * Kysely is ESM only; Node 22.12+ `require()`s it through the same module cache as `import`, from
 * the same place core's own `import 'kysely'` would resolve, so this is the very module (and the
 * very `Kysely` class) the app imports: no second copy.
 *
 * @example
 * protected override createDialect() {
 *   const { SqliteDialect } = loadKysely()
 *   return new SqliteDialect({ database: () => Promise.resolve(this.raw) })
 * }
 */
export function loadKysely(): KyselyModule {
  loaded ??= createRequire(import.meta.url)('kysely') as KyselyModule
  return loaded
}
