/**
 * Provide state and pins across a restart, the `providers` reachability diagnostic, content
 * events, and bad-block scoring.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { DEFAULT_CONFIG, type KithNode, type NodeEvent } from '../../src/node/index.ts'
import type { NodeContent } from '../../src/node/content.ts'
import { ContentPeerScores } from '../../src/net/content/scores.ts'
import { receivedBlockCid } from '../../src/net/content/content-net.ts'
import { removeDirs, startNode, stopAll, tcpAddr, until, type TestConfig } from '../helpers/nodes.ts'
import { bytesFor } from '../content/helpers.ts'

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

// eslint-disable-next-line @typescript-eslint/require-await
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

const cfg = (extra: TestConfig = {}): TestConfig => ({
  content: { ...DEFAULT_CONFIG.content, providerLookupTimeoutMs: 3000 },
  ...extra,
})

describe('content state, diagnostics and events', () => {
  const nodes: KithNode[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs(nodes.map((n) => n.dataDir))
  })

  it('keeps pins and provide records across a restart; providers reports who holds a CID', async () => {
    const [a, b] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(a, b)
    const events: NodeEvent[] = []
    a.subscribe((e) => events.push(e))
    await a.connect(tcpAddr(b))
    await until('DHT peers', () => a.peers().some((p) => p.protocols.some((x) => x.includes('/kad/'))), {
      nodes: [a],
    })
    const { cid } = await contentOf(a).addStream(once(bytesFor('restart', 300_000)))
    await until(
      'announced',
      () =>
        contentOf(a)
          .status()
          .provides.some((p) => p.cid === cid && p.lastProvidedMs != null),
      { nodes: [a] },
    )
    assert.ok(events.some((e) => e.type === 'content:added' && e.cid === cid))

    const report = await contentOf(b).providers(cid)
    const fromA = report.providers.find((p) => p.peerId === a.peerId)
    assert.ok(fromA != null, 'B finds A as a provider')
    assert.equal(fromA.dialable, true)
    const own = await contentOf(a).providers(cid)
    assert.equal(own.selfRecordFound, true, "B holds A's record and says so")
    assert.equal(own.self.publicAddress, false, 'loopback only: not reachable from outside')
    assert.ok(own.selfProvide?.lastProvidedMs != null)

    const before = contentOf(a)
      .status()
      .provides.find((p) => p.cid === cid)
    const dataDir = a.dataDir
    await a.stop()
    nodes.splice(nodes.indexOf(a), 1)
    const again = await startNode(cfg({ dataDir }))
    nodes.push(again)
    assert.ok(
      contentOf(again)
        .pins()
        .some((p) => p.cid === cid),
      'the pin survived',
    )
    const after = contentOf(again)
      .status()
      .provides.find((p) => p.cid === cid)
    assert.deepEqual(after, before, 'the provide record survived with its last announcement time')

    const removed: NodeEvent[] = []
    again.subscribe((e) => removed.push(e))
    await contentOf(again).pinRm(cid)
    assert.ok(removed.some((e) => e.type === 'content:removed' && e.cid === cid))
    assert.equal(
      contentOf(again)
        .status()
        .provides.some((p) => p.cid === cid),
      false,
      'an unpinned CID is no longer announced',
    )
    await assert.rejects(contentOf(again).pinRm(cid), { code: 'PIN_NOT_FOUND' })
  })

  it('scores down a peer that sends blocks nobody asked for, and disconnects it past the limit', () => {
    const scores = new ContentPeerScores({ maxBadBlocks: 3, exclusionMs: 1000 })
    const verdicts = [1, 2, 3].map(() => scores.recordBadBlock('peer-x', 10).action)
    assert.deepEqual(verdicts, ['none', 'none', 'disconnect'])
    assert.equal(scores.score('peer-x'), -3)
    assert.equal(scores.isExcluded('peer-x', 500), true)
    assert.equal(scores.isExcluded('peer-x', 2000), false)
    assert.equal(scores.isExcluded('peer-y', 500), false)
  })

  it('computes the real CID of a received block, so bytes that do not match the wanted CID are not it', async () => {
    const data = new TextEncoder().encode('block bytes')
    const cid = CID.createV1(raw.code, await sha256.digest(data))
    const prefix = Uint8Array.from([0x01, 0x55, 0x12, 0x20])
    assert.equal(receivedBlockCid(prefix, data)?.toString(), cid.toString())
    const forged = receivedBlockCid(prefix, new TextEncoder().encode('other bytes'))
    assert.notEqual(forged?.toString(), cid.toString())
  })
})
