/**
 * A peer that sends a malformed or oversized hole-punch message over a relayed connection is
 * judged (disconnected and banned by the network), like on every other protocol; before, the
 * stream was closed and the peer could try again at once.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { ComponentLogger, Connection, Upgrader } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { silentLogger } from '../../src/core/logger.ts'
import { MAX_PUNCH_MESSAGE_BYTES } from '../../src/net/nat/constants.ts'
import { HolePuncher } from '../../src/net/nat/punch.ts'
import { recordingJudge } from './rpc/helpers.ts'

const PROTOCOLS = { observe: '/kith/test/nat-observe/1.0.0', punch: '/kith/test/nat-punch/1.0.0' }

interface PuncherComponents {
  peerId: { toString(): string }
  registrar: Registrar
  connectionManager: ConnectionManager
  upgrader: Upgrader
  logger: ComponentLogger
}

const base = {
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
}

describe('hole-punch messages are judged', () => {
  const judge = recordingJudge()
  let relay: Libp2p
  let target: Libp2p
  let attacker: Libp2p

  before(async () => {
    relay = await createLibp2p({
      ...base,
      transports: [tcp()],
      services: { identify: identify(), relay: circuitRelayServer() },
    })
    target = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'] },
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      transports: [tcp(), circuitRelayTransport()],
      services: {
        identify: identify(),
        punch: (c: PuncherComponents) =>
          new HolePuncher({
            self: c.peerId.toString(),
            registrar: c.registrar,
            connectionManager: c.connectionManager,
            upgrader: c.upgrader,
            protocols: PROTOCOLS,
            log: silentLogger(),
            libp2pLog: c.logger.forComponent('test:punch'),
            randomInt: () => 0,
            judge,
          }),
      },
    })
    attacker = await createLibp2p({
      ...base,
      transports: [tcp(), circuitRelayTransport()],
      services: { identify: identify() },
    })
    await target.dial(relay.getMultiaddrs()[0]!)
    await waitUntil(() => target.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')))
  })

  after(async () => {
    await Promise.all([attacker?.stop(), target?.stop(), relay?.stop()])
  })

  /** Open the punch protocol to the target through the relay and send `frame` raw (length prefix included). */
  async function sendThroughRelay(frame: Uint8Array | { lp: Uint8Array }): Promise<void> {
    const circuit = multiaddr(
      `${relay.getMultiaddrs()[0]!.toString()}/p2p-circuit/p2p/${target.peerId.toString()}`,
    )
    const conn: Connection = await attacker.dial(circuit)
    assert.ok(
      conn.remoteAddr.toString().includes('/p2p-circuit'),
      'the attack runs over a relayed connection',
    )
    const stream = await conn.newStream(PROTOCOLS.punch, { runOnLimitedConnection: true })
    if ('lp' in frame) await lpStream(stream).write(frame.lp)
    else stream.send(frame)
    await stream.close().catch(() => {})
  }

  it('a malformed candidate gets the sender judged as malformed-message PUNCH_MALFORMED', async () => {
    await sendThroughRelay({ lp: new TextEncoder().encode('{"ip":"not an ip","port":1}') })
    await waitUntil(() => judge.verdicts.some((v) => v.detail === 'PUNCH_MALFORMED'))
    assert.deepEqual(
      judge.verdicts.filter((v) => v.detail === 'PUNCH_MALFORMED'),
      [
        {
          kind: 'misbehaved',
          peer: attacker.peerId.toString(),
          what: 'malformed-message',
          detail: 'PUNCH_MALFORMED',
        },
      ],
    )
  })

  it('a message over the size limit gets the sender judged as oversized-message', async () => {
    // A varint length prefix announcing one byte more than the limit, and no body.
    const length = MAX_PUNCH_MESSAGE_BYTES + 1
    await sendThroughRelay(new Uint8Array([(length & 0x7f) | 0x80, length >> 7]))
    await waitUntil(() => judge.verdicts.some((v) => v.detail === 'PUNCH_TOO_LARGE'))
    const verdict = judge.verdicts.find((v) => v.detail === 'PUNCH_TOO_LARGE')
    assert.equal(verdict?.peer, attacker.peerId.toString())
    assert.equal(verdict?.what, 'oversized-message')
    assert.ok(
      judge.verdicts.every((v) => v.peer !== relay.peerId.toString()),
      'the relay that carried the message is not blamed',
    )
  })
})

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}
