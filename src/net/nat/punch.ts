/**
 * TCP hole punching for two nodes behind endpoint-independent NATs, run over their relayed
 * connection. js-libp2p's DCUtR cannot do it on Node: its direct dials leave from an ephemeral
 * port, not the one the peer was told about, and both ends then act as Noise initiators.
 *
 * `/kith/<net>/nat-observe/1.0.0`: a directly connected peer (our relay) answers with the IP it
 * sees us at. `/kith/<net>/nat-punch/1.0.0`, over the relayed connection: the dialler A sends
 * {ip, port} (its NAT's address and the local port it will punch from), B answers the same, A
 * sends a sync and both connect from their port to the other's at once (TCP simultaneous open;
 * an EIM NAT keeps the local port, so the prediction holds). A upgrades the socket as initiator,
 * B as responder; the relayed connection is then closed.
 */
import { connect, type Socket } from 'node:net'
import { lpStream } from '@libp2p/utils'
import type { Connection, Logger as Libp2pLogger, Stream, Upgrader } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { systemClock, type Clock } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import { NetworkError } from '../../core/errors.ts'
import type { PeerJudge } from '../peers/judge.ts'
import {
  MAX_CONCURRENT_PUNCHES,
  MAX_PUNCH_ROUNDS,
  MAX_PUNCH_CONNECT_ATTEMPTS,
  MAX_PUNCH_MESSAGE_BYTES,
  PUNCH_RETRY_MS,
  PUNCH_PORT_MAX,
  PUNCH_PORT_MIN,
  PUNCH_TIMEOUT_MS,
} from './constants.ts'
import { ipOf, relayOf } from './reachability.ts'
import { punchedConnection } from './socket-conn.ts'

export interface PunchCandidate {
  ip: string
  port: number
}

export interface HolePuncherInit {
  /** Our peer id: when both ends start a punch at once, the lower id's punch goes ahead. */
  self: string
  registrar: Registrar
  connectionManager: ConnectionManager
  upgrader: Upgrader
  protocols: { observe: string; punch: string }
  log: Logger
  libp2pLog: Libp2pLogger
  /** A random integer in [0, n). */
  randomInt: (n: number) => number
  /** Timeouts, the round-trip measurement and the half-RTT wait. @default systemClock */
  clock?: Clock
  /** Told about peers whose hole-punch messages are malformed or oversized (provably faulty). */
  judge?: PeerJudge
}

/** [REJECT] a candidate must be an IPv4 address and a port in the punch range. */
export function parseCandidate(bytes: Uint8Array): PunchCandidate {
  let v: unknown
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new NetworkError('PUNCH_MALFORMED', 'hole-punch message is not UTF-8 JSON')
  }
  const o = v as Partial<PunchCandidate> | null
  if (o == null || typeof o.ip !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(o.ip)) {
    throw new NetworkError('PUNCH_MALFORMED', 'hole-punch message lacks an IPv4 "ip"')
  }
  if (
    typeof o.port !== 'number' ||
    !Number.isInteger(o.port) ||
    o.port < PUNCH_PORT_MIN ||
    o.port > PUNCH_PORT_MAX
  ) {
    throw new NetworkError(
      'PUNCH_MALFORMED',
      `hole-punch port must be an integer in ${PUNCH_PORT_MIN}-${PUNCH_PORT_MAX}`,
    )
  }
  return { ip: o.ip, port: o.port }
}

const encode = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o))

export class HolePuncher {
  readonly #init: HolePuncherInit
  readonly #active = new Set<string>()
  #stopped = false
  /** Outcomes, for status and the lab: punches started, succeeded (direct connection) and given up. */
  readonly stats = { attempts: 0, succeeded: 0, failed: 0 }

  constructor(init: HolePuncherInit) {
    this.#init = init
  }

  #clock(): Clock {
    return this.#init.clock ?? systemClock
  }

  async start(): Promise<void> {
    const { registrar, protocols } = this.#init
    await registrar.handle(protocols.observe, (stream, conn) => this.#answerObserve(stream, conn), {
      maxInboundStreams: 2,
      maxOutboundStreams: 2,
    })
    await registrar.handle(protocols.punch, (stream, conn) => this.#respond(stream, conn), {
      runOnLimitedConnection: true,
      maxInboundStreams: 1,
      maxOutboundStreams: 1,
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await this.#init.registrar.unhandle(this.#init.protocols.observe)
    await this.#init.registrar.unhandle(this.#init.protocols.punch)
  }

  /** Called for every new connection: the dialler of a relayed connection starts the punch. */
  onConnection(conn: Connection): void {
    const key = conn.remotePeer.toString()
    const relay = relayOf(conn.remoteAddr.toString())
    if (relay == null || conn.direction !== 'outbound' || this.#stopped) return
    if (this.#active.has(key) || this.#active.size >= MAX_CONCURRENT_PUNCHES) return
    this.#active.add(key)
    void this.#initiateRounds(conn, relay)
      .catch((err: unknown) => {
        this.#init.log.info(
          { peer: key, error: (err as Error).message },
          'hole punch failed; staying relayed',
        )
      })
      .finally(() => this.#active.delete(key))
  }

  async #answerObserve(stream: Stream, conn: Connection): Promise<void> {
    const signal = this.#clock().timeoutSignal(PUNCH_TIMEOUT_MS)
    try {
      const ip = ipOf(conn.remoteAddr.toString())
      if (ip == null || conn.remoteAddr.toString().includes('/p2p-circuit'))
        throw new Error('not a direct IP connection')
      await lpStream(stream, { maxDataLength: MAX_PUNCH_MESSAGE_BYTES }).write(
        encode({ ip, port: PUNCH_PORT_MIN }),
        { signal },
      )
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
    }
  }

  /** The IP our relay sees us at (our NAT's public address). */
  async #observedIp(relay: string, signal: AbortSignal): Promise<string> {
    const conn = this.#init.connectionManager
      .getConnections()
      .find((c) => c.remotePeer.toString() === relay && !c.remoteAddr.toString().includes('/p2p-circuit'))
    if (conn == null) throw new NetworkError('PUNCH_NO_RELAY', `no direct connection to relay ${relay}`)
    const stream = await conn.newStream(this.#init.protocols.observe, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_PUNCH_MESSAGE_BYTES })
      const { ip } = parseCandidate((await lp.read({ signal })).subarray())
      await stream.close({ signal })
      return ip
    } catch (err) {
      judgeMessageFault(this.#init.judge, relay, err)
      stream.abort(err as Error)
      throw err
    }
  }

  #ownCandidate(ip: string): PunchCandidate {
    return { ip, port: PUNCH_PORT_MIN + this.#init.randomInt(PUNCH_PORT_MAX - PUNCH_PORT_MIN + 1) }
  }

  /** Up to MAX_PUNCH_ROUNDS punches, fresh ports each time (as DCUtR retries), while the relayed connection lasts. */
  async #initiateRounds(relayed: Connection, relay: string): Promise<void> {
    this.stats.attempts++
    let last: Error | null = null
    for (let round = 0; round < MAX_PUNCH_ROUNDS && relayed.status === 'open' && !this.#stopped; round++) {
      try {
        await this.#initiate(relayed, relay)
        this.stats.succeeded++
        return
      } catch (err) {
        last = err as Error
      }
    }
    this.stats.failed++
    throw last ?? new NetworkError('PUNCH_FAILED', 'the relayed connection closed before a punch')
  }

  async #initiate(relayed: Connection, relay: string): Promise<void> {
    const signal = this.#clock().timeoutSignal(PUNCH_TIMEOUT_MS)
    const own = this.#ownCandidate(await this.#observedIp(relay, signal))
    const stream = await relayed.newStream(this.#init.protocols.punch, {
      signal,
      runOnLimitedConnection: true,
    })
    let theirs: PunchCandidate
    let rttMs: number
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_PUNCH_MESSAGE_BYTES })
      const sent = this.#clock().monotonicMs()
      await lp.write(encode(own), { signal })
      theirs = parseCandidate((await lp.read({ signal })).subarray())
      rttMs = this.#clock().monotonicMs() - sent
      await lp.write(encode({ sync: true }), { signal })
      await stream.close({ signal })
    } catch (err) {
      judgeMessageFault(this.#init.judge, relayed.remotePeer.toString(), err)
      stream.abort(err as Error)
      throw err
    }
    // The sync reaches B half a round trip from now: dial then, so both SYNs leave together.
    await this.#clock().sleep(rttMs / 2)
    const socket = await simultaneousOpen(own.port, theirs, signal, this.#clock())
    const maConn = punchedConnection(socket, 'outbound', this.#init.libp2pLog, relayed.remotePeer.toString())
    const direct = await this.#init.upgrader.upgradeOutbound(maConn, { signal })
    if (!direct.remotePeer.equals(relayed.remotePeer)) {
      await direct.close()
      throw new NetworkError('PUNCH_WRONG_PEER', 'the punched connection reached another peer')
    }
    this.#init.log.info(
      { peer: relayed.remotePeer.toString(), addr: direct.remoteAddr.toString() },
      'hole punched',
    )
    await relayed.close({ signal }).catch(() => {})
  }

  async #respond(stream: Stream, relayed: Connection): Promise<void> {
    const signal = this.#clock().timeoutSignal(PUNCH_TIMEOUT_MS)
    const relay = relayOf(relayed.remoteAddr.toString())
    try {
      if (relay == null)
        throw new NetworkError('PUNCH_NOT_RELAYED', 'hole punching runs over a relayed connection')
      const peer = relayed.remotePeer.toString()
      if (this.#active.has(peer) && this.#init.self < peer) {
        throw new NetworkError('PUNCH_CROSSED', 'both ends started a punch; ours goes ahead')
      }
      const lp = lpStream(stream, { maxDataLength: MAX_PUNCH_MESSAGE_BYTES })
      let theirs: PunchCandidate
      try {
        theirs = parseCandidate((await lp.read({ signal })).subarray())
      } catch (err) {
        judgeMessageFault(this.#init.judge, peer, err)
        throw err
      }
      const own = this.#ownCandidate(await this.#observedIp(relay, signal))
      await lp.write(encode(own), { signal })
      await lp.read({ signal })
      await stream.close({ signal })
      const socket = await simultaneousOpen(own.port, theirs, signal, this.#clock())
      const maConn = punchedConnection(socket, 'inbound', this.#init.libp2pLog)
      await this.#init.upgrader.upgradeInbound(maConn, { signal })
    } catch (err) {
      // Malformed messages and failed punches close the stream; the relayed connection stays.
      stream.abort(err as Error)
      this.#init.log.info(
        { peer: relayed.remotePeer.toString(), error: (err as Error).message },
        'hole punch (responder) failed',
      )
    }
  }
}

/**
 * Connect from `localPort` to the peer's predicted address, retrying a few times: the first SYN
 * may reach the far NAT before the peer's own SYN opened it, and be dropped there.
 */
async function simultaneousOpen(
  localPort: number,
  to: PunchCandidate,
  signal: AbortSignal,
  clock: Clock,
): Promise<Socket> {
  let last: Error = new Error('no attempt')
  for (let i = 0; i < MAX_PUNCH_CONNECT_ATTEMPTS && !signal.aborted; i++) {
    try {
      return await connectOnce(localPort, to, signal)
    } catch (err) {
      last = err as Error
      await clock.sleep(PUNCH_RETRY_MS)
    }
  }
  throw new NetworkError('PUNCH_FAILED', `simultaneous open to ${to.ip}:${to.port} failed: ${last.message}`)
}

async function connectOnce(localPort: number, to: PunchCandidate, signal: AbortSignal): Promise<Socket> {
  return await new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: to.ip, port: to.port, localPort, noDelay: true })
    const fail = (err: Error): void => {
      cleanup()
      socket.destroy()
      reject(err)
    }
    const onAbort = (): void => fail(new Error('punch timed out'))
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort)
      socket.removeListener('error', fail)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    socket.once('error', fail)
    socket.once('connect', () => {
      cleanup()
      resolve(socket)
    })
  })
}

/**
 * Judge the sender of a bad hole-punch message, as every other protocol does: a malformed message
 * (PUNCH_MALFORMED) or one over MAX_PUNCH_MESSAGE_BYTES (the length-prefix reader's
 * InvalidDataLengthError) is provably faulty. Timeouts and failed punches are not the peer's fault.
 */
function judgeMessageFault(judge: PeerJudge | undefined, peer: string, err: unknown): void {
  if (judge == null) return
  if (err instanceof NetworkError && err.code === 'PUNCH_MALFORMED') {
    judge.misbehaved(peer, 'malformed-message', 'PUNCH_MALFORMED')
  } else if ((err as { name?: unknown } | null)?.name === 'InvalidDataLengthError') {
    judge.misbehaved(peer, 'oversized-message', 'PUNCH_TOO_LARGE')
  }
}
