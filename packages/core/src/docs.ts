import type { OptionSpec } from './contract.js'

/** The options table of a connection type as Markdown, generated from its declaration. */
export function optionsTable(options: readonly OptionSpec[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const rows = options.map((o) => {
    const name = [o.name, ...(o.aliases ?? [])].map((n) => `\`${n}\``).join(', ')
    const required =
      o.required === true
        ? 'yes'
        : typeof o.required === 'object'
          ? `unless ${o.required.unless.map((n) => `\`${n}\``).join(', ')}`
          : ''
    const def = o.default === undefined ? '' : `\`${JSON.stringify(o.default)}\``
    return `| ${name} | ${o.type} | ${required} | ${def} | ${o.secret ? 'yes' : ''} | ${esc(o.native?.join(', ') ?? '')} | ${esc(o.description)} |`
  })
  return [
    '| option | type | required | default | secret | native source | description |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

/** A Markdown table's rows, cells trimmed, so a table a formatter re-aligned still compares. */
function tableRows(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .join('|'),
    )
}

/**
 * The rows of `optionsTable(options)` that a Markdown text does not hold, for a docs test: empty when
 * the docs list every option as it is declared. Cell padding does not count.
 */
export function missingOptionRows(markdown: string, options: readonly OptionSpec[]): string[] {
  const documented = new Set(tableRows(markdown))
  return tableRows(optionsTable(options)).filter((row) => !documented.has(row))
}
