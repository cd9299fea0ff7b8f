/**
 * Light client fixtures: a small chain with a transfer and an escrow in it, a light header chain on a temp
 * database, proofs as an honest full node serves them, a stub rpc client and a recording judge.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { blockId, txId } from '../../../src/chain/codec.ts'
import { LightChain } from '../../../src/chain/light/index.ts'
import { getAccount, getEscrow, proveAccount, proveEscrow } from '../../../src/chain/state.ts'
import { proveTxInclusion } from '../../../src/chain/txroot.ts'
import type { Address, EscrowOpenTx, TransferTx, TxId } from '../../../src/chain/types.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import type { Misbehaviour, Offence, PeerJudge } from '../../../src/net/peers/judge.ts'
import type {
  AccountProofResponse,
  EscrowProofResponse,
  RpcClientApi,
  TxProofResponse,
} from '../../../src/net/rpc/types.ts'
import { openDatabase, type Database } from '../../../src/store/sqlite.ts'
import { tempDir } from '../../helpers/nodes.ts'
import {
  escrowOpen,
  escrowStep,
  GENESIS_TIME_MS,
  testChain,
  testKey,
  transfer,
  type TestChain,
} from '../../chain/helpers.ts'

export const ALICE = testKey(1)
export const BOB = testKey(5)
/** The escrow's seller and buyer (ALICE is its arbiter). */
export const SELLER = testKey(2)
export const BUYER = testKey(3)

/** Height of the block opening the escrow; the next block holds the buyer's accept. */
export const ESCROW_OPENED_AT = 5

/**
 * 12 blocks; block 3 holds ALICE -> BOB 1000 (index 1, after the coinbase); block 5 SELLER's
 * escrow-open for BUYER (arbiter ALICE), block 6 BUYER's escrow-accept.
 */
export function buildChain(): { chain: TestChain; sent: TransferTx; opened: EscrowOpenTx } {
  const chain = testChain()
  const sent = transfer(ALICE, BOB.address, { nonce: 0, amount: 1000n, fee: 10n })
  const opened = escrowOpen(SELLER, BUYER.address, { arbiter: ALICE.address, paymentWindowBlocks: 100 })
  const accepted = escrowStep('escrow-accept', BUYER, txId(opened))
  const at: Record<number, TransferTx | EscrowOpenTx | typeof accepted> = {
    3: sent,
    [ESCROW_OPENED_AT]: opened,
    [ESCROW_OPENED_AT + 1]: accepted,
  }
  for (let h = 1; h <= 12; h++) {
    const tx = at[h]
    chain.apply(chain.build(tx === undefined ? [] : [tx]))
  }
  return { chain, sent, opened }
}

export const FIX = buildChain()

/** What an honest full node at `height` serves. */
export function honestAccount(address: Address, height = FIX.chain.headers.length - 1): AccountProofResponse {
  const state = FIX.chain.states[height]!
  return {
    blockId: blockId(FIX.chain.headers[height]!).toString(),
    height,
    account: getAccount(state, address),
    proof: proveAccount(state, address),
  }
}

export const ESCROW_ID: TxId = txId(FIX.opened)

/** What an honest full node at `height` serves for the escrow `id`. */
export function honestEscrow(id: TxId, height = FIX.chain.headers.length - 1): EscrowProofResponse {
  const state = FIX.chain.states[height]!
  return {
    blockId: blockId(FIX.chain.headers[height]!).toString(),
    height,
    record: getEscrow(state, id) ?? null,
    proof: proveEscrow(state, id),
  }
}

export function honestTxProof(id: string): TxProofResponse | null {
  for (const [height, block] of FIX.chain.blocks.entries()) {
    const index = block.transactions.findIndex((t) => txId(t).toString() === id)
    if (index < 0) continue
    return {
      tx: block.transactions[index]!,
      blockId: blockId(block.header).toString(),
      height,
      index,
      proof: proveTxInclusion(block.transactions, index),
    }
  }
  return null
}

export interface Judged {
  readonly peer: string
  readonly what: Misbehaviour | Offence
  readonly detail: string | undefined
}

export function recordingJudge(): PeerJudge & { judged: Judged[] } {
  const judged: Judged[] = []
  return {
    judged,
    misbehaved: (peer, what, detail) => judged.push({ peer, what, detail }),
    penalise: (peer, what, detail) => judged.push({ peer, what, detail }),
  }
}

export type PeerBehaviour = Partial<Pick<RpcClientApi, 'accountProof' | 'txProof' | 'escrowProof'>>

/** An rpc client whose answers come from a behaviour per peer (unknown peers: timeout). */
export function stubRpc(peers: Record<string, PeerBehaviour>): Pick<
  RpcClientApi,
  'accountProof' | 'txProof' | 'escrowProof'
> & {
  asked: string[]
} {
  const asked: string[] = []
  const timeout = (): Promise<never> =>
    Promise.reject(Object.assign(new Error('timed out'), { code: 'RPC_TIMEOUT' }))
  return {
    asked,
    accountProof: async (peer, address, signal) => {
      asked.push(peer)
      const p = peers[peer]?.accountProof
      return p === undefined ? await timeout() : await p(peer, address, signal)
    },
    txProof: async (peer, id, signal) => {
      asked.push(peer)
      const p = peers[peer]?.txProof
      return p === undefined ? await timeout() : await p(peer, id, signal)
    },
    escrowProof: async (peer, id, signal) => {
      asked.push(peer)
      const p = peers[peer]?.escrowProof
      return p === undefined ? await timeout() : await p(peer, id, signal)
    },
  }
}

/** A started light chain on a temp database holding headers 1..`height` of FIX. */
export async function lightChainAt(
  height: number,
): Promise<{ chain: LightChain; db: Database; close: () => Promise<void> }> {
  const dir = await tempDir('kith-light-client-')
  const db = openDatabase(join(dir, 'kith.sqlite'))
  const chain = new LightChain({
    db,
    genesis: FIX.chain.genesis,
    clock: new ManualClock(GENESIS_TIME_MS + 1e9),
    logger: silentLogger(),
  })
  chain.start()
  if (height > 0) chain.addHeaders(FIX.chain.headers.slice(1, height + 1))
  return {
    chain,
    db,
    close: async () => {
      db.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
