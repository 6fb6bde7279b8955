import { once } from 'node:events'
import type { Writable } from 'node:stream'

/** Output formats of `sqlconn query`. */
export const FORMATS = ['table', 'csv', 'json', 'ndjson', 'arrow'] as const
export type Format = (typeof FORMATS)[number]

/** The format an output file's extension names, if any (`.csv`, `.json`, `.ndjson`/`.jsonl`, `.arrow`/`.arrows`). */
export function formatOfFile(file: string): Format | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase()
  if (ext === 'csv' || ext === 'json' || ext === 'ndjson') return ext
  if (ext === 'jsonl') return 'ndjson'
  if (ext === 'arrow' || ext === 'arrows') return 'arrow'
  return undefined
}

/** Writes `chunk`, waiting for `drain` when the stream's buffer is full, so memory stays bounded. */
export async function write(out: Writable, chunk: string | Uint8Array): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain')
}

/** One value as CSV text: null empty, dates ISO 8601, bytes base64, objects JSON; quoted when needed. */
export function csvValue(v: unknown): string {
  let s: string
  if (v === null || v === undefined) return ''
  if (typeof v === 'string') s = v
  else if (v instanceof Date) s = Number.isNaN(v.getTime()) ? '' : v.toISOString()
  else if (v instanceof Uint8Array) s = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  else if (typeof v === 'object') s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  else s = String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** One CSV line (RFC 4180, `\n` line ends) of `values`. */
export function csvLine(values: readonly unknown[]): string {
  let line = ''
  for (let i = 0; i < values.length; i++) line += (i ? ',' : '') + csvValue(values[i])
  return `${line}\n`
}

/** JSON that keeps what JSON cannot say: bigints as numbers when exact, else strings; bytes as base64. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  if (
    v &&
    typeof v === 'object' &&
    (v as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
  ) {
    return Buffer.from((v as { data: number[] }).data).toString('base64')
  }
  return v
}
