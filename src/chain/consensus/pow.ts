/**
 * Proof of work: the sha256 of the header's canonical encoding (its CID digest), read as a
 * big-endian number, must not exceed the target its `bits` encode, and `bits` must be exactly
 * what ASERT gives for the parent.
 */
import { encodeHeader, sha256 } from '../codec.ts'
import { BlockValidationError } from '../errors.ts'
import type { ChainParams, PowParams } from '../params.ts'
import type { BlockHeader } from '../types.ts'
import type { ConsensusEngine } from './engine.ts'
import { asertNextBits, bitsToTarget, workForTarget } from './target.ts'

function powParams(params: ChainParams): PowParams {
  if (params.engine.type !== 'pow') throw new TypeError('chain params are not for a PoW network')
  return params.engine
}

/** The compact target a child of `parent` must carry. */
export function expectedBits(params: ChainParams, parent: BlockHeader): number {
  const e = powParams(params)
  return asertNextBits({
    anchorBits: e.initialBits,
    anchorTimestampMs: params.genesisTimestampMs,
    idealBlockTimeMs: params.blockIntervalMs,
    halfLifeMs: e.halfLifeMs,
    powLimitBits: e.powLimitBits,
    parentHeight: parent.height,
    parentTimestampMs: parent.timestampMs,
  })
}

/** The header hash as a 256-bit number. */
export function powHash(header: BlockHeader): bigint {
  return BigInt('0x' + Buffer.from(sha256(encodeHeader(header))).toString('hex'))
}

export function meetsTarget(header: BlockHeader): boolean {
  if (header.consensus.engine !== 'pow') return false
  const target = bitsToTarget(header.consensus.bits)
  return target > 0n && powHash(header) <= target
}

/**
 * Tries nonces from `startNonce` for at most `maxTries` headers; returns the solved header or
 * null. Deterministic; the mining worker calls it in slices so it can be interrupted.
 */
export function solvePow(header: BlockHeader, startNonce: number, maxTries: number): BlockHeader | null {
  if (header.consensus.engine !== 'pow') throw new TypeError('not a PoW header')
  for (let nonce = startNonce; nonce < startNonce + maxTries && nonce <= Number.MAX_SAFE_INTEGER; nonce++) {
    const candidate: BlockHeader = { ...header, consensus: { ...header.consensus, nonce } }
    if (meetsTarget(candidate)) return candidate
  }
  return null
}

export function createPowEngine(params: ChainParams): ConsensusEngine {
  powParams(params)
  return {
    type: 'pow',
    validateSeal(header, parent) {
      const c = header.consensus
      // [REJECT] the header uses the network's consensus engine
      if (c.engine !== 'pow')
        throw new BlockValidationError('BLOCK_ENGINE', 'reject', 'this network uses proof of work')
      // [REJECT] bits equal the ASERT target for the parent
      const want = expectedBits(params, parent)
      if (c.bits !== want) {
        throw new BlockValidationError(
          'BLOCK_POW_TARGET',
          'reject',
          `block bits ${c.bits} differ from the required ${want}`,
          { bits: c.bits, want },
        )
      }
      // [REJECT] sha256(header) <= target
      if (!meetsTarget(header))
        throw new BlockValidationError('BLOCK_POW', 'reject', 'block hash does not meet its target')
    },
    work(header) {
      if (header.consensus.engine !== 'pow') return 0n
      return workForTarget(bitsToTarget(header.consensus.bits))
    },
  }
}
