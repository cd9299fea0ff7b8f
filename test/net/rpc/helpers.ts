/** Fixtures for the rpc tests: two libp2p v3 hosts on loopback, a recording judge, a served chain. */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Misbehaviour, Offence, PeerJudge } from '../../../src/net/peers/judge.ts'
import type { TransferTx } from '../../../src/chain/types.ts'
import { TestChain, testKey, transfer } from '../../chain/helpers.ts'
import { harness, type Harness } from '../../chain/service-helpers.ts'

export async function host(): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
}

/** Two started hosts, `client` connected to `server`. */
export async function hostPair(): Promise<{ client: Libp2p; server: Libp2p; stop: () => Promise<void> }> {
  const [client, server] = await Promise.all([host(), host()])
  await client.dial(server.getMultiaddrs()[0]!)
  return {
    client,
    server,
    stop: async () => {
      await Promise.all([client.stop(), server.stop()])
    },
  }
}

export interface Verdict {
  kind: 'misbehaved' | 'penalised'
  peer: string
  what: Misbehaviour | Offence
  detail: string | undefined
}

export function recordingJudge(): PeerJudge & { verdicts: Verdict[] } {
  const verdicts: Verdict[] = []
  return {
    verdicts,
    misbehaved: (peer, what, detail) => verdicts.push({ kind: 'misbehaved', peer, what, detail }),
    penalise: (peer, what, detail) => verdicts.push({ kind: 'penalised', peer, what, detail }),
  }
}

export interface Served {
  readonly h: Harness
  /** The same chain built in memory (blocks[i] at height i). */
  readonly built: TestChain
  /** Transfers confirmed in block 1 and 2. */
  readonly confirmed: TransferTx[]
}

/** A chain service with `height` mined blocks; blocks 1 and 2 carry a transfer each. */
export async function servedChain(height: number): Promise<Served> {
  const h = await harness()
  const built = new TestChain(h.genesis)
  const alice = testKey(1)
  const bob = testKey(2)
  const confirmed: TransferTx[] = []
  for (let i = 1; i <= height; i++) {
    const txs = i <= 2 ? [transfer(alice, bob.address, { nonce: i - 1, amount: 1_000n + BigInt(i) })] : []
    confirmed.push(...txs)
    const b = built.build(txs)
    built.apply(b)
    h.chain.importBlock(b)
  }
  return { h, built, confirmed }
}
