/** Exit statuses: 1 for a failure (a check failed, a query errored), 130 after Ctrl-C as shells expect. */
export const EXIT_FAILURE = 1
export const EXIT_INTERRUPTED = 130

/** An error the CLI itself raises about its arguments; printed like core's typed errors. */
export class CliError extends Error {
  readonly code: string
  /** @param code a stable code for scripts, like core's @param message what to change */
  constructor(code: string, message: string) {
    super(message)
    this.code = code
    this.name = 'CliError'
  }
}

/** The `code` of a typed error (core's, from any copy of core, or the CLI's), else undefined. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' ? code : undefined
}

/** One error as the user reads it: `error [CODE]: message`; with `verbose`, its stack and causes. */
export function formatError(err: unknown, verbose: boolean): string {
  const message = err instanceof Error ? err.message : String(err)
  const code = errorCode(err)
  const head = `error${code ? ` [${code}]` : ''}: ${message}`
  if (!verbose) return head
  const lines = [head]
  let cause: unknown = err
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (depth > 0) lines.push(`caused by: ${cause.message}`)
    if (cause.stack) lines.push(cause.stack.split('\n').slice(1).join('\n'))
    cause = cause.cause
  }
  return lines.join('\n')
}

/** Code and message of an error as data, for `--json` output. */
export function errorJson(err: unknown): { code: string | undefined; message: string } {
  return { code: errorCode(err), message: err instanceof Error ? err.message : String(err) }
}
