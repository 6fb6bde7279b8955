// Bundles the page for the server to serve: page/main.ts with apache-arrow and Observable Plot
// into dist/app.js, beside index.html and app.css. Run by `pnpm build` and `pnpm dashboard`.
import { copyFileSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Writes dist/ (index.html, app.css, app.js with its libraries inlined); takes well under a second. */
export async function buildPage(): Promise<void> {
  mkdirSync(`${root}dist`, { recursive: true })
  await build({
    entryPoints: [`${root}page/main.ts`],
    outfile: `${root}dist/app.js`,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'eof',
    logLevel: 'warning',
  })
  for (const file of ['index.html', 'app.css']) copyFileSync(`${root}page/${file}`, `${root}dist/${file}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildPage()
