/**
 * The block topic's validator. Rules, in the order of docs/PROTOCOLS.md "Gossip"; a compact
 * announcement is checked as far as it can be (header, transactions root) before anything is
 * fetched, then rebuilt from the mempool, completed from the announcer. It only decides: a block
 * to import comes back in the decision (`{ verdict: 'accept', block }`) and the relay carries
 * out the import with `importBlockOutcome`, whose rules finish the validation: a block that
 * passes is connected (or kept on a side branch) before GossipSub forwards it.
 */
import { blockId, txId } from '../../chain/codec.ts'
import { checkCompactTxRoot, rebuildCompact, type CompactBlock } from '../../chain/compact.ts'
import type { Block, SignedTx } from '../../chain/types.ts'
import { validateHeader } from '../../chain/validation.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { decodeBlockAnnouncement, type BlockAnnouncement } from './messages.ts'
import type { ChainRelayStats, GossipOutcome, GossipRefusal, RelayChain, RelayRpc } from './types.ts'
import { outcomeOfError } from './verdicts.ts'

export interface BlockCheckContext {
  readonly chain: RelayChain
  readonly rpc: RelayRpc
  readonly nowMs: number
  /** Bounds the fetches from the announcer (timeout, relay stopping). */
  readonly signal: AbortSignal
  readonly stats: ChainRelayStats
  readonly log: Logger
}

/**
 * A block to import (`block`), one already held and valid to forward (`block: null`), or why
 * not.
 */
export type BlockDecision =
  { readonly verdict: 'accept'; readonly id: string; readonly block: Block | null } | GossipRefusal

export async function validateGossipBlock(
  peer: string,
  data: Uint8Array,
  ctx: BlockCheckContext,
): Promise<BlockDecision> {
  let ann: BlockAnnouncement
  try {
    // [REJECT] the message is a known kind followed by one canonical block or compact block (DECODE_*)
    ann = decodeBlockAnnouncement(data)
  } catch (err) {
    return outcomeOfError(err, 'malformed-message')
  }
  if (ann.kind === 'full') ctx.stats.blocksReceivedFull++
  else ctx.stats.blocksReceivedCompact++
  const header = ann.kind === 'full' ? ann.block.header : ann.compact.header
  const id = blockId(header).toString()
  if (ctx.chain.knows(id)) return knownBlock(id, ctx.chain)
  let block: Block
  if (ann.kind === 'full') {
    block = ann.block
  } else {
    const early = checkCompactEarly(ann.compact, ctx)
    if (early !== null) return early
    const got = await obtainCompactBlock(peer, id, ann.compact, ctx)
    if (got === null) return { verdict: 'ignore', reason: 'BLOCK_UNAVAILABLE' }
    block = got
  }
  return { verdict: 'accept', id, block }
}

/**
 * A block we already hold. GossipSub delivers each message once (ids hash the content), so this
 * is the first gossip copy of a block that reached us another way (sync, a compact fetch): it is
 * forwarded, or peers that hear only through us would wait for their next status refresh.
 */
function knownBlock(id: string, chain: Pick<RelayChain, 'header'>): BlockDecision {
  const node = chain.header(id)
  // [IGNORE] a block already marked invalid: its first sender was judged then, and a branch
  // refused for forking below the reorg limit is marked invalid too without being provably bad
  // [IGNORE] an orphan we hold without its parent: nothing checked yet (BLOCK_DUPLICATE)
  if (node === undefined || node.invalid) return { verdict: 'ignore', reason: 'BLOCK_DUPLICATE' }
  // [ACCEPT] a block we hold and found valid: forward it
  return { verdict: 'accept', id, block: null }
}

/** Compact announcements: what can be checked before fetching anything. */
function checkCompactEarly(c: CompactBlock, ctx: BlockCheckContext): GossipRefusal | null {
  const { chain } = ctx
  // [REJECT] only genesis has no parent (BLOCK_PARENT)
  if (c.header.parent === null) return { verdict: 'reject', what: 'invalid-block', code: 'BLOCK_PARENT' }
  const parentCtx = chain.headerContext(c.header.parent.toString())
  // [IGNORE] the parent is known; otherwise the sync manager fetches the missing chain (BLOCK_UNKNOWN_PARENT)
  if (parentCtx === undefined)
    return { verdict: 'ignore', reason: 'BLOCK_UNKNOWN_PARENT', unknownParent: c.header }
  try {
    // [REJECT]/[IGNORE] the header passes the consensus rules against its parent: height,
    // timestamps (a future one is ignored), seal and difficulty (BLOCK_*, src/chain/validation.ts)
    validateHeader(c.header, { ...parentCtx, params: chain.params, engine: chain.engine, nowMs: ctx.nowMs })
    // [REJECT] the coinbase and digests are exactly what header.txRoot commits to (BLOCK_TX_ROOT)
    checkCompactTxRoot(c)
  } catch (err) {
    return outcomeOfError(err, 'invalid-block')
  }
  return null
}

/**
 * Rebuilds a compact block from the mempool, fetches the transfers it lacks from the announcer,
 * and falls back to the announcer's full block. Null when the announcer cannot supply it.
 */
async function obtainCompactBlock(
  peer: string,
  id: string,
  c: CompactBlock,
  ctx: BlockCheckContext,
): Promise<Block | null> {
  const pool = (txid: string): SignedTx | undefined => ctx.chain.pendingTx(txid)
  const first = rebuildCompact(c, pool)
  if (first.status === 'complete') {
    ctx.stats.blocksRebuiltFromMempool++
    return first.block
  }
  const fetched = await fetchQuietly(
    ctx,
    'txs',
    async () => await ctx.rpc.txs(peer, first.missing, ctx.signal),
  )
  const got = new Map<string, SignedTx>()
  for (const tx of fetched ?? []) got.set(txId(tx).toString(), tx)
  ctx.stats.txsFetched += got.size
  // A fetched transfer whose id was not asked for is never used: the lookup is by announced id.
  const second = rebuildCompact(c, (txid) => got.get(txid) ?? pool(txid))
  if (second.status === 'complete') return second.block
  ctx.stats.fullBlockFallbacks++
  const blocks = await fetchQuietly(ctx, 'blocks', async () => await ctx.rpc.blocks(peer, [id], ctx.signal))
  const full = blocks?.[0]
  // The rpc client checks ids already; a block with another id is treated as not served.
  if (full === undefined || blockId(full.header).toString() !== id) return null
  return full
}

/** An rpc call whose failure means "not available" (the rpc client scores the peer itself). */
async function fetchQuietly<T>(
  ctx: BlockCheckContext,
  what: string,
  call: () => Promise<T>,
): Promise<T | null> {
  try {
    return await call()
  } catch (err) {
    ctx.log.debug({ what, err: errorMessage(err) }, 'compact block fetch failed')
    return null
  }
}

/**
 * Carries out an accepted decision: imports the block; what the import says is the outcome.
 * `onRefused` runs when the import threw (the block was not stored).
 */
export function importBlockOutcome(
  chain: Pick<RelayChain, 'importBlock' | 'header'>,
  id: string,
  block: Block,
  onRefused?: () => void,
): GossipOutcome {
  let status
  try {
    // [REJECT]/[IGNORE] the block passes import: body shape, coinbase, transactions root, header
    // rules against a known parent, and, when fork choice connects it, the state transition
    // (BLOCK_*, TX_*; a branch forking below the reorg limit: REORG_TOO_DEEP, ignored)
    status = chain.importBlock(block).status
  } catch (err) {
    onRefused?.()
    return outcomeOfError(err, 'invalid-block')
  }
  if (status === 'duplicate') {
    const known = knownBlock(id, chain)
    return known.verdict === 'accept' ? { verdict: 'accept' } : known
  }
  // [IGNORE] the parent is known; an orphan is held by the chain and the sync manager fetches its ancestors
  if (status === 'orphan')
    return { verdict: 'ignore', reason: 'BLOCK_UNKNOWN_PARENT', unknownParent: block.header }
  return { verdict: 'accept' }
}
