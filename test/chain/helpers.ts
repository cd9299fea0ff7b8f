/** Shared fixtures for chain tests: deterministic keys and signed transfers. */
import { sha256 } from '../../src/chain/codec.ts'
import { addressFromPublicKey } from '../../src/chain/address.ts'
import { publicKeyFromPrivate } from '../../src/chain/keys.ts'
import { createTransfer, signTransfer } from '../../src/chain/tx.ts'
import type { Address, SignedTx, TransferTx } from '../../src/chain/types.ts'
import { createEngine, type ConsensusEngine } from '../../src/chain/consensus/index.ts'
import { sealPoa, solvePow, expectedBits } from '../../src/chain/consensus/index.ts'
import { parseGenesis, type Genesis } from '../../src/chain/genesis.ts'
import type { LedgerState } from '../../src/chain/state.ts'
import { applyBlock, buildBlockTemplate, type ApplyResult } from '../../src/chain/transition.ts'
import type { Block, BlockHeader, Transaction } from '../../src/chain/types.ts'
import { txRoot } from '../../src/chain/txroot.ts'

export interface TestKey {
  readonly privateKey: Uint8Array
  readonly publicKey: Uint8Array
  readonly address: Address
}

/** Key number `i`, the same in every run. */
export function testKey(i: number): TestKey {
  const privateKey = sha256(new TextEncoder().encode(`kith test key ${i}`))
  const publicKey = publicKeyFromPrivate(privateKey)
  return { privateKey, publicKey, address: addressFromPublicKey(publicKey) }
}

export function transfer(
  from: TestKey,
  to: Address,
  opts: { nonce?: number; amount?: bigint; fee?: bigint; memo?: Uint8Array; network?: string } = {},
): TransferTx {
  return signTransfer(
    createTransfer({
      network: opts.network ?? NETWORK,
      senderKey: from.publicKey,
      nonce: opts.nonce ?? 0,
      recipient: to,
      amount: opts.amount ?? 1000n,
      fee: opts.fee ?? 10n,
      ...(opts.memo !== undefined ? { memo: opts.memo } : {}),
    }),
    from.privateKey,
  )
}

// ---- chains ---------------------------------------------------------------------------------

export const GENESIS_TIME_MS = 1_767_225_600_000
export const INTERVAL_MS = 10_000
export const EASY_BITS = 0x207fffff

export function genesisFile(
  opts: { engine?: 'pow' | 'poa'; funded?: TestKey[]; authorities?: TestKey[]; balance?: bigint } = {},
) {
  const funded = opts.funded ?? [testKey(1), testKey(2), testKey(3)]
  return {
    network: 'testnet',
    timestampMs: GENESIS_TIME_MS,
    params: {
      blockIntervalMs: INTERVAL_MS,
      blockReward: '5000000000',
      halvingIntervalBlocks: 100,
      minFee: '10',
      maxBlockTxs: 10_000,
      maxBlockBytes: 4_194_304,
      maxFutureDriftMs: 120_000,
      maxReorgDepth: 100,
    },
    allocations: funded.map((k) => ({ address: k.address, amount: String(opts.balance ?? 1_000_000_000n) })),
    engine:
      (opts.engine ?? 'pow') === 'pow'
        ? { type: 'pow' as const, initialBits: EASY_BITS, powLimitBits: EASY_BITS, halfLifeMs: 3_600_000 }
        : {
            type: 'poa' as const,
            authorities: (opts.authorities ?? [testKey(10), testKey(11), testKey(12)]).map((k) =>
              Buffer.from(k.publicKey).toString('hex'),
            ),
            outOfTurnDelayMs: 5_000,
          },
  }
}

/** A linear chain built in memory: headers[i] and states[i] are at height i. */
export class TestChain {
  readonly genesis: Genesis
  readonly engine: ConsensusEngine
  readonly headers: BlockHeader[]
  readonly states: LedgerState[]
  readonly blocks: Block[]

  constructor(genesis: Genesis) {
    this.genesis = genesis
    this.engine = createEngine(genesis.params)
    this.headers = [genesis.block.header]
    this.states = [genesis.state]
    this.blocks = [genesis.block]
  }

  get params() {
    return this.genesis.params
  }
  get tip(): BlockHeader {
    return this.headers[this.headers.length - 1]!
  }
  get state(): LedgerState {
    return this.states[this.states.length - 1]!
  }

  /** A valid sealed block on the tip with the given transfers (all must be valid). */
  build(txs: SignedTx[], opts: { timestampMs?: number; miner?: Address; signer?: TestKey } = {}): Block {
    const parent = this.tip
    const timestampMs = opts.timestampMs ?? parent.timestampMs + INTERVAL_MS
    const consensus: BlockHeader['consensus'] =
      this.params.engine.type === 'pow'
        ? { engine: 'pow', bits: expectedBits(this.params, parent), nonce: 0 }
        : { engine: 'poa', signer: new Uint8Array(32), signature: new Uint8Array(64) }
    const t = buildBlockTemplate(this.state, {
      params: this.params,
      parent,
      timestampMs,
      miner: opts.miner ?? testKey(0).address,
      consensus,
      candidates: txs,
    })
    if (t.skipped.length > 0) throw t.skipped[0]!.error
    return { ...t.block, header: this.seal(t.block.header, opts.signer) }
  }

  /** The block with other transactions: transactions root recomputed, header resealed. */
  withTransactions(block: Block, transactions: Transaction[]): Block {
    return { header: this.seal({ ...block.header, txRoot: txRoot(transactions) }), transactions }
  }

  seal(header: BlockHeader, signer?: TestKey): BlockHeader {
    if (header.consensus.engine === 'pow') return solvePow(header, 0, 1_000_000)!
    return sealPoa(header, (signer ?? testKey(10)).privateKey)
  }

  ctx(nowMs?: number) {
    return {
      params: this.params,
      engine: this.engine,
      parent: this.tip,
      recentTimestampsMs: this.headers.slice(-11).map((h) => h.timestampMs),
      nowMs: nowMs ?? this.tip.timestampMs + INTERVAL_MS,
    }
  }

  /** Validates and applies a block on the tip, and extends the chain. */
  apply(block: Block, nowMs?: number): ApplyResult {
    const r = applyBlock(this.state, block, this.ctx(nowMs))
    this.headers.push(block.header)
    this.states.push(r.state)
    this.blocks.push(block)
    return r
  }
}

export function testChain(opts: Parameters<typeof genesisFile>[0] = {}): TestChain {
  return new TestChain(parseGenesis(genesisFile(opts)))
}

/** The network id of the default test genesis. */
export const NETWORK: string = parseGenesis(genesisFile()).params.networkId
