/**
 * Proof of authority, for private networks (after Ethereum's Clique, EIP-225): an authority set
 * fixed in genesis; at height h the in-turn signer is authorities[h % n] and may seal one block
 * interval after the parent; any other authority may seal out of turn only after an extra delay.
 * In-turn blocks weigh 2, out-of-turn 1, so when both exist the in-turn branch wins.
 */
import type { KeyObject } from 'node:crypto'
import { encodePoaSigningPayload } from '../codec.ts'
import { BlockValidationError } from '../errors.ts'
import { publicKeyFromPrivate, signBytes, verifyBytes } from '../keys.ts'
import type { ChainParams, PoaParams } from '../params.ts'
import type { BlockHeader } from '../types.ts'
import type { ConsensusEngine } from './engine.ts'

export const POA_IN_TURN_WORK = 2n
export const POA_OUT_OF_TURN_WORK = 1n

function poaParams(params: ChainParams): PoaParams {
  if (params.engine.type !== 'poa') throw new TypeError('chain params are not for a PoA network')
  return params.engine
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export function inTurnSigner(params: ChainParams, height: number): Uint8Array {
  const { authorities } = poaParams(params)
  return authorities[height % authorities.length]!
}

export function isInTurn(params: ChainParams, header: BlockHeader): boolean {
  return (
    header.consensus.engine === 'poa' &&
    sameBytes(header.consensus.signer, inTurnSigner(params, header.height))
  )
}

/** Earliest timestamp at which `signer` may seal a child of `parent`. */
export function earliestSealTimeMs(params: ChainParams, parent: BlockHeader, signer: Uint8Array): number {
  const e = poaParams(params)
  const inTurn = sameBytes(signer, inTurnSigner(params, parent.height + 1))
  return parent.timestampMs + params.blockIntervalMs + (inTurn ? 0 : e.outOfTurnDelayMs)
}

/** Seals a header: sets the signer and signs the header encoded with an empty signature. */
export function sealPoa(header: BlockHeader, privateKey: Uint8Array | KeyObject): BlockHeader {
  const signer = publicKeyFromPrivate(privateKey)
  const unsigned: BlockHeader = {
    ...header,
    consensus: { engine: 'poa', signer, signature: new Uint8Array(64) },
  }
  return {
    ...unsigned,
    consensus: { engine: 'poa', signer, signature: signBytes(privateKey, encodePoaSigningPayload(unsigned)) },
  }
}

export function createPoaEngine(params: ChainParams): ConsensusEngine {
  const e = poaParams(params)
  return {
    type: 'poa',
    validateSeal(header, parent) {
      const c = header.consensus
      // [REJECT] the header uses the network's consensus engine
      if (c.engine !== 'poa')
        throw new BlockValidationError('BLOCK_ENGINE', 'reject', 'this network uses proof of authority')
      // [REJECT] the signer is in the genesis authority set
      if (!e.authorities.some((a) => sameBytes(a, c.signer))) {
        throw new BlockValidationError(
          'BLOCK_POA_SIGNER',
          'reject',
          'block signer is not an authority of this network',
        )
      }
      // [REJECT] in turn: one interval after the parent; out of turn: plus outOfTurnDelayMs
      const earliest = earliestSealTimeMs(params, parent, c.signer)
      if (header.timestampMs < earliest) {
        throw new BlockValidationError('BLOCK_POA_TOO_EARLY', 'reject', `block sealed before ${earliest}`, {
          timestampMs: header.timestampMs,
          earliest,
        })
      }
      // [REJECT] the signature verifies against the signer over the header without signature
      if (!verifyBytes(c.signer, encodePoaSigningPayload(header), c.signature)) {
        throw new BlockValidationError(
          'BLOCK_POA_SIGNATURE',
          'reject',
          'block seal signature does not verify',
        )
      }
    },
    work(header) {
      return isInTurn(params, header) ? POA_IN_TURN_WORK : POA_OUT_OF_TURN_WORK
    },
  }
}
