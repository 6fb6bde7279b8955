/**
 * For adapters of embedded databases (SQLite, DuckDB): the SQLAlchemy-style URL that names a file
 * (`scheme:///relative.db`, `scheme:////absolute.db`, `scheme://` in memory), and the one option
 * that names the file, whichever of the URL and the path option gave it.
 */
import path from 'node:path'
import { ConfigError } from './errors.js'
import { partOf } from './precedence.js'
import { maskUrlPasswords } from './redact.js'
import type { ResolvedConfig } from './resolved-config.js'

/** How one adapter's file URLs look and what its messages say. */
export interface FileUrlForm {
  /** Matches the URL's scheme and its `://` (`/^sqlite(?:\+[a-z0-9]+)?:\/\//i`). */
  scheme: RegExp
  /** The database's name in messages (`SQLite`). */
  server: string
  /** The forms to write, for the message about a URL that is not one (`sqlite:///relative/path.db, ...`). */
  forms: string
  /** What to give instead of query parameters, which are not read. */
  queryAdvice: string
  /** The three-slash form, for the message about a URL with a host part (`sqlite:///path.db`). */
  example: string
  /** Checks the file as written in the URL (before it is made absolute); throws a ConfigError to refuse it. */
  check?(file: string): void
}

/**
 * The file a URL of `form` names: ":memory:" for `scheme://`, `scheme:///` and `scheme:///:memory:`;
 * otherwise the path after the third slash, made absolute against `cwd` (a fourth slash starts an
 * absolute path). Query parameters and a host part are ConfigErrors that say what to write instead.
 */
export function fileFromUrl(url: string, form: FileUrlForm, cwd = process.cwd()): string {
  const text = url.trim()
  const scheme = form.scheme.exec(text)
  const m = scheme?.index === 0 ? /^([^?#]*)(\?[^#]*)?$/.exec(text.slice(scheme[0].length)) : null
  if (!m) {
    throw new ConfigError(
      'INVALID_OPTION',
      'url',
      `"${maskUrlPasswords(url)}" is not a ${form.server} URL: use ${form.forms}.`,
    )
  }
  if (m[2]) {
    throw new ConfigError(
      'INVALID_OPTION',
      'url',
      `${form.server} URL query parameters (${m[2]}) are not read: ${form.queryAdvice}.`,
    )
  }
  const rest = decodeURIComponent(m[1]!)
  if (rest === '' || rest === '/' || rest === '/:memory:') return ':memory:'
  if (!rest.startsWith('/')) {
    throw new ConfigError(
      'INVALID_OPTION',
      'url',
      `"${maskUrlPasswords(url)}" has a host part; ${form.server} URLs start with three slashes: ${form.example}.`,
    )
  }
  const file = rest.slice(1)
  form.check?.(file)
  return path.resolve(cwd, file)
}

/**
 * `config` with the file option `name` (`filename`, `path`) holding the file really opened: the
 * file the `url` names (`fromUrl`, usually `fileFromUrl` with the adapter's form), or the given path
 * as the driver opens it (`absolute`). The url names the file when no path was given, when the path
 * is only the default, or when both came from the same source (they form a group: a URL is the more
 * complete statement); a path given in a higher source wins over the url. The entry keeps its
 * source: the url's (as a part of it) or the path's.
 */
export function withFileOption(
  config: ResolvedConfig,
  name: string,
  fromUrl: (url: string) => string,
  absolute: (file: string) => string,
): ResolvedConfig {
  const url = config.get<string>('url')
  const given = config.get<string>(name)
  const fromUrlSource = config.origin('url')
  const fromPath = config.origin(name)
  const urlWins = given === undefined || fromPath?.kind === 'default' || fromPath?.rank === fromUrlSource?.rank
  if (url !== undefined && fromUrlSource && urlWins) {
    return config.with(name, fromUrl(url), partOf(fromUrlSource, 'url'))
  }
  return config.with(name, absolute(given ?? ''))
}
