import { describe, expect, it } from 'vitest'
import { ParameterError } from '../src/errors.js'
import { compileNamed } from '../src/params.js'

const q = () => '?'
const dollar = (i: number) => `$${i + 1}`

describe(':name parameters', () => {
  it('become the dialect placeholders, with values in order', () => {
    expect(compileNamed('select * from t where a = :a and b = :b', { b: 2, a: 1 }, dollar)).toEqual({
      sql: 'select * from t where a = $1 and b = $2',
      parameters: [1, 2],
    })
  })

  it('may repeat a name', () => {
    expect(compileNamed('select :x, :x', { x: 7 }, q)).toEqual({ sql: 'select ?, ?', parameters: [7, 7] })
  })

  it('are not read inside quoted strings, identifiers or comments', () => {
    const text = `select ':a', "col:a", \`b:a\` -- :a\n /* :a */ from t where x = :a`
    expect(compileNamed(text, { a: 1 }, q)).toEqual({ sql: text.replace('x = :a', 'x = ?'), parameters: [1] })
  })

  it('leave ::type casts alone', () => {
    expect(compileNamed('select :v::int, now()::date', { v: '1' }, dollar)).toEqual({
      sql: 'select $1::int, now()::date',
      parameters: ['1'],
    })
  })

  it('skip dollar-quoted bodies', () => {
    const text = 'select $tag$ :a $tag$, $$ :b $$, :c'
    expect(compileNamed(text, { c: 3 }, dollar).sql).toBe('select $tag$ :a $tag$, $$ :b $$, $1')
  })

  it("treat '' as an escaped quote", () => {
    expect(compileNamed("select 'it''s :a', :a", { a: 1 }, q).sql).toBe("select 'it''s :a', ?")
  })

  it('honour backslash escapes only where the dialect has them', () => {
    expect(compileNamed("select 'a\\' , :x", { x: 1 }, q, false).sql).toBe("select 'a\\' , ?")
    expect(compileNamed("select 'a\\' , :x'", { x: 1 }, q, true).sql).toBe("select 'a\\' , :x'")
  })

  it('name the missing parameter', () => {
    try {
      compileNamed('select :here, :missing', { here: 1 }, q)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ParameterError)
      expect((err as ParameterError).code).toBe('MISSING_PARAMETER')
      expect((err as ParameterError).parameter).toBe('missing')
      expect((err as Error).message).toContain(':missing')
    }
  })

  it('leave values out of the SQL text', () => {
    const evil = "'; drop table t; --"
    const out = compileNamed('select :v', { v: evil }, q)
    expect(out.sql).toBe('select ?')
    expect(out.parameters).toEqual([evil])
  })
})

describe(':name parameters, dialect details', () => {
  it("skip PostgreSQL E'' strings with backslash escapes", () => {
    expect(compileNamed("select E'it\\'s :x', :y", { y: 1 }, dollar).sql).toBe("select E'it\\'s :x', $1")
  })

  it("skip MySQL's # comments", () => {
    expect(compileNamed('select 1 # :gone\n, :here', { here: 2 }, q, true)).toEqual({
      sql: 'select 1 # :gone\n, ?',
      parameters: [2],
    })
  })

  it('refuse to mix $1 with :name', () => {
    expect(() => compileNamed('select $1, :a', { a: 1 }, dollar)).toThrow(/mixes positional/)
  })
})
