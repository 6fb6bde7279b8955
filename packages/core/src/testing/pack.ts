/**
 * A test helper for "the published package works": pack packages as they would be published and
 * install them with npm into a new project outside the workspace, as a user does. Exported from
 * `@sqlconn/core/testing`.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'

/**
 * Runs pnpm with `args` in `cwd`: the pnpm running the tests when there is one (`npm_execpath`),
 * else the workspace's pinned pnpm through npx.
 */
function pnpm(args: string[], cwd: string): string {
  const execpath = process.env.npm_execpath
  if (execpath && /pnpm/.test(execpath)) {
    return execFileSync(
      /\.c?js$/.test(execpath) ? process.execPath : execpath,
      /\.c?js$/.test(execpath) ? [execpath, ...args] : args,
      { cwd, encoding: 'utf8' },
    )
  }
  return execFileSync('npx', ['-y', 'pnpm@10.34.9', ...args], { cwd, encoding: 'utf8' })
}

/**
 * Packs each of `packageDirs` with `pnpm pack` (so `workspace:` ranges become versions, as
 * published) into a new temporary project (an ES module package), and installs the tarballs there
 * with npm together with `extra` (`name@version` specs: the peers a user installs). Returns the
 * project's directory, which the caller removes; a failed install removes it and throws.
 */
export function packAndInstall(
  packageDirs: readonly string[],
  extra: readonly string[],
  prefix = 'sqlconn-pack-',
): string {
  const project = mkdtempSync(path.join(tmpdir(), prefix))
  try {
    for (const dir of packageDirs) pnpm(['pack', '--pack-destination', project], dir)
    const tarballs = readdirSync(project).filter((f) => f.endsWith('.tgz'))
    expect(tarballs).toHaveLength(packageDirs.length)
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
    )
    execFileSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...tarballs.map((t) => `./${t}`),
        ...extra,
      ],
      { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 },
    )
    return project
  } catch (err) {
    rmSync(project, { recursive: true, force: true })
    throw err
  }
}
