/**
 * Escrow transaction validation throughput (issue 10): each escrow kind (open, accept, paid,
 * release, refund, dispute, resolve) admitted into a fresh mempool, which runs every rule a node
 * applies to a transaction before relaying it (network, fee, size, signature, nonce, balance and,
 * for escrow kinds, the escrow state machine against the tip's record at the next height),
 * against plain transfers through the same path, in the same run, rounds interleaved. Each kind
 * validates ESCROWS transactions from as many distinct senders against a ledger state in which
 * they are all valid (built once by applying blocks of opens, accepts, paids and disputes). The
 * signature cache is cleared before every round, so every signature is verified.
 * `ratio.<kind>` = that kind's rate / the transfer rate. Prints one JSON object.
 *
 *   ./node_modules/.bin/node bench/escrow-validate.bench.ts
 */
import { performance } from 'node:perf_hooks'
import {
  buildBlockTemplate,
  clearSignatureCache,
  createEscrowAction,
  createEscrowOpen,
  createEscrowResolve,
  createTransfer,
  expectedBits,
  getAccount,
  getEscrow,
  Mempool,
  parseGenesis,
  sha256,
  signTransfer,
  signTx,
  txId,
  type EscrowActionTx,
  type LedgerState,
  type SignedTx,
  type TxId,
} from '../src/chain/index.ts'
import { BENCH_INTERVAL_MS, benchGenesisFile, benchKeys, type BenchKey } from './lib/chain-fixture.ts'
import { ESCROW_BENCH_ROUNDS, ESCROW_BENCH_TXS } from './lib/constants.ts'

const N = ESCROW_BENCH_TXS
const ROUNDS = ESCROW_BENCH_ROUNDS

// Sellers, buyers and arbiters: one escrow each, so every transaction of a kind has its own sender.
const keys = benchKeys(3 * N, 'escrow bench key')
const sellers = keys.slice(0, N)
const buyers = keys.slice(N, 2 * N)
const arbiters = keys.slice(2 * N)
const genesis = parseGenesis(benchGenesisFile(keys))
const params = genesis.params
const network = params.networkId
const FEE = 100n
const termsHash = sha256(new TextEncoder().encode('escrow bench terms'))

const opens = sellers.map((s, i) =>
  signTx(
    createEscrowOpen({
      network,
      senderKey: s.publicKey,
      nonce: 0,
      fee: FEE,
      buyer: buyers[i]!.address,
      arbiter: arbiters[i]!.address,
      amount: 1_000_000n + BigInt(i),
      sellerDeposit: 10_000n,
      buyerDeposit: 5_000n,
      // One block to pay, so a refund is valid two blocks after the accept.
      paymentWindowBlocks: 1,
      releaseWindowBlocks: 10,
      disputeWindowBlocks: 10,
      termsHash,
    }),
    s.privateKey,
  ),
)
const ids: TxId[] = opens.map((o) => txId(o))

function step(kind: EscrowActionTx['kind'], from: readonly BenchKey[], nonce: number): SignedTx[] {
  return from.map((k, i) =>
    signTx(
      createEscrowAction(kind, { network, senderKey: k.publicKey, nonce, fee: FEE, escrow: ids[i]! }),
      k.privateKey,
    ),
  )
}

const accepts = step('escrow-accept', buyers, 0)
const paids = step('escrow-paid', buyers, 1)
const releases = step('escrow-release', sellers, 1)
const refunds = step('escrow-refund', sellers, 1)
const disputes = step('escrow-dispute', buyers, 2)
const resolves = arbiters.map((a, i) =>
  signTx(
    createEscrowResolve({
      network,
      senderKey: a.publicKey,
      nonce: 0,
      fee: FEE,
      escrow: ids[i]!,
      buyerShareBps: 5_000,
    }),
    a.privateKey,
  ),
)
const transfers = sellers.map((s, i) =>
  signTransfer(
    createTransfer({
      network,
      senderKey: s.publicKey,
      nonce: 0,
      recipient: buyers[i]!.address,
      amount: 1_000_000n + BigInt(i),
      fee: FEE,
    }),
    s.privateKey,
  ),
)

/** The state after a block of `txs` on `state` at `height` (every one must apply). */
function after(state: LedgerState, height: number, txs: readonly SignedTx[]): LedgerState {
  const parent = genesis.block.header
  const t = buildBlockTemplate(state, {
    params,
    parent: { ...parent, height: height - 1 },
    timestampMs: parent.timestampMs + height * BENCH_INTERVAL_MS,
    miner: keys[0]!.address,
    consensus: { engine: 'pow', bits: expectedBits(params, parent), nonce: 0 },
    candidates: [...txs],
  })
  if (t.skipped.length > 0) throw new Error(`height ${height}: ${t.skipped[0]!.error.code}`)
  return t.state
}

const s0 = genesis.state
const s1 = after(s0, 1, opens) // open
const s2 = after(s1, 2, accepts) // accepted at 2
const s3 = after(s2, 3, paids) // paid at 3
const s4 = after(s3, 4, disputes) // disputed at 4
if (getEscrow(s4, ids[0]!)?.state !== 'disputed') throw new Error('fixture did not reach disputed')

interface Case {
  readonly txs: readonly SignedTx[]
  readonly state: LedgerState
  /** Height of the block the transactions would go into. */
  readonly nextHeight: number
}

const CASES: Record<string, Case> = {
  transfer: { txs: transfers, state: s0, nextHeight: 1 },
  'escrow-open': { txs: opens, state: s0, nextHeight: 1 },
  'escrow-accept': { txs: accepts, state: s1, nextHeight: 2 },
  'escrow-paid': { txs: paids, state: s2, nextHeight: 3 },
  'escrow-release': { txs: releases, state: s3, nextHeight: 4 },
  // acceptedAt 2 + paymentWindowBlocks 1: a refund is possible after height 3.
  'escrow-refund': { txs: refunds, state: s2, nextHeight: 4 },
  'escrow-dispute': { txs: disputes, state: s3, nextHeight: 4 },
  'escrow-resolve': { txs: resolves, state: s4, nextHeight: 5 },
}

/** ms to admit every transaction of the case into a fresh mempool, signatures cold. */
function admitMs(c: Case): number {
  const view = {
    account: (a: Parameters<typeof getAccount>[1]) => getAccount(c.state, a),
    escrow: (id: TxId) => getEscrow(c.state, id),
    nextHeight: c.nextHeight,
  }
  const pool = new Mempool(params)
  clearSignatureCache()
  const t0 = performance.now()
  for (const tx of c.txs) pool.add(tx, view, 0)
  const ms = performance.now() - t0
  if (pool.size !== c.txs.length) throw new Error(`admitted ${pool.size} of ${c.txs.length}`)
  return ms
}

const names = Object.keys(CASES)
const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
for (const n of names) admitMs(CASES[n]!) // warm-up: JIT and the KeyObject cache
for (let r = 0; r < ROUNDS; r++) for (const n of names) times[n]!.push(admitMs(CASES[n]!))

// Fastest of the interleaved rounds: on a shared machine, noise only ever adds time.
const perSec = (n: string): number => (N / Math.min(...times[n]!)) * 1000
const transferRate = perSec('transfer')
const escrowKinds = names.filter((n) => n !== 'transfer')
console.log(
  JSON.stringify({
    bench: 'escrow-validate',
    txsPerKind: N,
    rounds: ROUNDS,
    transferPerSec: Math.round(transferRate),
    perSec: Object.fromEntries(escrowKinds.map((n) => [n, Math.round(perSec(n))])),
    ratio: Object.fromEntries(escrowKinds.map((n) => [n, Number((perSec(n) / transferRate).toFixed(3))])),
    minRatio: Number(Math.min(...escrowKinds.map((n) => perSec(n) / transferRate)).toFixed(3)),
    target: 'every ratio >= 0.7 (an escrow kind is a transfer plus one record read)',
  }),
)
