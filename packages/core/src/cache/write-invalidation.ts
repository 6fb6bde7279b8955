import type {
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'

/** What the plugin needs from the connection. */
export interface WriteInvalidationHost {
  /** True when `invalidateOnWrite` is on (read on every write: the settings may come from secrets). */
  enabled(): boolean
  /** Invalidates `tags` (table names); failures are the host's to report, not the write's. */
  invalidate(tags: readonly string[]): Promise<void>
}

type Node = OperationNode & Record<string, unknown>

/** The table names a write targets: `orders`, and `sales.orders` when it names a schema. */
function tablesOf(node: Node | undefined, out: Set<string>): void {
  if (!node) return
  switch (node.kind) {
    case 'TableNode': {
      const t = node.table as { schema?: { name: string }; identifier: { name: string } }
      out.add(t.identifier.name)
      if (t.schema) out.add(`${t.schema.name}.${t.identifier.name}`)
      return
    }
    case 'AliasNode':
      tablesOf(node.node as Node, out)
      return
    case 'FromNode':
      for (const n of node.froms as Node[]) tablesOf(n, out)
      return
    case 'ListNode':
      for (const n of node.items as Node[]) tablesOf(n, out)
      return
  }
}

/** The tables written by an insert, update, delete or merge; none for anything else. */
export function writtenTables(node: RootOperationNode): string[] {
  const n = node as unknown as Node
  const out = new Set<string>()
  if (n.kind === 'InsertQueryNode' || n.kind === 'MergeQueryNode') tablesOf(n.into as Node, out)
  else if (n.kind === 'UpdateQueryNode') tablesOf(n.table as Node, out)
  else if (n.kind === 'DeleteQueryNode') tablesOf(n.from as Node, out)
  return [...out]
}

/**
 * A Kysely plugin on `conn.db`: once an insert, update, delete or merge into a table has run, the
 * cached results tagged with that table's name are invalidated (`invalidateOnWrite`), as Drizzle's
 * cache does. The write's promise resolves after the invalidation, so a read that follows it does
 * not meet the old result. The query itself is left untouched.
 */
export class WriteInvalidationPlugin implements KyselyPlugin {
  readonly #pending = new WeakMap<object, string[]>()

  /** @param host whether the setting is on, and how to invalidate */
  constructor(readonly host: WriteInvalidationHost) {}

  /** Notes the tables a write targets; returns the node as it is. */
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.host.enabled()) {
      const tables = writtenTables(args.node)
      if (tables.length) this.#pending.set(args.queryId, tables)
    }
    return args.node
  }

  /** After the write succeeded: invalidates its tables' tags. */
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const tables = this.#pending.get(args.queryId)
    if (tables) {
      this.#pending.delete(args.queryId)
      await this.host.invalidate(tables)
    }
    return args.result
  }
}
