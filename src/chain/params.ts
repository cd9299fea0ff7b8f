/**
 * Chain parameters, fixed by the genesis file (genesis.ts) and identical on every node of a
 * network. Validation, the transition and the engines read them from here.
 */
export interface PowParams {
  readonly type: 'pow'
  /** Compact target of the first block; also the anchor target for ASERT. */
  readonly initialBits: number
  /** Easiest allowed target (compact); retargeting never goes above it. */
  readonly powLimitBits: number
  /** ASERT half-life: a schedule deviation of this long doubles or halves the target. */
  readonly halfLifeMs: number
}

export interface PoaParams {
  readonly type: 'poa'
  /** Raw 32-byte ed25519 public keys; the in-turn signer at height h is authorities[h % n]. */
  readonly authorities: readonly Uint8Array[]
  /** Extra wait beyond the block interval before an out-of-turn authority may seal. */
  readonly outOfTurnDelayMs: number
}

export type EngineParams = PowParams | PoaParams

export interface ChainParams {
  readonly networkName: string
  /** `<name>-<16 hex of the genesis hash>`: every transaction carries it (replay protection). */
  readonly networkId: string
  readonly genesisTimestampMs: number
  readonly blockIntervalMs: number
  /** Reward of block 1, halved every `halvingIntervalBlocks`. */
  readonly initialReward: bigint
  readonly halvingIntervalBlocks: number
  readonly minFee: bigint
  readonly maxBlockTxs: number
  readonly maxBlockBytes: number
  readonly maxFutureDriftMs: number
  readonly maxReorgDepth: number
  readonly engine: EngineParams
}

/** The block reward at `height` (0 at genesis, and once halvings exhaust it). */
export function blockReward(
  params: Pick<ChainParams, 'initialReward' | 'halvingIntervalBlocks'>,
  height: number,
): bigint {
  if (height <= 0) return 0n
  const halvings = Math.floor((height - 1) / params.halvingIntervalBlocks)
  if (halvings >= 64) return 0n
  return params.initialReward >> BigInt(halvings)
}

/** Sum of all rewards ever minted under this schedule. */
export function totalRewards(params: Pick<ChainParams, 'initialReward' | 'halvingIntervalBlocks'>): bigint {
  let sum = 0n
  for (let r = params.initialReward; r > 0n; r >>= 1n) sum += r * BigInt(params.halvingIntervalBlocks)
  return sum
}

/** Rewards minted in blocks 1..height inclusive. */
export function rewardsUpTo(
  params: Pick<ChainParams, 'initialReward' | 'halvingIntervalBlocks'>,
  height: number,
): bigint {
  let sum = 0n
  let remaining = height
  for (let r = params.initialReward; r > 0n && remaining > 0; r >>= 1n) {
    const n = Math.min(remaining, params.halvingIntervalBlocks)
    sum += r * BigInt(n)
    remaining -= n
  }
  return sum
}
