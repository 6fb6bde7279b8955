import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type * as TS from 'typescript'
import { describe, expect, it } from 'vitest'

const core = path.join(import.meta.dirname, '..')
const ts: typeof TS = createRequire(path.join(core, 'package.json'))('typescript')

/** `Class.member` for every class member in `file` whose doc comment says `@internal` (or every member, when `internal` is false). */
function members(file: string, text: string, internal: boolean): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: string[] = []
  const visit = (node: TS.Node): void => {
    if (ts.isClassDeclaration(node) && node.name) {
      // The declaration bundle may rename a class it holds twice (`RowTable$1`).
      const owner = node.name.text.replace(/\$\d+$/, '')
      for (const m of node.members) {
        const name = ts.isConstructorDeclaration(m) ? 'constructor' : m.name?.getText(source)
        if (!name) continue
        const docs = ts.getJSDocCommentsAndTags(m).map((d) => d.getText(source))
        if (!internal || docs.some((d) => d.includes('@internal'))) out.push(`${owner}.${name}`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => path.join(dir, f))
}

describe('published declarations', () => {
  const dts = files(path.join(core, 'dist'), '.d.ts')

  it('exist (core is built before its tests)', () => {
    expect(dts.length).toBeGreaterThan(0)
  })

  it('carry no member marked @internal', () => {
    const internal = files(path.join(core, 'src'), '.ts').flatMap((f) => members(f, readFileSync(f, 'utf8'), true))
    // The check would pass vacuously if nothing were marked: the source does mark some.
    expect(internal).toContain('BaseConnection.checkSecrets')
    const published = new Set(dts.flatMap((f) => members(f, readFileSync(f, 'utf8'), false)))
    expect(internal.filter((m) => published.has(m))).toEqual([])
    for (const f of dts) expect(readFileSync(f, 'utf8'), path.basename(f)).not.toContain('@internal')
  })
})
