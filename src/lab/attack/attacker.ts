/**
 * The attacker: a plain js-libp2p node (TCP, Noise, Yamux, identify, GossipSub) with no Kith code.
 * It knows Kith only from docs/PROTOCOLS.md: protocol ids, the varint length prefix and the
 * message shapes, all built by hand in wire.ts. Each attack runs on one connection to the
 * victim; `disconnected` resolves when the victim hangs up on it.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { Connection, IdentifyResult, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Clock, Rng } from '../../core/clock.ts'
import { BITSWAP_PROTOCOL, HELLO_PROTOCOL_RE } from './constants.ts'
import { bitswapWantlist, concat, junkBlockMessage, junkTransfer, randomBytes, varint } from './wire.ts'

type AttackerServices = { identify: Identify; pubsub: GossipSub }

export interface AttackerInit {
  clock: Clock
  rng: Rng
}

/** What the attacker learnt from the victim's identify. */
export interface VictimInfo {
  peerId: string
  /** The `<net>` of its `/kith/<net>/hello/1.0.0`. */
  network: string
  protocols: string[]
}

export class Attacker {
  readonly host: Libp2p<AttackerServices>
  readonly #clock: Clock
  readonly #rng: Rng
  readonly #held: Stream[] = []
  #conn: Connection | null = null

  private constructor(host: Libp2p<AttackerServices>, init: AttackerInit) {
    this.host = host
    this.#clock = init.clock
    this.#rng = init.rng
  }

  /** A started attacker with a fresh identity (a banned one cannot come back). */
  static async start(init: AttackerInit): Promise<Attacker> {
    const host = await createLibp2p<AttackerServices>({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({ emitSelf: false, allowPublishToZeroTopicPeers: true }),
      },
    })
    return new Attacker(host, init)
  }

  get peerId(): string {
    return this.host.peerId.toString()
  }

  /** Dial the victim and read its identify; the network id comes from its hello protocol. */
  async connect(address: string, signal: AbortSignal): Promise<VictimInfo> {
    const identified = new Promise<IdentifyResult>((resolve, reject) => {
      const onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
        this.host.removeEventListener('peer:identify', onIdentify)
        resolve(evt.detail)
      }
      this.host.addEventListener('peer:identify', onIdentify)
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
    })
    this.#conn = await this.host.dial(multiaddr(address), { signal })
    const result = await identified
    const network = result.protocols.map((p) => HELLO_PROTOCOL_RE.exec(p)?.[1]).find((n) => n != null)
    if (network == null) throw new Error('the victim announces no Kith hello protocol')
    return { peerId: result.peerId.toString(), network, protocols: result.protocols }
  }

  /** Resolves once no connection to `peerId` is left (the victim hung up or refused us). */
  async disconnected(peerId: string, signal: AbortSignal): Promise<void> {
    if (this.#connections(peerId) === 0) return
    await new Promise<void>((resolve, reject) => {
      const onClose = (): void => {
        if (this.#connections(peerId) > 0) return
        this.host.removeEventListener('connection:close', onClose)
        resolve()
      }
      this.host.addEventListener('connection:close', onClose)
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
    })
  }

  /** Whether an open connection to `peerId` is left (false as soon as the victim starts closing it). */
  connectedTo(peerId: string): boolean {
    return this.host.getConnections().some((c) => c.remotePeer.toString() === peerId && c.status === 'open')
  }

  /** Whether dialling the victim again fails (a ban refuses us right after the handshake). */
  async redialRefused(address: string, signal: AbortSignal): Promise<boolean> {
    try {
      const conn = await this.host.dial(multiaddr(address), { signal, force: true })
      // A refused inbound connection is closed right after the encryption handshake.
      const stream = await conn.newStream(BITSWAP_PROTOCOL, { signal }).catch(() => null)
      await stream?.close().catch(() => {})
      return stream == null
    } catch {
      return true
    }
  }

  /**
   * (a) Open `perProtocol` streams on each protocol and hold them open without a byte. Returns
   * how many the victim let us open.
   */
  async holdStreams(protocols: readonly string[], perProtocol: number): Promise<number> {
    const conn = this.#connection()
    const opened = await Promise.all(
      protocols.flatMap((p) =>
        Array.from({ length: perProtocol }, async () => await conn.newStream(p).catch(() => null)),
      ),
    )
    const streams = opened.filter((s): s is Stream => s != null)
    this.#held.push(...streams)
    return streams.length
  }

  /**
   * (b) Slow-loris: on each protocol, `perProtocol` streams each announce a `bytes`-long message
   * (a length the victim accepts) and send it `chunkBytes` at a time every `intervalMs`, until the
   * stream or the signal ends.
   */
  async slowLoris(
    targets: ReadonlyArray<{ protocol: string; bytes: number }>,
    opts: { perProtocol: number; chunkBytes: number; intervalMs: number },
    signal: AbortSignal,
  ): Promise<void> {
    const conn = this.#connection()
    const dribble = async (protocol: string, bytes: number): Promise<void> => {
      const stream = await conn.newStream(protocol, { signal }).catch(() => null)
      if (stream == null) return
      const body = randomBytes(this.#rng, bytes)
      const writable = (): boolean => stream.writeStatus === 'writable' && !signal.aborted
      try {
        stream.send(varint(bytes))
        for (let at = 0; at < bytes && writable(); at += opts.chunkBytes) {
          stream.send(body.subarray(at, at + opts.chunkBytes))
          await this.#clock.sleep(opts.intervalMs, signal).catch(() => {})
        }
      } catch {
        // the victim reset the stream under us
      }
      stream.abort(new Error('slow-loris done'))
    }
    await Promise.all(
      targets.flatMap((t) =>
        Array.from({ length: opts.perProtocol }, async () => await dribble(t.protocol, t.bytes)),
      ),
    )
  }

  /**
   * (c) Want-list flood: `messages` bitswap messages of `entries` random CIDs each, on one stream
   * after another, as fast as the victim reads them. Returns the messages sent.
   */
  async bitswapFlood(
    opts: { messages: number; entries: number; perStream: number },
    signal: AbortSignal,
  ): Promise<number> {
    const conn = this.#connection()
    let sent = 0
    while (sent < opts.messages && !signal.aborted && conn.status === 'open') {
      const stream = await conn.newStream(BITSWAP_PROTOCOL, { signal }).catch(() => null)
      if (stream == null) break
      for (let i = 0; i < opts.perStream && sent < opts.messages && stream.status === 'open'; i++) {
        const msg = bitswapWantlist(this.#rng, opts.entries, { have: sent % 2 === 0 })
        try {
          if (!stream.send(concat([varint(msg.length), msg])))
            await stream.onDrain({ signal }).catch(() => {})
        } catch {
          break // the victim reset the stream
        }
        sent++
      }
      await stream.close({ signal }).catch(() => stream.abort(new Error('flood stream failed')))
    }
    return sent
  }

  /**
   * (c') Bitswap stream exhaustion: `streams` streams each announce a `bytes`-long message and
   * send all of it but the last byte, so the victim buffers each one until its read timeout.
   * Returns how many streams the victim let us open.
   */
  async bitswapPartialMessages(streams: number, bytes: number, signal: AbortSignal): Promise<number> {
    const conn = this.#connection()
    const body = randomBytes(this.#rng, bytes - 1)
    const open = async (): Promise<boolean> => {
      const stream = await conn.newStream(BITSWAP_PROTOCOL, { signal }).catch(() => null)
      if (stream == null) return false
      this.#held.push(stream)
      try {
        if (!stream.send(varint(bytes))) await stream.onDrain({ signal }).catch(() => {})
        if (!stream.send(body)) await stream.onDrain({ signal }).catch(() => {})
      } catch {
        return false // the victim reset it: over its stream limit
      }
      return stream.status === 'open'
    }
    const results = await Promise.all(Array.from({ length: streams }, open))
    return results.filter(Boolean).length
  }

  /**
   * (d) Gossip flood on the chain topics: subscribe, wait until the victim is a subscriber, then
   * publish `messages` junk messages, alternating random bytes, transfer-shaped junk and
   * block-kind junk. Returns the messages published.
   */
  async gossipFlood(victim: VictimInfo, messages: number, signal: AbortSignal): Promise<number> {
    const pubsub = this.host.services.pubsub
    const tx = `/kith/${victim.network}/tx/1`
    const block = `/kith/${victim.network}/block/1`
    pubsub.subscribe(tx)
    pubsub.subscribe(block)
    while (!signal.aborted && !pubsub.getSubscribers(tx).some((p) => p.toString() === victim.peerId))
      await this.#clock.sleep(20, signal).catch(() => {})
    let sent = 0
    for (let i = 0; i < messages && !signal.aborted && this.#connections(victim.peerId) > 0; i++) {
      const kind = i % 3
      const [topic, data] =
        kind === 0
          ? [tx, randomBytes(this.#rng, 64 + this.#rng.int(512))]
          : kind === 1
            ? [tx, junkTransfer(this.#rng, victim.network)]
            : [block, junkBlockMessage(this.#rng, 256 + this.#rng.int(4_096))]
      await pubsub.publish(topic, data).catch(() => {})
      sent++
    }
    return sent
  }

  /**
   * Resolves once the victim has ended every stream we hold (reset it, or closed its side of it),
   * or the connection is gone: how long a holder keeps what it took.
   */
  async released(signal: AbortSignal): Promise<void> {
    const ended = (s: Stream): boolean => s.status !== 'open' || s.readStatus !== 'readable'
    await Promise.all(
      this.#held.map(async (s) => {
        if (ended(s)) return
        await new Promise<void>((resolve) => {
          const done = (): void => {
            s.removeEventListener('close', done)
            s.removeEventListener('remoteCloseWrite', done)
            signal.removeEventListener('abort', done)
            resolve()
          }
          s.addEventListener('close', done)
          s.addEventListener('remoteCloseWrite', done)
          signal.addEventListener('abort', done, { once: true })
        })
      }),
    )
  }

  /** Abort every stream held open. */
  release(): void {
    for (const s of this.#held.splice(0)) s.abort(new Error('released'))
  }

  async stop(): Promise<void> {
    this.release()
    await this.host.stop()
  }

  #connection(): Connection {
    const conn = this.#conn
    if (conn == null || conn.status !== 'open') throw new Error('the attacker is not connected')
    return conn
  }

  #connections(peerId: string): number {
    return this.host.getConnections().filter((c) => c.remotePeer.toString() === peerId).length
  }
}
