import { nodeCrypto } from '../node-crypto.js'
import type { RedisLike } from './stores.js'

/** An invalidation sent to every process sharing a Redis cache. Keys and tags are hashes already. */
export interface BusMessage {
  /** The sending process's bus id. */
  readonly from: string
  /** When it was sent (ms since the epoch), for measuring how long it took to arrive. */
  readonly at: number
  readonly keys?: readonly string[]
  readonly prefixes?: readonly string[]
  readonly tags?: readonly string[]
}

const RECONNECT_MS = 1000

/**
 * Redis pub/sub on `<namespace>:bus`: one subscriber connection per Redis URL and channel in a
 * process, shared by every cache using them. It tells whether it is `up` and counts its
 * (re)subscriptions in `epoch`, so an L1 entry filled before an outage is not trusted after it
 * (invalidations sent meanwhile were lost). It reconnects on its own unref'd timer, so neither an
 * idle bus nor one waiting for Redis keeps a script from ending.
 */
export class Bus {
  /** This process's id on the bus (its own messages come back to it too). */
  readonly id = nodeCrypto().randomUUID()
  readonly #listeners = new Set<(message: BusMessage) => void>()
  #subscriber: (RedisLike & { unref(): void }) | undefined
  #up = false
  #epoch = 0
  #closed = false
  #timer: NodeJS.Timeout | undefined

  /** @param client the cache's own (publishing) client @param channel the channel name */
  constructor(
    readonly client: RedisLike,
    readonly channel: string,
  ) {}

  /** True while subscribed: invalidations from other processes arrive. */
  get up(): boolean {
    return this.#up
  }

  /** How many times the bus has (re)subscribed: entries filled under an older epoch missed messages. */
  get epoch(): number {
    return this.#epoch
  }

  /** Calls `listener` with every message, until the returned function is called. */
  listen(listener: (message: BusMessage) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Subscribes within `timeoutMs`; on failure the bus stays down and retries every second. */
  async start(timeoutMs: number): Promise<void> {
    if (this.#closed) return
    const subscriber = this.client.duplicate({ disableOfflineQueue: true, socket: { reconnectStrategy: false } })
    subscriber.unref()
    this.#subscriber = subscriber
    const down = () => {
      if (this.#subscriber !== subscriber) return
      this.#up = false
      this.#subscriber = undefined
      try {
        subscriber.destroy?.()
      } catch {}
      this.#retry()
    }
    subscriber.on('error', down)
    subscriber.on('end', down)
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        (async () => {
          await subscriber.connect?.()
          await subscriber.subscribe(this.channel, (text) => this.#receive(text))
        })(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis bus did not subscribe within ${timeoutMs} ms`)), timeoutMs)
        }),
      ])
      if (this.#subscriber === subscriber) {
        this.#epoch++
        this.#up = true
      }
    } catch {
      down()
    } finally {
      clearTimeout(timer)
    }
  }

  #retry(): void {
    if (this.#closed || this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.start(RECONNECT_MS * 2)
    }, RECONNECT_MS)
    this.#timer.unref()
  }

  #receive(text: string): void {
    let message: BusMessage
    try {
      message = JSON.parse(text) as BusMessage
    } catch {
      return // not ours
    }
    for (const listener of this.#listeners) listener(message)
  }

  /** Sends `message` to every process (this one included). Rejects when Redis does not take it. */
  async publish(message: Omit<BusMessage, 'from' | 'at'>): Promise<void> {
    await this.client.publish(this.channel, JSON.stringify({ ...message, from: this.id, at: Date.now() }))
  }

  /** Unsubscribes and stops reconnecting. */
  close(): void {
    this.#closed = true
    this.#up = false
    clearTimeout(this.#timer)
    try {
      this.#subscriber?.destroy?.()
    } catch {}
    this.#subscriber = undefined
  }
}

const buses = new Map<string, { bus: Bus; users: number }>()

/** The bus for `channel` on the Redis of `client` (`url` names it), shared in the process. */
export function acquireBus(url: string, client: RedisLike, channel: string, timeoutMs: number): Promise<Bus> {
  const id = `${url}\n${channel}`
  let shared = buses.get(id)
  if (!shared) {
    shared = { bus: new Bus(client, channel), users: 0 }
    buses.set(id, shared)
    const bus = shared.bus
    shared.users++
    return bus.start(timeoutMs).then(() => bus)
  }
  shared.users++
  return Promise.resolve(shared.bus)
}

/** Releases a bus from `acquireBus`; the last user closes it. */
export function releaseBus(url: string, channel: string): void {
  const id = `${url}\n${channel}`
  const shared = buses.get(id)
  if (!shared) return
  if (--shared.users > 0) return
  buses.delete(id)
  shared.bus.close()
}
