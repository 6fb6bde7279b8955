import { readFileSync } from 'node:fs'
import type { SqlConnection } from '@sqlconn/core'
import { Command, InvalidArgumentError, Option } from 'commander'
import { loadCore, loadedCore } from './core.js'
import { type DoctorReport, doctorOne, formatReport } from './doctor.js'
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED, formatError } from './errors.js'
import { FORMATS, type Format, formatOfFile } from './output.js'
import { parseParams, type QueryProgress, runQuery } from './query.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

const program = new Command()
  .name('sqlconn')
  .description(
    'Check, query and manage the connections in .sqlconn/secrets.toml (and ~/.sqlconn/secrets.toml, ' +
      'SQLCONN_SECRETS_FILE). Adapters load from the project in the working directory, as connection() does.',
  )
  .version(version, '-V, --version', 'print the version')
  .option('--verbose', 'print stacks and causes with errors')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Examples:
  $ sqlconn doctor                      check every connection
  $ sqlconn query shop "select * from orders where total > :min" -p min=100
  $ sqlconn query warehouse "select * from events" -o events.csv
  $ sqlconn cache clear shop`,
  )

const positiveInt = (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer.')
  return n
}

/** Every connection named, or every section of the secrets files. */
async function sectionsFor(names: string[]): Promise<Array<{ name: string; type: string | undefined }>> {
  const core = await loadCore()
  const sections = core.connectionSections()
  if (names.length === 0) {
    if (sections.length === 0) {
      throw new CliError('NO_CONNECTIONS', `No [connections.<name>] sections in the secrets files:\n${filesList()}`)
    }
    return sections
  }
  return names.map((name) => ({ name, type: sections.find((s) => s.name === name)?.type }))
}

function filesList(): string {
  const home = process.env.HOME ?? '~'
  const extra = (process.env.SQLCONN_SECRETS_FILE ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean)
  return [`${home}/.sqlconn/secrets.toml`, `${process.cwd()}/.sqlconn/secrets.toml`, ...extra]
    .map((f) => `  - ${f}`)
    .join('\n')
}

program
  .command('doctor')
  .description(
    'Check connections: type and adapter package, resolved config with the source of each value ' +
      '(secrets masked), a ping with its latency, the server version and the cache store. ' +
      'Exits 1 when any check fails.',
  )
  .argument('[name...]', 'connections to check (default: every section of the secrets files)')
  .option('--json', 'print the reports as JSON, for scripts')
  .option('--timeout <seconds>', 'longest a connection may take to answer, retries included', positiveInt, 5)
  .action(async (names: string[], opts: { json?: boolean; timeout: number }) => {
    const sections = await sectionsFor(names)
    const reports: DoctorReport[] = []
    const color = process.stdout.isTTY === true && !process.env.NO_COLOR
    for (const s of sections) {
      const report = await doctorOne(s.name, s.type, { timeoutMs: opts.timeout * 1000 })
      reports.push(report)
      if (!opts.json) process.stdout.write(`${formatReport(report, color)}\n\n`)
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`)
    else {
      const failed = reports.filter((r) => !r.ok).length
      process.stdout.write(
        failed ? `${failed} of ${reports.length} connections failed.\n` : `All ${reports.length} connections ok.\n`,
      )
    }
    if (reports.some((r) => !r.ok)) process.exitCode = EXIT_FAILURE
  })

const collect = (value: string, previous: string[]) => [...previous, value]

program
  .command('query')
  .description(
    'Run a query and print or save its result. csv, ndjson and arrow are written as the rows arrive ' +
      '(bounded memory for any size); table and json read the whole result. Ctrl-C cancels.',
  )
  .argument('<name>', 'the connection ([connections.<name>] or a type such as sqlite)')
  .argument('<sql>', 'the query; :name placeholders take -p values')
  .option('-p, --param <name=value>', 'a value for a :name placeholder, as text (repeatable)', collect, [])
  .addOption(
    new Option(
      '-f, --format <format>',
      "output format (default: table on a terminal, else csv; or from -o's extension)",
    ).choices(FORMATS),
  )
  .option('-o, --output <file>', 'write to a file instead of stdout')
  .option('--ttl <duration>', "cache the result for this long in the connection's cache store ('90s', '10m', seconds)")
  .option('--max-rows <n>', 'rows the table format shows', positiveInt, 100)
  .option('--chunk-size <n>', 'rows read from the database per chunk when streaming', positiveInt, 10_000)
  .option('-q, --quiet', 'no row count or progress on stderr')
  .action(async (name: string, sql: string, opts: Record<string, unknown>) => {
    const output = opts.output as string | undefined
    const format: Format =
      (opts.format as Format | undefined) ??
      (output ? formatOfFile(output) : undefined) ??
      (!output && process.stdout.isTTY ? 'table' : 'csv')
    const controller = new AbortController()
    const progress: QueryProgress = { rows: 0 }
    let interrupted = false
    const onSigint = () => {
      // A second Ctrl-C does not wait for the cleanup.
      if (interrupted) process.exit(EXIT_INTERRUPTED)
      interrupted = true
      controller.abort(new CliError('CANCELLED', 'Cancelled (Ctrl-C).'))
    }
    process.on('SIGINT', onSigint)
    // `sqlconn query ... | head` closes stdout early: stop reading, without an error.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') controller.abort(new CliError('EPIPE', 'stdout closed'))
    })
    try {
      await runQuery(
        name,
        sql,
        {
          params: parseParams(opts.param as string[]),
          format,
          output,
          ttl: opts.ttl as string | undefined,
          maxRows: opts.maxRows as number,
          chunkSize: opts.chunkSize as number,
          quiet: opts.quiet === true,
        },
        controller.signal,
        progress,
      )
    } catch (err) {
      if (!controller.signal.aborted) throw err
      if ((controller.signal.reason as CliError).code === 'EPIPE') return
      process.stderr.write(
        `Cancelled after ${progress.rows.toLocaleString('en-US')} rows${output ? `; removed ${output}` : ''}.\n`,
      )
      process.exitCode = EXIT_INTERRUPTED
    } finally {
      process.off('SIGINT', onSigint)
    }
  })

program
  .command('connections')
  .description('List the [connections.<name>] sections of the secrets files, with the file each came from.')
  .option('--json', 'print them as JSON')
  .action(async (opts: { json?: boolean }) => {
    const core = await loadCore()
    const sections = core.connectionSections()
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(sections, null, 2)}\n`)
      return
    }
    if (sections.length === 0) {
      process.stdout.write(`No [connections.<name>] sections in the secrets files:\n${filesList()}\n`)
      return
    }
    const w = Math.max(...sections.map((s) => s.name.length))
    const tw = Math.max(4, ...sections.map((s) => (s.type ?? '?').length))
    for (const s of sections) {
      process.stdout.write(`${s.name.padEnd(w)}  ${(s.type ?? '?').padEnd(tw)}  ${s.files.join(', ')}\n`)
    }
  })

const cache = program.command('cache').description("Inspect or clear a connection's query cache.")

cache
  .command('stats')
  .description('Where the connection caches results, whether that store answers, and how many results it holds.')
  .argument('<name>', 'the connection')
  .option('--json', 'print as JSON')
  .action(async (name: string, opts: { json?: boolean }) => {
    const core = await loadCore()
    const conn = await core.connection<SqlConnection>(name)
    const status = await conn.cacheStatus()
    if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`)
    else {
      process.stdout.write(`store    ${status.kind === 'off' ? 'off' : status.store}\n`)
      if (status.kind !== 'off') {
        process.stdout.write(
          `answers  ${status.answers ? `yes, in ${status.latencyMs?.toFixed(1)} ms` : `no: ${status.error}`}\n`,
        )
        if (status.entries !== undefined) process.stdout.write(`entries  ${status.entries}\n`)
        if (status.kind === 'memory') {
          process.stdout.write(
            '(an in-process cache lives and dies with each process: configure a shared store to keep results across runs)\n',
          )
        }
      }
    }
    if (status.kind !== 'off' && !status.answers) process.exitCode = EXIT_FAILURE
  })

cache
  .command('clear')
  .description('Remove every cached result of the connection from its cache store (for every app server sharing it).')
  .argument('<name>', 'the connection')
  .action(async (name: string) => {
    const core = await loadCore()
    const conn = await core.connection<SqlConnection>(name)
    const before = await conn.cacheStatus()
    if (before.kind !== 'off' && !before.answers) {
      throw new CliError(
        'CACHE_UNREACHABLE',
        `The cache store of "${name}" (${before.store}) does not answer: ${before.error}`,
      )
    }
    await conn.clearCache()
    process.stdout.write(
      before.kind === 'off'
        ? `Caching is off for "${name}"; nothing to clear.\n`
        : `Cleared ${before.entries ?? 'the'} cached results of "${name}" from ${before.store}.\n`,
    )
  })

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv)
  } catch (err) {
    process.stderr.write(`${formatError(err, program.opts().verbose === true)}\n`)
    process.exitCode = EXIT_FAILURE
  } finally {
    // Pools and Redis clients end here, so the process exits as soon as the work is done.
    const core = await loadedCore()?.catch(() => undefined)
    await core?.closeAll().catch(() => {})
  }
}

await main()
