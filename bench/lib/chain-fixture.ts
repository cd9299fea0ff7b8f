/**
 * Shared ledger fixtures for the chain benchmarks: deterministic keys, a devnet-easy PoW genesis
 * funding them, and branches of full blocks built on it.
 */
import {
  addressFromPublicKey,
  buildBlockTemplate,
  createEngine,
  createTransfer,
  expectedBits,
  getAccount,
  parseGenesis,
  publicKeyFromPrivate,
  sha256,
  signTransfer,
  solvePow,
  type Address,
  type Block,
  type BlockHeader,
  type BlockUndo,
  type LedgerState,
} from '../../src/chain/index.ts'

export const BENCH_INTERVAL_MS = 10_000
export const BENCH_GENESIS_MS = 1_767_225_600_000

export interface BenchKey {
  privateKey: Uint8Array
  publicKey: Uint8Array
  address: Address
}

/** `count` keys derived from `label`, the same every run. */
export function benchKeys(count: number, label: string): BenchKey[] {
  return Array.from({ length: count }, (_, i) => {
    const privateKey = sha256(new TextEncoder().encode(`${label} ${i}`))
    const publicKey = publicKeyFromPrivate(privateKey)
    return { privateKey, publicKey, address: addressFromPublicKey(publicKey) }
  })
}

/** The genesis file every chain bench uses: easiest PoW, 100 KITH to each key. */
export function benchGenesisFile(keys: readonly BenchKey[]) {
  return {
    network: 'bench',
    timestampMs: BENCH_GENESIS_MS,
    params: {
      blockIntervalMs: BENCH_INTERVAL_MS,
      blockReward: '1000000000',
      halvingIntervalBlocks: 210_000,
      minFee: '10',
      maxBlockTxs: 10_000,
      maxBlockBytes: 8_388_608,
      maxFutureDriftMs: 120_000,
      maxReorgDepth: 100,
    },
    allocations: keys.map((k) => ({ address: k.address, amount: '10000000000' })),
    engine: {
      type: 'pow' as const,
      initialBits: 0x207fffff,
      powLimitBits: 0x207fffff,
      halfLifeMs: 3_600_000,
    },
  }
}

export function benchGenesis(keys: readonly BenchKey[]) {
  const genesis = parseGenesis(benchGenesisFile(keys))
  return { genesis, params: genesis.params, engine: createEngine(genesis.params) }
}

export interface BranchStep {
  block: Block
  state: LedgerState
  undo: BlockUndo
}

/**
 * `length` mined blocks of `txsPerBlock` transfers on top of genesis; `salt` makes branches
 * with the same shape differ (recipients, amounts, timestamps, miner).
 */
export function buildBranch(
  genesis: ReturnType<typeof parseGenesis>,
  keys: readonly BenchKey[],
  opts: { length: number; salt: number; txsPerBlock: number },
): BranchStep[] {
  const { params } = genesis
  const out: BranchStep[] = []
  let parent: BlockHeader = genesis.block.header
  let state = genesis.state
  for (let h = 0; h < opts.length; h++) {
    const txs = Array.from({ length: opts.txsPerBlock }, (_, j) => {
      const k = keys[(h * opts.txsPerBlock + j) % keys.length]!
      const unsigned = createTransfer({
        network: params.networkId,
        senderKey: k.publicKey,
        nonce: getAccount(state, k.address).nonce,
        recipient: keys[(j * 13 + opts.salt) % keys.length]!.address,
        amount: 1_000n + BigInt(opts.salt),
        fee: 100n,
      })
      return signTransfer(unsigned, k.privateKey)
    })
    const tpl = buildBlockTemplate(state, {
      params,
      parent,
      timestampMs: parent.timestampMs + BENCH_INTERVAL_MS + opts.salt,
      miner: keys[opts.salt]!.address,
      consensus: { engine: 'pow', bits: expectedBits(params, parent), nonce: 0 },
      candidates: txs,
    })
    if (tpl.skipped.length > 0) throw tpl.skipped[0]!.error
    const block = { ...tpl.block, header: solvePow(tpl.block.header, 0, 1_000_000)! }
    out.push({ block, state: tpl.state, undo: tpl.undo })
    parent = block.header
    state = tpl.state
  }
  return out
}
