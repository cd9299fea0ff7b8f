/** Bounds of the trading routes. Each has a reason; docs/LIMITS.md ("Trade service") lists them. */

/** Longest id in a trading path: a trade id is 64 hex characters, offer and escrow ids CIDv1 strings (59). Overflow: 400. */
export const MAX_TRADE_ID_LENGTH = 128
/** A chat message in the API body, characters (the service bounds the UTF-8 bytes). Overflow: 400. */
export const MAX_CHAT_BODY_CHARS = 4_096
/** Reads are in memory or one SQLite or state-tree lookup. */
export const TRADE_READ_TIMEOUT_MS = 5_000
/** A step signs and submits one transaction (or sends one chat message: a dial, or a mailbox deposit). */
export const TRADE_STEP_TIMEOUT_MS = 15_000
/** Taking an offer dials the maker's node (up to the take protocol's 10 s) and then opens the escrow. */
export const TRADE_TAKE_TIMEOUT_MS = 20_000
