/**
 * Bounds and defaults of the node's trade service; each bound has a line in docs/LIMITS.md
 * ("Trade service").
 */

/** Trades the service follows at once (non-terminal). A new take past it is refused with TRADE_LIMIT. */
export const MAX_ACTIVE_TRADES = 256
/** Trade records kept in the database; past it the oldest terminal records are deleted. */
export const MAX_STORED_TRADES = 10_000
/** Chat messages returned by one `chat(trade)` read: the newest ones. */
export const MAX_CHAT_READ = 500
/** One chat message body, UTF-8 bytes (the chat layer's own bound may be smaller). */
export const MAX_CHAT_BODY_BYTES = 4_096
/** An offer created through the service lives this long unless told otherwise (one day). */
export const DEFAULT_OFFER_LIFETIME_MS = 24 * 60 * 60 * 1000
/** Default escrow windows of a new offer, in blocks (about 10 s each on the default network). */
export const DEFAULT_PAYMENT_WINDOW_BLOCKS = 360
export const DEFAULT_RELEASE_WINDOW_BLOCKS = 720
export const DEFAULT_DISPUTE_WINDOW_BLOCKS = 1_440
/** Default security deposits, basis points of the amount (Bisq uses 15%). */
export const DEFAULT_SELLER_DEPOSIT_BPS = 1_500
export const DEFAULT_BUYER_DEPOSIT_BPS = 1_500
/** Domain tag of the terms hash: sha256(tag || 0 || take encoding) binds an escrow to its take. */
export const TERMS_DOMAIN = 'kith/trade-terms/1'
/** Reputation reads are cached per head height; this many addresses at most. */
export const MAX_REPUTATION_CACHE = 1_024
/**
 * A seller-taker whose record still says 'taking' after a restart re-sends its signed take this
 * often while the maker's node cannot be reached (besides on every head change); the maker's
 * answer (accepted, TAKE_REPLAYED, or a refusal) ends the retries.
 */
export const TAKE_REASK_INTERVAL_MS = 15_000
/**
 * A trade with no escrow yet ends here, counted in blocks from the height at which this node
 * recorded it (about 5 min at 10 s a block): the seller opens no escrow past it, the buyer waits
 * twice as long (an open submitted at the seller's deadline has time to be mined and seen) and
 * then ends the trade, TRADE_ESCROW_TIMEOUT. Without it a maker whose taker gave up (the take
 * timed out on the taker's side after the maker said yes) waits for an escrow forever.
 */
export const ESCROW_OPEN_DEADLINE_BLOCKS = 30
/** A record stored before records carried their height: it counts from the height at load. */
export const UNKNOWN_HEIGHT = -1
/** Light node: maker balances proven by account proofs, kept this many (oldest forgotten). */
export const MAX_PROVEN_BALANCES = 1_024
/** Light node: account proofs for offer makers in flight at once; a maker past it is checked on its next offer. */
export const MAX_BALANCE_PROOFS_IN_FLIGHT = 8
/** Light node: a proven balance is trusted for this many blocks after the head it was proven at. */
export const PROVEN_BALANCE_MAX_AGE_BLOCKS = 6
