/**
 * The genesis file: network name, parameters, allocations and consensus engine, as JSON.
 * Amounts are decimal strings of base units (JSON numbers cannot carry them exactly).
 * Its canonical dag-cbor hash becomes part of the network id, so two networks with different
 * genesis files never accept each other's transactions.
 *
 * Example:
 *   { "network": "devnet", "timestampMs": 1767225600000,
 *     "params": { "blockIntervalMs": 10000, "blockReward": "5000000000", "halvingIntervalBlocks": 210000,
 *                 "minFee": "1000", "maxBlockTxs": 10000, "maxBlockBytes": 4194304,
 *                 "maxFutureDriftMs": 120000, "maxReorgDepth": 100 },
 *     "allocations": [ { "address": "kith1...", "amount": "100000000000" } ],
 *     "engine": { "type": "pow", "initialBits": 545259519, "powLimitBits": 545259519, "halfLifeMs": 3600000 } }
 */
import * as dagCbor from '@ipld/dag-cbor'
import { z } from 'zod'
import { ADDRESS_BYTES, addressFromBytes, addressToBytes, isAddress } from './address.ts'
import { sha256 } from './codec.ts'
import {
  MAX_BLOCK_BYTES,
  MAX_BLOCK_TXS,
  MAX_FUTURE_DRIFT_MS,
  MAX_GENESIS_ALLOCATIONS,
  MAX_NETWORK_NAME_LENGTH,
  MAX_POA_AUTHORITIES,
  MAX_REORG_DEPTH,
  MAX_SUPPLY,
} from './constants.ts'
import { GenesisError } from './errors.ts'
import { bitsToTarget } from './consensus/target.ts'
import { totalRewards, type ChainParams, type EngineParams } from './params.ts'
import { EMPTY_STATE, setAccounts, stateRoot, type LedgerState } from './state.ts'
import { txRoot } from './txroot.ts'
import type { Account, Address, Block, BlockHeader } from './types.ts'

const amount = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a decimal string of base units')
const posInt = (max: number) => z.number().int().min(1).max(max)
const hexKey = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters (a raw ed25519 public key)')

const GenesisSchema = z
  .object({
    network: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes')
      .max(MAX_NETWORK_NAME_LENGTH),
    timestampMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    params: z
      .object({
        blockIntervalMs: posInt(24 * 60 * 60 * 1000),
        blockReward: amount,
        halvingIntervalBlocks: posInt(2 ** 32),
        minFee: amount,
        maxBlockTxs: posInt(MAX_BLOCK_TXS),
        maxBlockBytes: posInt(MAX_BLOCK_BYTES),
        maxFutureDriftMs: posInt(MAX_FUTURE_DRIFT_MS),
        maxReorgDepth: posInt(MAX_REORG_DEPTH),
      })
      .strict(),
    allocations: z
      .array(
        z.object({ address: z.string().refine(isAddress, 'must be a valid kith1 address'), amount }).strict(),
      )
      .max(MAX_GENESIS_ALLOCATIONS),
    engine: z.discriminatedUnion('type', [
      z
        .object({
          type: z.literal('pow'),
          initialBits: z.number().int().min(1).max(0xffffffff),
          powLimitBits: z.number().int().min(1).max(0xffffffff),
          halfLifeMs: posInt(30 * 24 * 60 * 60 * 1000),
        })
        .strict(),
      z
        .object({
          type: z.literal('poa'),
          authorities: z.array(hexKey).min(1).max(MAX_POA_AUTHORITIES),
          outOfTurnDelayMs: z
            .number()
            .int()
            .min(0)
            .max(24 * 60 * 60 * 1000),
        })
        .strict(),
    ]),
  })
  .strict()

export type GenesisFile = z.infer<typeof GenesisSchema>

export interface Genesis {
  readonly params: ChainParams
  readonly allocations: readonly (readonly [Address, bigint])[]
  readonly block: Block
  readonly state: LedgerState
  /** sha256 of the canonical encoding of the parsed genesis file. */
  readonly hash: Uint8Array
}

/** The address nobody holds a key for; genesis names it as its miner. */
export const BURN_ADDRESS: Address = addressFromBytes(new Uint8Array(ADDRESS_BYTES))

/** Parses genesis JSON text; throws GenesisError naming every problem found. */
export function parseGenesisJson(text: string): Genesis {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new GenesisError('GENESIS_INVALID', `genesis file is not JSON: ${(err as Error).message}`)
  }
  return parseGenesis(json)
}

export function parseGenesis(json: unknown): Genesis {
  const parsed = GenesisSchema.safeParse(json)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    // The fields at fault, for callers and tests to branch on (an unknown key names itself).
    const fields = parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => [...i.path, k].join('.'))
        : [i.path.join('.') || '(root)'],
    )
    throw new GenesisError('GENESIS_INVALID', `genesis file is invalid: ${problems.join('; ')}`, {
      problems: problems.length,
      fields: fields.join(','),
    })
  }
  return buildGenesis(parsed.data)
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function engineParams(f: GenesisFile): EngineParams {
  const e = f.engine
  if (e.type === 'pow') {
    if (bitsToTarget(e.initialBits) === 0n || bitsToTarget(e.powLimitBits) < bitsToTarget(e.initialBits)) {
      throw new GenesisError(
        'GENESIS_INVALID',
        'engine.initialBits must encode a non-zero target no easier than engine.powLimitBits',
        { fields: 'engine.initialBits' },
      )
    }
    return e
  }
  const keys = e.authorities.map((h) => Uint8Array.from(Buffer.from(h, 'hex')))
  if (new Set(e.authorities).size !== keys.length)
    throw new GenesisError('GENESIS_INVALID', 'engine.authorities lists a key twice', {
      fields: 'engine.authorities',
    })
  return { type: 'poa', authorities: keys, outOfTurnDelayMs: e.outOfTurnDelayMs }
}

function buildGenesis(f: GenesisFile): Genesis {
  const engine = engineParams(f)
  const allocations: [Address, bigint][] = f.allocations.map((a) => [a.address, BigInt(a.amount)])
  if (new Set(allocations.map(([a]) => a)).size !== allocations.length) {
    throw new GenesisError('GENESIS_INVALID', 'allocations list an address twice', { fields: 'allocations' })
  }
  const schedule = {
    initialReward: BigInt(f.params.blockReward),
    halvingIntervalBlocks: f.params.halvingIntervalBlocks,
  }
  const allocated = allocations.reduce((s, [, v]) => s + v, 0n)
  const maxSupply = allocated + totalRewards(schedule)
  if (maxSupply > MAX_SUPPLY) {
    throw new GenesisError(
      'GENESIS_SUPPLY',
      `allocations plus all rewards (${maxSupply}) exceed the supply cap ${MAX_SUPPLY}`,
      { fields: 'allocations' },
    )
  }
  const canonical = {
    network: f.network,
    timestampMs: f.timestampMs,
    params: { ...f.params, blockReward: schedule.initialReward, minFee: BigInt(f.params.minFee) },
    allocations: allocations.map(([a, v]) => ({ address: addressToBytes(a), amount: v })),
    engine: engine.type === 'pow' ? engine : { ...engine, authorities: [...engine.authorities] },
  }
  const hash = sha256(dagCbor.encode(canonical))
  const params: ChainParams = {
    networkName: f.network,
    networkId: `${f.network}-${hex(hash).slice(0, 16)}`,
    genesisTimestampMs: f.timestampMs,
    blockIntervalMs: f.params.blockIntervalMs,
    ...schedule,
    minFee: BigInt(f.params.minFee),
    maxBlockTxs: f.params.maxBlockTxs,
    maxBlockBytes: f.params.maxBlockBytes,
    maxFutureDriftMs: f.params.maxFutureDriftMs,
    maxReorgDepth: f.params.maxReorgDepth,
    engine,
  }
  const state = setAccounts(
    EMPTY_STATE,
    allocations.map(([a, v]): [Address, Account] => [a, { balance: v, nonce: 0 }]),
  )
  const header: BlockHeader = {
    parent: null,
    height: 0,
    timestampMs: f.timestampMs,
    txRoot: txRoot([]),
    stateRoot: stateRoot(state),
    miner: BURN_ADDRESS,
    consensus:
      engine.type === 'pow'
        ? { engine: 'pow', bits: engine.initialBits, nonce: 0 }
        : { engine: 'poa', signer: new Uint8Array(32), signature: new Uint8Array(64) },
  }
  return { params, allocations, block: { header, transactions: [] }, state, hash }
}

/** Parameters a new network gets unless told otherwise (devnet-friendly). */
export const DEFAULT_GENESIS_PARAMS: GenesisFile['params'] = {
  /** Ten seconds: quick feedback on a devnet, still far above propagation time on a LAN. */
  blockIntervalMs: 10_000,
  /** 10 KITH, halving every 210,000 blocks: 4.2M KITH over all time, leaving room for allocations. */
  blockReward: '1000000000',
  halvingIntervalBlocks: 210_000,
  /** 0.00001 KITH. */
  minFee: '1000',
  maxBlockTxs: 10_000,
  maxBlockBytes: 4 * 1024 * 1024,
  maxFutureDriftMs: 2 * 60 * 1000,
  maxReorgDepth: 100,
}

/** Regtest-like PoW: about two hashes per block, so a devnet mines instantly on any machine. */
export const DEVNET_POW_BITS = 0x207fffff

export interface GenesisFileInit {
  readonly network: string
  readonly timestampMs: number
  readonly allocations: readonly { readonly address: Address; readonly amount: bigint }[]
  /** @default PoW at DEVNET_POW_BITS with a one-hour ASERT half-life */
  readonly engine?: GenesisFile['engine']
  readonly params?: Partial<GenesisFile['params']>
}

/** A genesis file (the JSON object) with defaults filled in; parse it with parseGenesis. */
export function makeGenesisFile(init: GenesisFileInit): GenesisFile {
  return {
    network: init.network,
    timestampMs: init.timestampMs,
    params: { ...DEFAULT_GENESIS_PARAMS, ...init.params },
    allocations: init.allocations.map((a) => ({ address: a.address, amount: a.amount.toString() })),
    engine: init.engine ?? {
      type: 'pow',
      initialBits: DEVNET_POW_BITS,
      powLimitBits: DEVNET_POW_BITS,
      halfLifeMs: 3_600_000,
    },
  }
}
