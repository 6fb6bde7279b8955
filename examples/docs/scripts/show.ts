/**
 * Prints what each program of one doc prints, run as the docs test runs it: a help for writing its
 * `// →` claims and output blocks. Usage: pnpm --filter docs-examples show docs/caching.md
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { steps } from '../test/blocks.ts'
import { sandbox, services } from '../test/run.ts'

const doc = process.argv[2]
if (!doc) throw new Error('Name a Markdown file, relative to the repository root: docs/caching.md')
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const markdown = readFileSync(path.join(root, doc), 'utf8')
const svc = await services(markdown)
const box = sandbox(doc)
try {
  for (const step of steps(markdown)) {
    if (step.kind === 'files') box.write(step.files, svc)
    if (step.kind !== 'program') continue
    const { code, output } = await box.run(step, svc, 60_000)
    console.log(`--- ${doc} line ${step.line} (exit ${code})\n${output}`)
  }
} finally {
  box.remove()
  await svc.drop()
}
