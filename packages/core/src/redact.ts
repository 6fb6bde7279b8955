/**
 * Secrets kept out of everything printed: URL passwords found in text, secret-named keys at any
 * depth, and the redaction of sqlconn's own errors.
 */
import { inspect } from 'node:util'
import type { OptionSpec } from './contract.js'
import { SqlconnError } from './errors.js'

/** What a secret is shown as. */
export const MASK = '****'
/** Option names that hold secrets even when an adapter forgot to declare `secret: true`. */
export const SECRET_NAME = /pass(word|wd|phrase)?$|secret|token|credential|private_?key|api_?key|^key$/i
/** `scheme://` and the URL text after it, up to whitespace or a quote that may enclose it. */
const URL_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/([^\s"'`<>]*)/gi

/**
 * Where each URL's password lies in `text`, as [start, end) offsets. The password runs from the
 * first ':' of the userinfo to the URL's last '@': people paste passwords holding unescaped
 * '@', ':', '/', '?' and '#', and a URL parser would split those anywhere. A '@' later in a query
 * string makes more of the URL count as password; over-masking is the safe way to be wrong.
 */
function urlPasswordSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  for (const m of text.matchAll(URL_TEXT)) {
    const rest = m[1]!
    const restStart = m.index + m[0].length - rest.length
    const userEnd = rest.search(/[:/?#@]/)
    if (userEnd < 0 || rest[userEnd] !== ':') continue
    const at = rest.lastIndexOf('@')
    if (at <= userEnd) continue
    spans.push([restStart + userEnd + 1, restStart + at])
  }
  return spans
}

/** The passwords of every `scheme://user:password@host` in `text`, as written and percent-decoded. */
export function urlPasswords(text: string): string[] {
  const out: string[] = []
  for (const [start, end] of urlPasswordSpans(text)) {
    const password = text.slice(start, end)
    if (password === '') continue
    out.push(password)
    try {
      const decoded = decodeURIComponent(password)
      if (decoded !== password) out.push(decoded)
    } catch {}
  }
  return out
}

/** Masks the password inside any `scheme://user:password@host` in `text`. */
export function maskUrlPasswords(text: string): string {
  const spans = urlPasswordSpans(text)
  if (spans.length === 0) return text
  let out = ''
  let from = 0
  for (const [start, end] of spans) {
    out += `${text.slice(from, start)}${MASK}`
    from = end
  }
  return out + text.slice(from)
}

/** A copy of `value` with secret-named keys masked at any depth and URL passwords masked in strings. */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskUrlPasswords(value)
  if (value === null || typeof value !== 'object' || depth > 8 || value instanceof Date) return value
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.byteLength} bytes>`
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_NAME.test(k) || /^(key|cert|pfx|ca)$/i.test(k) ? MASK : maskDeep(v, depth + 1)
  }
  return out
}

/**
 * Adds to `out` the secrets inside an option's object value (a driver's `ssl` or `auth` settings):
 * strings under secret-named keys and the passwords of URL-shaped strings, at any depth up to 8.
 */
export function collectNestedSecrets(value: object, out: string[], depth: number): void {
  if (depth > 8 || value instanceof Date || value instanceof Uint8Array) return
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && (SECRET_NAME.test(k) || /^key$/i.test(k))) out.push(v)
    else if (typeof v === 'string') out.push(...urlPasswords(v))
    else if (v !== null && typeof v === 'object') collectNestedSecrets(v, out, depth + 1)
  }
}

/**
 * Every string in `values` that must never be printed, found without resolving them: the values of
 * secret-named keys and the passwords inside URL-shaped strings, at any depth. Used when an error
 * comes from resolving the config itself, before the declared `secret` flags are known.
 */
export function secretsIn(values: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = []
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string') {
      if (SECRET_NAME.test(k)) out.push(v)
      out.push(...urlPasswords(v))
    } else if (v !== null && typeof v === 'object') collectNestedSecrets(v, out, 0)
  }
  return out.filter((s) => s.length > 0)
}

/** Replaces every secret string in `text` with a mask, and masks URL passwords. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = maskUrlPasswords(text)
  // Longest first: a password may contain a shorter secret (its percent-decoded form, say).
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length > 0) out = out.split(s).join(MASK)
  return out
}

/**
 * Removes `secrets` and URL passwords from one of sqlconn's own errors, in place: its message,
 * stack and string properties. A `cause` that would show a secret (a URL parser's error keeps the
 * whole URL in `input`) is replaced by a redacted copy; the original is not touched. Other errors
 * are returned as they are: they are not ours to change, and sqlconn wraps the ones it reports.
 */
export function redactError<E>(error: E, secrets: readonly string[]): E {
  if (!(error instanceof SqlconnError)) return error
  const clean = (text: string) => redact(text, secrets)
  const fields = error as unknown as Record<string, unknown>
  for (const key of Object.keys(error)) if (typeof fields[key] === 'string') fields[key] = clean(fields[key] as string)
  error.message = clean(error.message)
  if (error.stack) error.stack = clean(error.stack)
  const cause = error.cause
  if (cause instanceof SqlconnError) redactError(cause, secrets)
  else if (cause !== undefined) {
    const shown = inspect(cause, { depth: 4 })
    if (clean(shown) !== shown) {
      // The copy keeps what code branches on (a driver's code, severity, errno), redacted.
      const copy = new Error(clean(cause instanceof Error ? cause.message : String(cause)))
      copy.name = cause instanceof Error ? cause.name : 'Error'
      if (typeof cause === 'object' && cause !== null) {
        for (const [k, v] of Object.entries(cause)) {
          if (typeof v === 'string') Object.assign(copy, { [k]: clean(v) })
          else if (typeof v === 'number' || typeof v === 'boolean') Object.assign(copy, { [k]: v })
        }
      }
      copy.stack = cause instanceof Error && cause.stack ? clean(cause.stack) : copy.stack
      Object.defineProperty(error, 'cause', { value: copy, configurable: true, writable: true, enumerable: false })
    }
  }
  return error
}

/** True when an option holds a secret: declared `secret`, or named like one when undeclared. */
export function isSecret(spec: OptionSpec | undefined, name: string): boolean {
  return spec?.secret ?? SECRET_NAME.test(name)
}
