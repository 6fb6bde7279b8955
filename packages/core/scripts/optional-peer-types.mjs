// After tsup: the declarations import apache-arrow's types for toArrow() and the stream methods,
// but apache-arrow is an optional peer. Marking those imports `@ts-ignore` lets an app without it
// compile with skipLibCheck off (the Arrow types are then `any`); with it, nothing changes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const OPTIONAL_PEERS = ['apache-arrow', '@opentelemetry/api']
const MARK = '// @ts-ignore -- optional peer: without it installed, its types are any'
const dist = path.join(import.meta.dirname, '..', 'dist')

for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts'))) {
  const full = path.join(dist, file)
  const lines = readFileSync(full, 'utf8').split('\n')
  const out = []
  for (const line of lines) {
    const isPeerImport = /^import\b/.test(line) && OPTIONAL_PEERS.some((p) => line.includes(`'${p}'`))
    if (isPeerImport && out.at(-1) !== MARK) out.push(MARK)
    out.push(line)
  }
  writeFileSync(full, out.join('\n'))
}
