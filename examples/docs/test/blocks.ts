/**
 * Reads the fenced code blocks of a Markdown file and turns them into what the docs test runs:
 * files to write (TOML blocks that name their path), programs (JavaScript blocks, a block marked
 * `continued` joining the one before it) and the output each program must print. The conventions
 * are described in this package's README.md.
 */

/** One fenced block, as written in the Markdown file. */
export interface Block {
  /** Line of the opening fence, 1-based. */
  line: number
  /** The first word of the info string (`js`, `toml`, `text`, ...). */
  lang: string
  /** The other words of the info string (`no-run`, `continued`, `output`). */
  flags: string[]
  code: string
}

/** Lines of output a program must print one after another; groups match in order, other lines may come between. */
export type ExpectedGroup = { line: number; lines: string[] }

/** A JavaScript program made of one block and the blocks that continue it. */
export interface Program {
  kind: 'program'
  /** Line of its first block. */
  line: number
  /** `.mjs`, or `.mts` when a block is TypeScript (Node strips the types). */
  extension: '.mjs' | '.mts'
  source: string
  expected: ExpectedGroup[]
}

/** Files a TOML block writes before the programs after it run (`~/` is the test's home directory). */
export interface Files {
  kind: 'files'
  line: number
  files: { path: string; content: string }[]
}

/** A block the docs mark `no-run`: counted, never run. */
export interface Skipped {
  kind: 'skipped'
  line: number
}

export type Step = Program | Files | Skipped

const JS = new Set(['js', 'javascript', 'mjs', 'ts', 'typescript', 'mts'])
const TS = new Set(['ts', 'typescript', 'mts'])
/** The info-string words the test understands; any other is a typo the test reports. */
export const FLAGS = new Set(['no-run', 'continued', 'output'])

/** Every fenced block of a Markdown text, in order. */
export function blocks(markdown: string): Block[] {
  const out: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, info] = open as unknown as [string, string, string, string]
    const words = info.trim().split(/\s+/).filter(Boolean)
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !(lines[j]!.trim().startsWith(fence) && lines[j]!.trim().replace(/[`~]/g, '') === ''))
      body.push(lines[j++]!.slice(indent.length))
    out.push({ line: i + 1, lang: (words[0] ?? '').toLowerCase(), flags: words.slice(1), code: body.join('\n') })
    i = j
  }
  return out
}

/** The path a TOML block's comment line names (`# .sqlconn/secrets.toml`, `# ~/.sqlconn/secrets.toml, ...`). */
function tomlPath(line: string): string | undefined {
  return /^#\s*((?:~\/|\.\/)?[\w./-]*\.toml)\b/.exec(line.trim())?.[1]?.replace(/^\.\//, '')
}

/** A TOML block's files: each starts at a comment line naming its path. Without one, the block writes nothing. */
function tomlFiles(code: string): Files['files'] {
  const files: Files['files'] = []
  for (const line of code.split('\n')) {
    const path = tomlPath(line)
    if (path) files.push({ path, content: '' })
    const file = files.at(-1)
    if (file) file.content += `${line}\n`
  }
  return files
}

/** The `// →` claims of a program's source: each line starts a group, a comment-only `// →` line extends it. */
function arrows(code: string, firstLine: number): ExpectedGroup[] {
  const groups: ExpectedGroup[] = []
  code.split('\n').forEach((text, i) => {
    const m = /\/\/ →(?: (.*?))?(?: \/\/ .*)?$/.exec(text)
    if (!m) return
    const expected = (m[1] ?? '').trimEnd()
    const last = groups.at(-1)
    if (text.trimStart().startsWith('// →') && last && last.line + last.lines.length === firstLine + i)
      last.lines.push(expected)
    else groups.push({ line: firstLine + i, lines: [expected] })
  })
  return groups
}

/** An output block's lines: a line that is only `…` splits it into groups with any lines between them. */
function outputGroups(code: string, firstLine: number): ExpectedGroup[] {
  const groups: ExpectedGroup[] = []
  let current: ExpectedGroup | undefined
  code.split('\n').forEach((text, i) => {
    if (text.trim() === '…') {
      current = undefined
      return
    }
    if (!current) {
      current = { line: firstLine + i, lines: [] }
      groups.push(current)
    }
    current.lines.push(text.trimEnd())
  })
  while (groups.at(-1)?.lines.at(-1) === '') groups.at(-1)!.lines.pop()
  return groups.filter((g) => g.lines.length > 0)
}

/** What the test does with a Markdown file, in order. Throws on a block it cannot place (a typo in the flags). */
export function steps(markdown: string): Step[] {
  const out: Step[] = []
  let last: Program | undefined
  for (const block of blocks(markdown)) {
    const unknown = block.flags.filter((f) => !FLAGS.has(f))
    if (unknown.length && (JS.has(block.lang) || block.lang === 'toml' || block.flags.includes('output')))
      throw new Error(`line ${block.line}: unknown flag ${unknown.join(', ')} (known: ${[...FLAGS].join(', ')})`)
    if (block.flags.includes('no-run')) {
      out.push({ kind: 'skipped', line: block.line })
      continue
    }
    if (block.flags.includes('output')) {
      if (!last) throw new Error(`line ${block.line}: an output block needs a program before it`)
      last.expected.push(...outputGroups(block.code, block.line + 1))
      continue
    }
    if (block.lang === 'toml') {
      const files = tomlFiles(block.code)
      if (files.length) out.push({ kind: 'files', line: block.line, files })
      continue
    }
    if (!JS.has(block.lang)) continue
    if (block.flags.includes('continued')) {
      if (!last) throw new Error(`line ${block.line}: a continued block needs a program before it`)
      last.source += `\n${block.code}\n`
      last.expected.push(...arrows(block.code, block.line + 1))
      if (TS.has(block.lang)) last.extension = '.mts'
      continue
    }
    last = {
      kind: 'program',
      line: block.line,
      extension: TS.has(block.lang) ? '.mts' : '.mjs',
      source: `${block.code}\n`,
      expected: arrows(block.code, block.line + 1),
    }
    out.push(last)
  }
  return out
}

/** Runs of spaces count as one: a path shown shorter than it was printed shifts the columns after it. */
const spaces = (text: string) => text.trimEnd().replace(/ {2,}/g, ' ')

/** `…` matches any text within a line; everything else literally, however many spaces align it. */
function lineMatches(pattern: string, actual: string): boolean {
  const re = spaces(pattern)
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${re}$`).test(spaces(actual))
}

/**
 * Whether the output holds every group in order, each group's lines one after another.
 * Returns undefined when it does, else a message naming the first group that is missing.
 */
export function missingOutput(expected: ExpectedGroup[], output: string): string | undefined {
  const lines = output.split('\n')
  let from = 0
  for (const group of expected) {
    let at = -1
    for (let i = from; i + group.lines.length <= lines.length && at < 0; i++)
      if (group.lines.every((l, k) => lineMatches(l, lines[i + k]!))) at = i
    if (at < 0)
      return `the output the doc shows at line ${group.line} was not printed (after line ${from} of the output):\n${group.lines.join('\n')}`
    from = at + group.lines.length
  }
  return undefined
}
