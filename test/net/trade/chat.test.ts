import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { Libp2p } from 'libp2p'
import { cryptoRng, systemClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { libp2pChatHost } from '../../../src/net/trade/host.ts'
import { ChatService } from '../../../src/net/trade/service.ts'
import { tradeChatProtocol } from '../../../src/net/trade/protocols.ts'
import { openDatabase, type Database } from '../../../src/store/sqlite.ts'
import {
  chatIdentityFromSeed,
  encodeEnvelope,
  sealChat,
  type ChatIdentity,
  type TradeParties,
} from '../../../src/trade/chat/index.ts'
import { ChatStore } from '../../../src/trade/store/chat-store.ts'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { removeDirs, tempDir } from '../../helpers/nodes.ts'
import { requestFrame } from '../../../src/net/trade/wire.ts'

const NET = 'kith-chat-test'
const dirs: string[] = []
const cleanups: Array<() => Promise<void> | void> = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
  await removeDirs(dirs)
})

interface Peer {
  node: Libp2p<{ identify: unknown }>
  chat: ChatService
  store: ChatStore
  db: Database
  id: ChatIdentity
}

async function peer(n: number, trades: Map<string, TradeParties>): Promise<Peer> {
  const dir = await tempDir()
  dirs.push(dir)
  const db = openDatabase(join(dir, 'kith.db'))
  const store = new ChatStore(db)
  // identify tells the chat which peers serve the mailbox (it fetches on peer:identify).
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
  const id = chatIdentityFromSeed(new Uint8Array(32).fill(n))
  const chat = new ChatService(
    { retryIntervalMs: 0 },
    {
      network: NET,
      identity: id,
      store,
      directory: { parties: (t) => trades.get(t) },
      host: libp2pChatHost(node),
      clock: systemClock,
      rng: cryptoRng,
      logger: silentLogger(),
    },
  )
  await chat.start()
  cleanups.push(async () => {
    await chat.stop()
    await node.stop()
    db.close()
  })
  return { node, chat, store, db, id }
}

const nextMessage = async (p: Peer): Promise<unknown> =>
  await new Promise((resolve) =>
    p.chat.addEventListener('chat:message', (e) => resolve((e as CustomEvent).detail), { once: true }),
  )

describe('trade chat over libp2p', () => {
  it('A sends to B directly; B stores it and acks; a stranger is refused', async () => {
    const trades = new Map<string, TradeParties>()
    const [a, b, s] = await Promise.all([peer(11, trades), peer(12, trades), peer(13, trades)])
    trades.set('bt1', {
      members: [
        { key: a.id.publicKey, peerId: a.node.peerId.toString() },
        { key: b.id.publicKey, peerId: b.node.peerId.toString() },
      ],
    })
    await a.node.dial(b.node.getMultiaddrs()[0]!)
    const got = nextMessage(b)
    const res = await a.chat.send('bt1', { text: 'hi B' })
    assert.equal(res.acknowledged.length, 1)
    assert.equal(((await got) as { body: { text: string } }).body.text, 'hi B')
    assert.equal(a.store.outbox().length, 0)
    assert.deepEqual(
      b.store.messages('bt1').map((m) => m.body),
      [{ text: 'hi B' }],
    )

    const env = sealChat(
      {
        network: NET,
        trade: 'bt1',
        seq: 0,
        recipients: [b.id.publicKey],
        body: { text: 'spam' },
        sentMs: Date.now(),
      },
      s.id,
      (n) => cryptoRng.bytes(n),
    )
    await s.node.dial(b.node.getMultiaddrs()[0]!)
    const reply = (await requestFrame(
      libp2pChatHost(s.node),
      b.node.peerId.toString(),
      tradeChatProtocol(NET),
      { deliver: encodeEnvelope(env) },
    )) as { refused: { code: string } }
    assert.equal(reply.refused.code, 'CHAT_STRANGER')
    assert.equal(b.store.messages('bt1').length, 1)
  })

  it("B offline: A deposits with C; B connects to C, gets it exactly once, and A's outbox clears on B's ack", async () => {
    const trades = new Map<string, TradeParties>()
    const [a, c] = await Promise.all([peer(21, trades), peer(23, trades)])
    const bId = chatIdentityFromSeed(new Uint8Array(32).fill(22))
    // B's peer id is not known yet (it has never been online): A can only deposit.
    trades.set('bt2', {
      members: [{ key: a.id.publicKey, peerId: a.node.peerId.toString() }, { key: bId.publicKey }],
    })
    await a.node.dial(c.node.getMultiaddrs()[0]!)
    const res = await a.chat.send('bt2', { text: 'paid, please release' })
    assert.deepEqual(res.acknowledged, [])
    assert.deepEqual(res.depositedWith, [c.node.peerId.toString()])
    assert.equal(c.store.heldCount(bId.publicKey), 1)
    assert.equal(a.store.outbox().length, 1)

    const b = await peer(22, trades)
    let received = 0
    b.chat.addEventListener('chat:message', () => received++)
    // B can reach A to send its receipt (a real node finds A through the DHT).
    await b.node.peerStore.merge(a.node.peerId, { multiaddrs: a.node.getMultiaddrs() })
    const got = nextMessage(b)
    await b.node.dial(c.node.getMultiaddrs()[0]!)
    assert.equal(((await got) as { body: { text: string } }).body.text, 'paid, please release')
    await waitFor(() => a.store.outbox().length === 0 && c.store.heldCount() === 0)
    // A second fetch finds nothing new.
    assert.equal(await b.chat.fetchMailbox(c.node.peerId.toString()), 0)
    assert.equal(received, 1)
    assert.equal(b.store.messages('bt2').length, 1)
  })
})

async function waitFor(check: () => boolean): Promise<void> {
  const until = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}
