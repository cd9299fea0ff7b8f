/** The WAN routing table's diversity filter: the pure rule, then its application to a table. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import {
  admitToTable,
  commonPrefixLength,
  installDiversityFilter,
  kadIdOf,
  netgroupOf,
  type FilterableTable,
  type TableMember,
} from '../../../src/net/dht/diversity.ts'

const m = (peerId: string, cpl: number, group: string | null): TableMember => ({ peerId, cpl, group })

describe('netgroupOf', () => {
  const cases: Array<{ id: string; ip: string; group: string | null }> = [
    { id: 'public v4', ip: '8.8.4.4', group: '8.8.4.0/24' },
    { id: 'loopback', ip: '127.0.0.1', group: null },
    { id: 'rfc1918', ip: '192.168.1.20', group: null },
    { id: 'cgnat', ip: '100.64.1.1', group: null },
    { id: 'public v6', ip: '2001:db8:abcd:12::1', group: '2001:0db8:abcd::/48' },
    { id: 'v6 short', ip: '2a00::1', group: '2a00:0000:0000::/48' },
    { id: 'v6 loopback', ip: '::1', group: null },
    { id: 'v6 ula', ip: 'fd00::1', group: null },
    { id: 'v4-mapped', ip: '::ffff:1.2.3.4', group: '1.2.3.0/24' },
    { id: 'dns name', ip: 'example.com', group: null },
  ]
  for (const c of cases) it(c.id, () => assert.equal(netgroupOf(c.ip), c.group))
})

describe('admitToTable', () => {
  const cases: Array<{
    id: string
    members: TableMember[]
    candidate: TableMember
    admit: boolean
    reason?: string
  }> = [
    { id: 'empty table', members: [], candidate: m('x', 3, '1.2.3.0/24'), admit: true },
    {
      id: 'two of the /24 already in that bucket',
      members: [m('a', 3, '1.2.3.0/24'), m('b', 3, '1.2.3.0/24')],
      candidate: m('x', 3, '1.2.3.0/24'),
      admit: false,
      reason: 'DHT_BUCKET_GROUP_FULL',
    },
    {
      id: 'two of the /24 in another bucket',
      members: [m('a', 2, '1.2.3.0/24'), m('b', 2, '1.2.3.0/24')],
      candidate: m('x', 3, '1.2.3.0/24'),
      admit: true,
    },
    {
      id: 'ten of the /24 in the table',
      members: Array.from({ length: 10 }, (_, i) => m(`p${i}`, i, '1.2.3.0/24')),
      candidate: m('x', 20, '1.2.3.0/24'),
      admit: false,
      reason: 'DHT_TABLE_GROUP_FULL',
    },
    {
      id: 'nine of the /24 in the table',
      members: Array.from({ length: 9 }, (_, i) => m(`p${i}`, i, '1.2.3.0/24')),
      candidate: m('x', 20, '1.2.3.0/24'),
      admit: true,
    },
    {
      id: 'other subnets do not count',
      members: [m('a', 3, '1.2.4.0/24'), m('b', 3, '5.2.3.0/24')],
      candidate: m('x', 3, '1.2.3.0/24'),
      admit: true,
    },
    {
      id: 'no group (private) is never limited',
      members: [m('a', 3, null), m('b', 3, null), m('c', 3, null)],
      candidate: m('x', 3, null),
      admit: true,
    },
  ]
  for (const c of cases)
    it(c.id, () => {
      const v = admitToTable(c.members, c.candidate)
      assert.equal(v.admit, c.admit)
      if (!v.admit) assert.equal(v.reason, c.reason)
    })
})

it('commonPrefixLength counts equal leading bits', () => {
  assert.equal(commonPrefixLength(new Uint8Array([0xff, 0]), new Uint8Array([0xff, 0x80])), 8)
  assert.equal(commonPrefixLength(new Uint8Array([0b1010_0000]), new Uint8Array([0b1011_0000])), 3)
  assert.equal(commonPrefixLength(new Uint8Array([1, 2]), new Uint8Array([1, 2])), 16)
})

/** A stand-in for kad-dht's RoutingTable: membership and the two events. */
class FakeTable implements FilterableTable {
  readonly peers = new Map<string, PeerId>()
  readonly #listeners = new Map<string, Set<(evt: CustomEvent<PeerId>) => void>>()
  readonly kb = { toIterable: () => [...this.peers.values()].map((peerId) => ({ peerId })) }
  #emit(type: string, peer: PeerId): void {
    for (const l of this.#listeners.get(type) ?? []) l(new CustomEvent(type, { detail: peer }))
  }
  add(peer: PeerId): void {
    this.peers.set(peer.toString(), peer)
    this.#emit('peer:add', peer)
  }
  async remove(peer: PeerId): Promise<void> {
    if (!this.peers.delete(peer.toString())) return
    this.#emit('peer:remove', peer)
    await Promise.resolve()
  }
  addEventListener(type: string, listener: (evt: CustomEvent<PeerId>) => void): void {
    const set = this.#listeners.get(type) ?? new Set()
    set.add(listener)
    this.#listeners.set(type, set)
  }
  removeEventListener(type: string, listener: (evt: CustomEvent<PeerId>) => void): void {
    this.#listeners.get(type)?.delete(listener)
  }
}

const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

it('installDiversityFilter keeps at most 2 per /24 per bucket and 10 per table; other subnets and loopback pass', async () => {
  const self = await newPeer()
  const selfKad = kadIdOf(self.toMultihash().bytes)
  const table = new FakeTable()
  const ips = new Map<string, string>()
  const refused: string[] = []
  installDiversityFilter({
    table,
    self: self.toMultihash().bytes,
    ipsOf: (p) => [ips.get(p.toString()) ?? ''],
    onRefused: (_p, reason) => refused.push(reason),
  })
  const cplOf = (p: PeerId): number => commonPrefixLength(selfKad, kadIdOf(p.toMultihash().bytes))
  const attackers: PeerId[] = []
  for (let i = 0; i < 60; i++) {
    const p = await newPeer()
    ips.set(p.toString(), `203.0.113.${i + 1}`.replace('203.0.113', '44.55.66'))
    attackers.push(p)
    table.add(p)
  }
  const honest: PeerId[] = []
  for (let i = 0; i < 5; i++) {
    const p = await newPeer()
    ips.set(p.toString(), `9.${i}.1.1`)
    honest.push(p)
    table.add(p)
  }
  const local = await newPeer()
  ips.set(local.toString(), '127.0.0.1')
  table.add(local)
  await Promise.resolve()

  const kept = attackers.filter((p) => table.peers.has(p.toString()))
  assert.equal(kept.length <= 10, true, `kept ${kept.length} of one /24`)
  const perBucket = new Map<number, number>()
  for (const p of kept) perBucket.set(cplOf(p), (perBucket.get(cplOf(p)) ?? 0) + 1)
  assert.ok([...perBucket.values()].every((n) => n <= 2))
  assert.ok(
    honest.every((p) => table.peers.has(p.toString())),
    'other subnets are untouched',
  )
  assert.ok(table.peers.has(local.toString()), 'loopback has no group')
  assert.equal(refused.length, 60 - kept.length)
  assert.ok(refused.includes('DHT_BUCKET_GROUP_FULL'))
})
