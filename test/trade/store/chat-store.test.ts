import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { cryptoRng } from '../../../src/core/clock.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import {
  chatIdentityFromSeed,
  chatMessageId,
  encodeEnvelope,
  sealChat,
} from '../../../src/trade/chat/index.ts'
import { ChatStore } from '../../../src/trade/store/chat-store.ts'
import { removeDirs, tempDir } from '../../helpers/nodes.ts'

const alice = chatIdentityFromSeed(new Uint8Array(32).fill(1))
const bob = chatIdentityFromSeed(new Uint8Array(32).fill(2))
const dirs: string[] = []
after(async () => await removeDirs(dirs))

function message(seq: number) {
  const env = sealChat(
    {
      network: 'n',
      trade: 'bt',
      seq,
      recipients: [bob.publicKey],
      body: { text: `m${seq}` },
      sentMs: 10 + seq,
    },
    alice,
    (n) => cryptoRng.bytes(n),
  )
  const bytes = encodeEnvelope(env)
  return {
    bytes,
    msg: {
      id: chatMessageId(bytes),
      trade: 'bt',
      seq,
      senderKey: alice.publicKey,
      sentMs: 10 + seq,
      body: { text: `m${seq}` },
    },
  }
}

describe('ChatStore', () => {
  it('keeps messages and the outbox across a restart; an outbox row goes only on ack', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const path = join(dir, 'kith.db')
    let db = openDatabase(path)
    let store = new ChatStore(db)
    const m0 = message(0)
    store.recordSent(m0.msg, m0.bytes, [{ key: bob.publicKey, peerId: 'peerB' }], 100)
    const m1 = message(1)
    assert.equal(store.recordReceived(m1.msg, m1.bytes, 100), 'stored')
    assert.equal(store.recordReceived(m1.msg, m1.bytes, 101), 'duplicate')
    db.close()

    db = openDatabase(path)
    store = new ChatStore(db)
    assert.deepEqual(
      store.messages('bt').map((m) => m.body),
      [{ text: 'm0' }, { text: 'm1' }],
    )
    assert.equal(store.outbox().length, 1)
    assert.equal(store.outbox(10, 'peerB')[0]!.id, m0.msg.id)
    assert.equal(store.nextSeq('bt', alice.publicKey), 2)
    assert.equal(store.acknowledge(m0.msg.id, alice.publicKey), false)
    assert.equal(store.acknowledge(m0.msg.id, bob.publicKey), true)
    assert.equal(store.outbox().length, 0)
    assert.equal(store.recordReceived(message(0).msg, m0.bytes, 1), 'stale')
    db.close()
  })

  it('bounds the mailbox per recipient and in total, oldest first, with a TTL', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const db = openDatabase(join(dir, 'kith.db'))
    const store = new ChatStore(db)
    const limits = { maxPerRecipient: 2, maxTotal: 3, ttlMs: 1_000 }
    const ms = [0, 1, 2].map(message)
    for (const [i, m] of ms.entries())
      assert.equal(store.deposit(bob.publicKey, m.msg.id, m.bytes, i, limits), 'stored')
    assert.equal(store.deposit(bob.publicKey, ms[2]!.msg.id, ms[2]!.bytes, 5, limits), 'duplicate')
    assert.deepEqual(
      store.held(bob.publicKey, 10, 10).map((h) => h.id),
      [ms[1]!.msg.id, ms[2]!.msg.id],
    )
    store.deposit(alice.publicKey, 'a'.repeat(64), ms[0]!.bytes, 20, limits)
    store.deposit(alice.publicKey, 'b'.repeat(64), ms[0]!.bytes, 21, limits)
    assert.equal(store.heldCount(), 3)
    assert.equal(store.heldCount(bob.publicKey), 1)
    assert.equal(store.held(alice.publicKey, 5_000, 10).length, 0)
    assert.equal(store.release(bob.publicKey, [ms[2]!.msg.id]), 1)
    db.close()
  })
})
