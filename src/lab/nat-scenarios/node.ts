/**
 * A Kith node driven over stdin/stdout, run inside a lab namespace by the NAT scenarios.
 * Usage: node.ts '<json config overrides>'. Prints JSON lines: {"event":"ready",...}, then one
 * reply per command line read from stdin ({"id":1,"cmd":"status"} -> {"id":1,...}), gossip
 * messages as {"event":"gossip",...}, and {"event":"stopped"} after {"cmd":"stop"}.
 *
 * Commands: status | dial {addr} | subscribe {topic} | publish {topic, data} | mesh {topic} |
 * peerAddrs {peer} | send {peer, bytes} | hangup {peer} | put {bytes} | fetch {cid} | stop.
 */
import { systemClock } from '../../core/clock.ts'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { silentLogger, createLogger } from '../../core/logger.ts'
import { DEFAULT_CONFIG, mergeConfig, parseConfig } from '../../node/config.ts'
import { createNode } from '../../node/node.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import { connectionsOf, type ScenarioCommand } from './protocol.ts'
import { handleBulk, sendBulk } from './bulk.ts'

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>
const dataDir = await mkdtemp(join(tmpdir(), 'kith-nat-scenario-'))
const config = parseConfig(
  mergeConfig(
    DEFAULT_CONFIG,
    { dataDir, mdns: false, api: { enabled: false }, logLevel: 'silent', metrics: false },
    overrides,
  ),
)
const logger = process.env.KITH_SCENARIO_LOG === '1' ? createLogger('debug') : silentLogger()
const node = await createNode({ config, logger })
const print = (o: unknown): void => {
  process.stdout.write(JSON.stringify(o) + '\n')
}
await node.start()
await handleBulk(node.network.host)
print({ event: 'ready', peerId: node.peerId, status: node.status() })

async function run(c: ScenarioCommand): Promise<Record<string, unknown>> {
  const net = node.network
  switch (c.cmd) {
    case 'status':
      return { status: node.status(), connections: connectionsOf(net.host.getConnections()) }
    case 'dial': {
      const peer = await net.connect(c.addr, systemClock.timeoutSignal(15_000))
      return { peer: peer.peerId, connections: connectionsOf(net.host.getConnections()) }
    }
    case 'subscribe':
      net.onGossip(c.topic, (m) => {
        print({ event: 'gossip', topic: c.topic, data: new TextDecoder().decode(m.data), from: m.from })
      })
      return { subscribed: c.topic }
    case 'publish':
      return { recipients: await net.publish(c.topic, new TextEncoder().encode(c.data)) }
    case 'mesh':
      return { mesh: net.meshPeers(c.topic), topicPeers: net.topicPeers(c.topic) }
    case 'peerAddrs': {
      // Everything this node has learnt about a peer's addresses (identify, DHT, relays).
      const peer = await net.host.peerStore.get(peerIdFromString(c.peer))
      return { addrs: peer.addresses.map((a) => a.multiaddr.toString()) }
    }
    case 'send': {
      const conn = net.host.getConnections(peerIdFromString(c.peer))[0]
      if (conn == null) throw new Error(`not connected to ${c.peer}`)
      const ms = await sendBulk(conn, c.bytes)
      return { ms, relayed: conn.remoteAddr.toString().includes('/p2p-circuit') }
    }
    case 'hangup':
      await net.disconnect(c.peer, systemClock.timeoutSignal(15_000))
      return { connections: connectionsOf(net.host.getConnections()) }
    case 'put': {
      // Random bytes: no two chunks alike, so every block has to cross the network.
      const data = randomBytes(c.bytes)
      const added = await content().addStream(chunks(data))
      return { cid: added.cid }
    }
    case 'fetch': {
      const r = await content().fetch(c.cid, { signal: systemClock.timeoutSignal(60_000) })
      return { bytes: r.bytes, fetchedBytes: r.fetchedBytes, peers: r.peers, ms: r.elapsedMs }
    }
    case 'stop':
      await node.stop()
      print({ id: c.id, event: 'stopped' })
      process.exit(0)
  }
}

function chunks(data: Uint8Array): AsyncIterable<Uint8Array> {
  const pieces: Uint8Array[] = []
  for (let i = 0; i < data.length; i += 256 * 1024) pieces.push(data.subarray(i, i + 256 * 1024))
  return Readable.from(pieces) as AsyncIterable<Uint8Array>
}

function content(): NonNullable<typeof node.content> {
  if (node.content == null) throw new Error('this node has no content service')
  return node.content
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue
  const c = JSON.parse(line) as ScenarioCommand
  try {
    print({ id: c.id, ok: true, ...(await run(c)) })
  } catch (err) {
    print({
      id: c.id,
      ok: false,
      error: (err as Error).message,
      code: (err as { code?: string }).code ?? null,
    })
  }
}
await node.stop()
