/**
 * Wire form of the block topic: one kind byte, then the payload. Every node understands both
 * kinds whatever it publishes itself, so full-relay and compact-relay nodes share one topic.
 *   0x00 full block:    the canonical block encoding (src/chain/codec.ts encodeBlock)
 *   0x01 compact block: the compact encoding (src/chain/compact.ts encodeCompactBlock)
 * The transaction topic carries one canonical transaction encoding per message, no envelope.
 */
import { decodeBlock, encodeBlock } from '../../chain/codec.ts'
import {
  compactFromBlock,
  decodeCompactBlock,
  encodeCompactBlock,
  type CompactBlock,
} from '../../chain/compact.ts'
import { DecodeError } from '../../chain/errors.ts'
import type { Block } from '../../chain/types.ts'
import { MAX_FULL_ANNOUNCEMENT_BYTES } from './constants.ts'

export type BlockRelayMode = 'compact' | 'full'

const KIND_FULL = 0x00
const KIND_COMPACT = 0x01

export type BlockAnnouncement =
  | { readonly kind: 'full'; readonly block: Block }
  | { readonly kind: 'compact'; readonly compact: CompactBlock }

/**
 * The block-topic message announcing `block` in the given mode. A block with no transfers goes
 * full in either mode: there is nothing to rebuild, and its full form is 13 bytes smaller. A
 * full announcement larger than `maxFullBytes` goes compact instead: GossipSub drops messages
 * over MAX_GOSSIP_MESSAGE_BYTES, and a compact block of MAX_BLOCK_TXS transfers still fits.
 */
export function encodeBlockAnnouncement(
  mode: BlockRelayMode,
  block: Block,
  maxFullBytes = MAX_FULL_ANNOUNCEMENT_BYTES,
): Uint8Array {
  let payload: Uint8Array | null = null
  if (mode === 'full' || block.transactions.length <= 1) {
    payload = encodeBlock(block)
    if (payload.length + 1 > maxFullBytes && block.transactions.length > 1) payload = null
  }
  const full = payload !== null
  payload ??= encodeCompactBlock(compactFromBlock(block))
  const out = new Uint8Array(payload.length + 1)
  out[0] = full ? KIND_FULL : KIND_COMPACT
  out.set(payload, 1)
  return out
}

/** Decodes a block-topic message; throws DecodeError for an unknown kind or a bad payload. */
export function decodeBlockAnnouncement(bytes: Uint8Array): BlockAnnouncement {
  const kind = bytes[0]
  const payload = bytes.subarray(1)
  if (kind === KIND_FULL) return { kind: 'full', block: decodeBlock(payload) }
  if (kind === KIND_COMPACT) return { kind: 'compact', compact: decodeCompactBlock(payload) }
  throw new DecodeError('DECODE_WRONG_TYPE', `block announcement kind ${kind ?? 'missing'} is unknown`, {
    what: 'block announcement',
    field: 'kind',
  })
}
