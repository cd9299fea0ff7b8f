/**
 * Asking one peer about a block (the striped fetch's want-block, the presence probe): an answer
 * that arrives while the question is still being sent is not lost. @helia/bitswap sends first
 * and listens after; under load that lost every answer and a two-seeder fetch stalled.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { askPeer } from '../../src/net/content/content-net.ts'
import type { PresenceEvent } from '../../src/net/content/bitswap.ts'

const fakePeer = (name: string): PeerId =>
  ({ equals: (other: unknown) => (other as { name?: string }).name === name, name }) as unknown as PeerId

/** helia's order: the answer comes in during the send, and only then does it start listening. */
function heliaLikeAsk(target: EventTarget, answer: PresenceEvent & { block?: Uint8Array }) {
  return async (signal: AbortSignal): Promise<{ has: boolean; block?: Uint8Array }> => {
    target.dispatchEvent(new CustomEvent('presence', { detail: answer })) // fast peer, slow send
    await Promise.resolve()
    return await new Promise((resolve, reject) => {
      target.addEventListener('presence', (evt) => resolve((evt as CustomEvent<PresenceEvent>).detail))
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
    })
  }
}

void test('an answer that arrives during the send is heard (the block comes back, not a timeout)', async () => {
  const block = new TextEncoder().encode('striped block')
  const cid = CID.createV1(raw.code, await sha256.digest(block))
  const seeder = fakePeer('seeder')
  const target = new EventTarget()
  const ask = heliaLikeAsk(target, { sender: seeder, cid, has: true, block })
  // Without listening first, the same question waits until its deadline.
  await assert.rejects(ask(AbortSignal.timeout(200)), { name: 'TimeoutError' })
  const source = target as unknown as Parameters<typeof askPeer>[0]
  const answer = await askPeer(source, cid, seeder, ask, AbortSignal.timeout(60_000))
  assert.equal(answer.has, true)
  assert.deepEqual(answer.block, block)
})

void test("another peer's answer, or one about another block, is not taken for this one", async () => {
  const block = new TextEncoder().encode('mine')
  const cid = CID.createV1(raw.code, await sha256.digest(block))
  const other = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('other')))
  const target = new EventTarget()
  const source = target as unknown as Parameters<typeof askPeer>[0]
  const ask = async (signal: AbortSignal): Promise<{ has: boolean }> => {
    target.dispatchEvent(new CustomEvent('presence', { detail: { sender: fakePeer('b'), cid, has: true } }))
    target.dispatchEvent(
      new CustomEvent('presence', { detail: { sender: fakePeer('a'), cid: other, has: true } }),
    )
    target.dispatchEvent(new CustomEvent('presence', { detail: { sender: fakePeer('a'), cid, has: false } }))
    return await new Promise((_, reject) =>
      signal.addEventListener('abort', () => reject(signal.reason as Error)),
    )
  }
  const answer = await askPeer(source, cid, fakePeer('a'), ask, AbortSignal.timeout(60_000))
  assert.deepEqual(answer, { has: false })
})

void test('a question nobody answers ends with its signal', async () => {
  const cid = CID.createV1(raw.code, await sha256.digest(new Uint8Array([1])))
  const target = new EventTarget()
  const source = target as unknown as Parameters<typeof askPeer>[0]
  const ask = async (signal: AbortSignal): Promise<{ has: boolean }> =>
    await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))
  await assert.rejects(askPeer(source, cid, fakePeer('a'), ask, AbortSignal.timeout(100)), {
    name: 'TimeoutError',
  })
})
