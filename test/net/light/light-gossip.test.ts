import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BlockHeader } from '../../../src/chain/types.ts'
import { encodeBlockAnnouncement } from '../../../src/net/gossip/messages.ts'
import { LightGossip } from '../../../src/net/light/index.ts'
import type { GossipInbound } from '../../../src/net/network.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { FIX, lightChainAt, recordingJudge } from './fixture.ts'
import type { LightChain } from '../../../src/chain/light/index.ts'

const TIP = FIX.chain.headers.length - 1

function harness(chain: LightChain) {
  const judge = recordingJudge()
  const unknown: BlockHeader[] = []
  const published: Uint8Array[] = []
  const gossip = new LightGossip({
    network: {
      judge,
      onGossip: () => () => {},
      setTopicValidator: () => {},
      publish: async (_name, data) => {
        published.push(data)
        return await Promise.resolve(1)
      },
    },
    chain,
    onUnknownParent: (_peer, h) => unknown.push(h),
    logger: silentLogger(),
  })
  const msg = (data: Uint8Array): GossipInbound => ({ topic: 't', data, from: null, peer: 'p' })
  return { gossip, judge, unknown, published, msg }
}

describe('LightGossip', () => {
  it('takes the header of a full or compact announcement, and never forwards it', async () => {
    for (const mode of ['full', 'compact'] as const) {
      const l = await lightChainAt(2)
      const h = harness(l.chain)
      const verdict = h.gossip.validateBlock(h.msg(encodeBlockAnnouncement(mode, FIX.chain.blocks[3]!)))
      assert.equal(verdict, 'ignore')
      assert.equal(l.chain.head().height, 3, mode)
      assert.equal(
        h.gossip.validateBlock(h.msg(encodeBlockAnnouncement(mode, FIX.chain.blocks[3]!))),
        'ignore',
      )
      assert.deepEqual(h.judge.judged, [])
      await l.close()
    }
  })

  it('hands a header with an unknown parent to sync', async () => {
    const l = await lightChainAt(1)
    const h = harness(l.chain)
    assert.equal(
      h.gossip.validateBlock(h.msg(encodeBlockAnnouncement('full', FIX.chain.blocks[TIP]!))),
      'ignore',
    )
    assert.deepEqual(
      h.unknown.map((x) => x.height),
      [TIP],
    )
    assert.equal(l.chain.head().height, 1)
    await l.close()
  })

  it('rejects and judges a malformed announcement and a header that breaks a rule', async () => {
    const l = await lightChainAt(2)
    const h = harness(l.chain)
    assert.equal(h.gossip.validateBlock(h.msg(new Uint8Array([9, 1, 2]))), 'reject')
    const block = FIX.chain.blocks[3]!
    const bad = {
      ...block,
      header: { ...block.header, timestampMs: FIX.chain.genesis.block.header.timestampMs },
    }
    assert.equal(h.gossip.validateBlock(h.msg(encodeBlockAnnouncement('full', bad))), 'reject')
    assert.deepEqual(
      h.judge.judged.map((j) => [j.what, j.detail]),
      [
        ['malformed-message', 'DECODE_WRONG_TYPE'],
        ['invalid-block', 'BLOCK_TIMESTAMP_TOO_OLD'],
      ],
    )
    assert.equal(l.chain.head().height, 2)
    await l.close()
  })
})
