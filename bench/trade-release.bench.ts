/**
 * Time from `release` to the buyer's balance changing, on a devnet of 10 real trading nodes on
 * loopback (seller, buyer, arbiter and 7 more, every pair connected), against a plain transfer's
 * time to the recipient's balance in the same run. Both paths are the same: the seller's node
 * signs and gossips the transaction, another node (m0) mines it once it is in its mempool (the
 * harness's one-block easy PoW, no miner thread), the block reaches the buyer's node. Rounds
 * alternate release and transfer; setup (offer, take, open, accept, paid) is not timed.
 * Prints one JSON object.
 *
 *   ./node_modules/.bin/node --expose-gc bench/trade-release.bench.ts
 */
import { performance } from 'node:perf_hooks'
import { createTransfer, signTransfer } from '../src/chain/tx.ts'
import { TRADE_NET_FEE, TradeTestNet } from '../test/helpers/trade-net.ts'
import { log, median, quantile, ratio, round } from './lib/stats.ts'

const NODES = 10
const ROUNDS = 5
const WINDOW_BLOCKS = 20

const names = ['seller', 'buyer', 'arbiter', ...Array.from({ length: NODES - 3 }, (_, i) => `m${i}`)]
const net = await TradeTestNet.start(names, { seed: 900 })

/** Setup, not timed: offer, take, open, accept, paid (the same steps as trade-escrow.test.ts). */
const paidTrade = async (): Promise<string> => await net.paidTrade(10_000n, WINDOW_BLOCKS)

/** From `submit()` to the buyer's balance changing on the buyer's node, mined on m0. */
async function timed(submit: () => Promise<void>): Promise<number> {
  const before = net.balance('buyer')
  const mempoolBefore = net.node('m0').chain.mempool().length
  const t0 = performance.now()
  await submit()
  await net.until('m0 has the transaction', () => net.node('m0').chain.mempool().length > mempoolBefore)
  net.mineBlock('m0')
  await net.until('the buyer balance changed', () => net.balance('buyer') !== before)
  const ms = performance.now() - t0
  await net.mine('m0', 0)
  await net.until('every node at one head', () =>
    net.parties.every((p) => p.node.chain.head().id === net.node('m0').chain.head().id),
  )
  return ms
}

const keys = await net.keys('seller')
const release: number[] = []
const transfer: number[] = []
try {
  for (let r = 0; r < ROUNDS; r++) {
    const id = await paidTrade()
    release.push(await timed(async () => void (await net.trade('seller').step(id, 'release'))))
    transfer.push(
      await timed(async () => {
        const chain = net.node('seller').chain
        const tx = signTransfer(
          createTransfer({
            network: net.network,
            senderKey: keys.publicKeyRaw,
            nonce: chain.account(net.party('seller').address).nextNonce,
            recipient: net.party('buyer').address,
            amount: 1_000n,
            fee: TRADE_NET_FEE,
          }),
          keys.privateKey,
        )
        chain.submitTx(tx)
        return await Promise.resolve()
      }),
    )
    log(`round ${r}: release ${round(release.at(-1)!)} ms, transfer ${round(transfer.at(-1)!)} ms`)
  }
} finally {
  await net.stop()
}

const releaseMs = median(release)
const transferMs = median(transfer)
process.stdout.write(
  `${JSON.stringify({
    bench: 'trade-release',
    nodes: NODES,
    rounds: ROUNDS,
    releaseToBalanceMs: { median: round(releaseMs), p90: round(quantile(release, 0.9)) },
    transferToBalanceMs: { median: round(transferMs), p90: round(quantile(transfer, 0.9)) },
    releaseOverTransfer: ratio(releaseMs, transferMs),
    note: 'one block mined by the harness on m0 once the tx is in its mempool; loopback, full mesh',
  })}\n`,
)
