import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type * as TS from 'typescript'
import { describe, expect, it } from 'vitest'
import type { SqlAdapterHooks } from '../src/contract.js'
import { SqlConnection } from '../src/sql-connection.js'

const core = path.join(import.meta.dirname, '..')
const ts: typeof TS = createRequire(path.join(core, 'package.json'))('typescript')

/**
 * The class's hooks seen through the contract: this compiles only while every hook of
 * `SqlConnection` (and `BaseConnection`) has the signature contract.ts documents for it.
 */
abstract class HooksAsDocumented<Raw> extends SqlConnection<Raw> {
  hooks(): Required<SqlAdapterHooks<Raw>> {
    return {
      refineConfig: (config, context) => this.refineConfig(config, context),
      connect: (config) => this.connect(config),
      disconnect: (raw) => this.disconnect(raw),
      onReset: () => this.onReset(),
      onSecretsChanged: () => this.onSecretsChanged(),
      createDialect: () => this.createDialect(),
      execute: (query, options) => this.execute(query, options),
      executeStream: (query, chunkSize, signal) => this.executeStream(query, chunkSize, signal),
      placeholder: this.placeholder,
      backslashEscapes: this.backslashEscapes,
      isTransientError: (error) => this.isTransientError(error),
      isConnectionRefused: (error) => this.isConnectionRefused(error),
      needsReset: (error) => this.needsReset(error),
      cacheIdentity: () => this.cacheIdentity(),
      isPrivateTarget: () => this.isPrivateTarget(),
    }
  }
}
void HooksAsDocumented

function parse(file: string): TS.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
}

/** The members of every interface (and type literal) declared in contract.ts, by name. */
function contractMembers(): Set<string> {
  const source = parse(path.join(core, 'src/contract.ts'))
  const out = new Set<string>()
  const visit = (node: TS.Node): void => {
    if (ts.isInterfaceDeclaration(node)) for (const m of node.members) if (m.name) out.add(m.name.getText(source))
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

/** The members a class in `file` declares with `override`, by name. */
function overrides(file: string): string[] {
  const source = parse(file)
  const out: string[] = []
  const visit = (node: TS.Node): void => {
    if (ts.isClassDeclaration(node)) {
      for (const m of node.members) {
        const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : []
        if (mods.some((x) => x.kind === ts.SyntaxKind.OverrideKeyword) && m.name) out.push(m.name.getText(source))
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

/** The doc comment of class `name` in `file`. */
function classDoc(file: string, name: string): string {
  const source = parse(file)
  let doc = ''
  const visit = (node: TS.Node): void => {
    if (ts.isClassDeclaration(node) && node.name?.text === name) {
      doc = ts
        .getJSDocCommentsAndTags(node)
        .map((d) => d.getText(source))
        .join('\n')
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return doc
}

const packages = path.join(core, '..')
const adapters = readdirSync(packages).filter((p) => {
  try {
    return readFileSync(path.join(packages, p, 'src/connection.ts'), 'utf8').includes('extends SqlConnection')
  } catch {
    return false
  }
})

describe('the adapter contract (contract.ts)', () => {
  const documented = contractMembers()
  // What SqlConnection itself overrides from BaseConnection is core's business, not an adapter's.
  const coreOnly = new Set(['close'])

  it('documents every member an adapter of this repository overrides', () => {
    expect(adapters).toEqual(expect.arrayContaining(['sqlite', 'postgres', 'mysql', 'duckdb']))
    for (const adapter of adapters) {
      const overridden = overrides(path.join(packages, adapter, 'src/connection.ts'))
      expect(overridden.length, adapter).toBeGreaterThan(10)
      expect(
        overridden.filter((m) => !documented.has(m) && !coreOnly.has(m)),
        adapter,
      ).toEqual([])
    }
  })

  it('is named, hook by hook, in the class docs of BaseConnection and SqlConnection', () => {
    const sqlHooks = overrides(path.join(packages, 'sqlite/src/connection.ts'))
      .concat(overrides(path.join(packages, 'postgres/src/connection.ts')))
      .filter((m) => !['typeName', 'options', 'nativeConfig'].includes(m))
    const sqlDoc = classDoc(path.join(core, 'src/sql-connection.ts'), 'SqlConnection')
    for (const hook of new Set([...sqlHooks, 'onSecretsChanged', 'isPrivateTarget'])) {
      expect(sqlDoc, hook).toMatch(new RegExp(`\\b${hook}\\b`))
    }
    const baseDoc = classDoc(path.join(core, 'src/connection.ts'), 'BaseConnection')
    for (const hook of ['typeName', 'options', 'nativeConfig', 'connect', 'refineConfig', 'disconnect', 'onReset']) {
      expect(baseDoc, hook).toMatch(new RegExp(`\\b${hook}\\b`))
    }
    expect(sqlDoc).toContain('contract.ts')
    expect(baseDoc).toContain('contract.ts')
  })
})
