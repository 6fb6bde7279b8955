import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packages = fileURLToPath(new URL('../..', import.meta.url))

/** Every source file of every package but core, as `[relative path, text]`. */
function adapterSources(): [string, string][] {
  const out: [string, string][] = []
  for (const pkg of readdirSync(packages)) {
    if (pkg === 'core') continue
    const src = path.join(packages, pkg, 'src')
    let files: string[]
    try {
      files = readdirSync(src, { recursive: true, encoding: 'utf8' })
    } catch {
      continue
    }
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      out.push([`${pkg}/src/${file}`, readFileSync(path.join(src, file), 'utf8')])
    }
  }
  return out
}

/** Lines that weigh one source against another: a rank read, or a source's label parsed as text. */
const WEIGHING = [
  /\.rank\b/,
  /\.source\([^)]*\)\s*(\?\.)?\s*\.(startsWith|endsWith|includes|match|split|indexOf|slice)\(/,
  /\.label\s*(\?\.)?\s*\.(startsWith|endsWith|includes|match|split|indexOf|slice)\(/,
  /(startsWith|includes)\(\s*['"`](kwargs|secrets|env |native|default|option file)/,
]

describe('precedence is decided in core only', () => {
  it('no adapter reads a rank or parses where a value came from: they call withUrlParts() and isGiven()', () => {
    const sources = adapterSources()
    expect(sources.length).toBeGreaterThan(10)
    const found = sources.flatMap(([file, text]) =>
      text
        .split('\n')
        .map((line, i) => ({ where: `${file}:${i + 1}`, line: line.trim() }))
        .filter(({ line }) => !line.startsWith('*') && !line.startsWith('//') && WEIGHING.some((re) => re.test(line))),
    )
    expect(found).toEqual([])
  })
})
