/**
 * IPIP-499 UnixFS CID profiles (ipfs/specs src/ipips/ipip-0499.md): the parameters that decide
 * which CID a file or folder gets. Written out here, not left to the importer's defaults, so a
 * library upgrade cannot silently change our CIDs; test/content checks them against the
 * reference importer's own `profile` option and against CIDs quoted in IPFS docs.
 */
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import type { ImporterOptions } from 'ipfs-unixfs-importer'
import { InvalidInputError } from '../core/errors.ts'

export type CidProfileName = 'unixfs-v1-2025' | 'unixfs-v0-2015'
export const CID_PROFILE_NAMES: readonly CidProfileName[] = ['unixfs-v1-2025', 'unixfs-v0-2015']
export const DEFAULT_CID_PROFILE: CidProfileName = 'unixfs-v1-2025'

export interface CidProfile {
  name: CidProfileName
  cidVersion: 0 | 1
  /** Fixed-size chunker, bytes per leaf. */
  chunkSizeBytes: number
  /** Balanced layout: most links per file node. */
  maxChildrenPerNode: number
  /** Raw (0x55) leaves, or dag-pb UnixFS File leaves. */
  rawLeaves: boolean
  /** A directory becomes a HAMT once its estimated size passes this... */
  hamtThresholdBytes: number
  /** ...measured this way (IPIP-499 "links-bytes" or "block-bytes"). */
  hamtThresholdStrategy: 'links-bytes' | 'block-bytes'
  /** HAMT fanout 256 = 8 bits per level. */
  hamtFanoutBits: number
}

export const CID_PROFILES: Readonly<Record<CidProfileName, CidProfile>> = {
  // IPIP-499 "The unixfs-v1-2025 modern profile" table.
  'unixfs-v1-2025': {
    name: 'unixfs-v1-2025',
    cidVersion: 1,
    chunkSizeBytes: 1024 * 1024,
    maxChildrenPerNode: 1024,
    rawLeaves: true,
    hamtThresholdBytes: 256 * 1024,
    hamtThresholdStrategy: 'block-bytes',
    hamtFanoutBits: 8,
  },
  // IPIP-499 "The unixfs-v0-2015 legacy profile" table (kubo defaults through 0.39).
  'unixfs-v0-2015': {
    name: 'unixfs-v0-2015',
    cidVersion: 0,
    chunkSizeBytes: 256 * 1024,
    maxChildrenPerNode: 174,
    rawLeaves: false,
    hamtThresholdBytes: 256 * 1024,
    hamtThresholdStrategy: 'links-bytes',
    hamtFanoutBits: 8,
  },
}

/** Validate a profile name from a flag, config or API body. Throws INVALID_PROFILE. */
export function cidProfile(name: string = DEFAULT_CID_PROFILE): CidProfile {
  if (name in CID_PROFILES) return CID_PROFILES[name as CidProfileName]
  throw new InvalidInputError(
    'INVALID_PROFILE',
    `unknown CID profile "${name}"; expected one of ${CID_PROFILE_NAMES.join(', ')}`,
    {
      profile: name,
    },
  )
}

/** ipfs-unixfs-importer options that build exactly this profile. A fresh object each call (the importer mutates it). */
export function importerOptionsFor(profile: CidProfile): ImporterOptions {
  return {
    cidVersion: profile.cidVersion,
    rawLeaves: profile.rawLeaves,
    leafType: 'file',
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: profile.chunkSizeBytes }),
    layout: balanced({ maxChildrenPerNode: profile.maxChildrenPerNode }),
    shardSplitThresholdBytes: profile.hamtThresholdBytes,
    shardSplitStrategy: profile.hamtThresholdStrategy,
    shardFanoutBits: profile.hamtFanoutBits,
    fieldOrder: 'links-first',
    wrapWithDirectory: false,
  }
}
