/**
 * A Redis server of a test's own: a real `redis-server` on a free port, which the test may stop
 * and start again without touching the Redis other tests (and other people) share.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createConnection, createServer } from 'node:net'
import { waitUntilAnswers } from './restart.js'

/** A running private Redis, from `startPrivateRedis()`. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>`: the same port across stops and starts. */
  readonly url: string
  /** The port it listens on, kept across stops and starts. */
  readonly port: number
  /** Stops the server (SIGTERM; nothing is saved) and resolves once its process has exited. */
  stop(): Promise<void>
  /** Starts it again on the same port and resolves once it answers PING. */
  start(): Promise<void>
  /** Stops it for good (for a `finally`); safe to call when it is already stopped. */
  close(): Promise<void>
}

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('No free port')
  return address.port
}

/** Resolves when a Redis on `port` answers PING with PONG within one second; rejects otherwise. */
function ping(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let answer = ''
    const done = (err?: Error) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve()
    }
    const timer = setTimeout(() => done(new Error(`Redis on ${port} did not answer PING`)), 1000)
    socket.on('error', done)
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => {
      answer += d.toString()
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') ? undefined : new Error(answer.trim()))
    })
  })
}

/** The path of `redis-server`, or an error saying it is needed (the CI machine has it). */
function redisServerPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error('redis-server is not on the PATH: these tests start a Redis of their own to stop it.')
  }
}

/**
 * Starts a `redis-server` of the test's own on a free port (no persistence: `--save ""`,
 * `--appendonly no`) and resolves once it answers. Stop it in a `finally` with `close()`.
 *
 * @example
 * const redis = await startPrivateRedis()
 * try { await redis.stop(); ...; await redis.start() } finally { await redis.close() }
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const bin = redisServerPath()
  const port = await freePort()
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  const start = async () => {
    if (child) return
    const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    })
    child = proc
    exited = new Promise((resolve) => proc.once('exit', () => resolve()))
    void exited.then(() => {
      if (child === proc) child = undefined
    })
    await waitUntilAnswers(() => ping(port), 10_000)
  }
  const stop = async () => {
    const proc = child
    if (!proc) return
    proc.kill('SIGTERM')
    await exited
  }
  await start()
  return { url: `redis://127.0.0.1:${port}`, port, start, stop, close: stop }
}
