/** The content commands' text: progress bar frames and the fetch summary (pure, no terminal). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { barFrame, formatAnnounce, formatFetchSplit } from '../../src/cli/commands/content-format.ts'
import type { FetchProgress } from '../../src/content/service-types.ts'

const MiB = 1024 * 1024
const progress = (p: Partial<FetchProgress>): FetchProgress => ({
  fetchId: null,
  blocks: 0,
  bytes: 0,
  fetchedBlocks: 0,
  fetchedBytes: 0,
  totalBytes: null,
  peers: 0,
  elapsedMs: 0,
  ...p,
})

describe('progress bar frames', () => {
  const cases: Array<{ id: string; p: FetchProgress; want: null | { total: number; eta: string } }> = [
    { id: 'total not known yet: no bar (not 0 B/1 B)', p: progress({}), want: null },
    { id: 'total zero: no bar', p: progress({ totalBytes: 0 }), want: null },
    { id: 'below the minimum: no bar', p: progress({ totalBytes: MiB, bytes: 10 }), want: null },
    {
      id: 'nothing arrived yet: the ETA is unknown, not infinite',
      p: progress({ totalBytes: 20 * MiB }),
      want: { total: 20 * MiB, eta: '…' },
    },
    {
      id: 'half way at 1 MiB/s: 10 s left',
      p: progress({ totalBytes: 20 * MiB, bytes: 10 * MiB, fetchedBytes: 10 * MiB, elapsedMs: 10_000 }),
      want: { total: 20 * MiB, eta: '10 s' },
    },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const frame = barFrame(c.p, 8 * MiB)
      if (c.want == null) return assert.equal(frame, null)
      assert.ok(frame != null)
      assert.equal(frame.total, c.want.total)
      assert.equal(frame.eta, c.want.eta)
      assert.doesNotMatch(frame.eta, /NF|INF|NaN/)
    })
  }
})

describe('fetch summary', () => {
  it('splits the bytes into fetched and already here', () => {
    assert.equal(formatFetchSplit(3072, 1024), '(1.0 KiB fetched, 2.0 KiB already here)')
    assert.equal(formatFetchSplit(1024, 1024), '(1.0 KiB fetched, 0 B already here)')
  })
  it('never says a negative amount is already here (more fetched than the DAG holds)', () => {
    assert.equal(formatFetchSplit(1024, 1237), '(1.2 KiB fetched, 0 B already here)')
  })
})

describe('put announcement', () => {
  it('a failed announcement is a warning naming its code, not a silent success', () => {
    const line = formatAnnounce('bafyx', {
      status: 'failed',
      code: 'NO_DHT_PEERS',
      message: 'no DHT server among the connected peers',
      publicAddress: false,
    })
    assert.match(line ?? '', /^warning: bafyx is stored but NOT announced: .*\[NO_DHT_PEERS\]/)
  })
  it('a started announcement with a public address adds nothing', () => {
    const line = formatAnnounce('bafyx', {
      status: 'started',
      code: null,
      message: null,
      publicAddress: true,
    })
    assert.equal(line, null)
  })
})
