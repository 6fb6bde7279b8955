import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Files, missingOutput, type Step, steps } from './blocks.ts'
import { DOC_URLS, type Sandbox, type Services, sandbox, services } from './run.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/** docs/writing-an-adapter.md is built as a package by its own test (packages/core/test/docs-adapter.test.ts). */
const OWN_TEST = new Set(['docs/writing-an-adapter.md'])

/** Every Markdown file whose blocks a newcomer would run: docs/, the root README and every package's and example's. */
function documents(): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
  const readmes = ['packages', 'examples'].flatMap((dir) =>
    readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${dir}/${d.name}/README.md`)
      .filter((f) => {
        try {
          readFileSync(path.join(root, f))
          return true
        } catch {
          return false
        }
      }),
  )
  return ['README.md', ...docs, ...readmes].filter((f) => !OWN_TEST.has(f)).sort()
}

/** Bounds one block's run: a block that hangs fails instead of holding up CI. */
const PROGRAM_TIMEOUT_MS = 60_000

for (const doc of documents()) {
  const markdown = readFileSync(path.join(root, doc), 'utf8')
  let plan: Step[]
  try {
    plan = steps(markdown)
  } catch (err) {
    it(`${doc} marks its blocks with flags the test knows`, () => {
      throw err
    })
    continue
  }
  if (!plan.some((s) => s.kind !== 'files')) continue

  describe(doc, () => {
    let box: Sandbox
    let svc: Services
    beforeAll(async () => {
      box = sandbox(doc)
      svc = await services(markdown)
    })
    afterAll(async () => {
      box?.remove()
      await svc?.drop()
    })

    let pending: Files['files'] = []
    for (const step of plan) {
      if (step.kind === 'files') {
        pending.push(...step.files)
        continue
      }
      if (step.kind === 'skipped') {
        it.skip(`line ${step.line} (no-run)`, () => {})
        continue
      }
      const files = pending
      pending = []
      it(
        `line ${step.line} runs and prints what the doc shows`,
        async () => {
          box.write(files, svc)
          const sent = svc.spans.length
          const { code, output } = await box.run(step, svc, PROGRAM_TIMEOUT_MS)
          expect(code, `exit code; output:\n${output}`).toBe(0)
          const missing = missingOutput(step.expected, output)
          expect(missing, `\n--- printed:\n${output}`).toBeUndefined()
          // A program that sends spans to the collector the doc names: they arrived.
          if (step.source.includes(DOC_URLS.otlp))
            expect(svc.spans.slice(sent), 'spans the collector got').not.toEqual([])
        },
        PROGRAM_TIMEOUT_MS + 10_000,
      )
    }
  })
}
