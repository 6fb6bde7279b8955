import { describe, expect, it } from 'vitest'
import { missingOutput, steps } from './blocks.ts'

const fence = '```'

describe('reading a doc', () => {
  it('joins a continued block to the program before it', () => {
    const plan = steps(`${fence}js\nconst a = 1\n${fence}\n\n${fence}js continued\nconsole.log(a)\n${fence}\n`)
    expect(plan).toHaveLength(1)
    expect(plan[0]).toMatchObject({ kind: 'program', source: 'const a = 1\n\nconsole.log(a)\n' })
  })

  it('writes a TOML block only when its first line names the file', () => {
    const plan = steps(`${fence}toml\n# .sqlconn/secrets.toml\n[a]\n${fence}\n${fence}toml\n[b]\n${fence}\n`)
    expect(plan).toEqual([
      { kind: 'files', line: 1, files: [{ path: '.sqlconn/secrets.toml', content: '# .sqlconn/secrets.toml\n[a]\n' }] },
    ])
  })

  it('splits a TOML block at each comment naming another file', () => {
    const plan = steps(`${fence}toml\n# ~/.sqlconn/secrets.toml\n[a]\n\n# ./.sqlconn/secrets.toml\n[b]\n${fence}\n`)
    expect(plan[0]).toMatchObject({ files: [{ path: '~/.sqlconn/secrets.toml' }, { path: '.sqlconn/secrets.toml' }] })
  })

  it('rejects a flag it does not know instead of running the block', () => {
    expect(() => steps(`${fence}js no_run\nx()\n${fence}\n`)).toThrow(/unknown flag no_run/)
  })

  it('reads a `// →` claim up to a remark, and comment-only lines as more of it', () => {
    const plan = steps(`${fence}js\nconsole.log(x) // → 1 // a remark\nconsole.log(y)\n// → a\n// → b\n${fence}\n`)
    expect(plan[0]).toMatchObject({
      expected: [
        { line: 2, lines: ['1'] },
        { line: 4, lines: ['a', 'b'] },
      ],
    })
  })
})

describe('comparing output', () => {
  it('finds each claim after the previous one, other lines between', () => {
    const expected = [
      { line: 1, lines: ['a'] },
      { line: 2, lines: ['c…', 'd'] },
    ]
    expect(missingOutput(expected, 'a\nb\ncat\nd\n')).toBeUndefined()
  })

  it('names the claim that was not printed', () => {
    expect(missingOutput([{ line: 7, lines: ['2'] }], '1\n3\n')).toMatch(/line 7/)
  })

  it('does not accept the lines of one claim apart from each other', () => {
    expect(missingOutput([{ line: 1, lines: ['a', 'b'] }], 'a\nx\nb\n')).toBeDefined()
  })
})
