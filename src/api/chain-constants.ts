/** Bounds of the ledger routes. Each has a reason; docs/LIMITS.md lists them. */
import { MAX_TX_BYTES } from '../chain/constants.ts'

/** Hex characters of a submitted transaction: twice the largest encoded transfer. Overflow: 400. */
export const MAX_TX_HEX_CHARS = 2 * MAX_TX_BYTES

/** Longest block/tx id or height in a path: a CIDv1 base32 of a sha2-256 is 59 characters. Overflow: 400. */
export const MAX_CHAIN_ID_LENGTH = 100

/** Longest address in a path: a kith1 address is 44 characters; a little room for a typo's error message. */
export const MAX_ADDRESS_LENGTH = 100

/** Bound on a ledger read or submit: all in memory or one SQLite lookup. */
export const CHAIN_ROUTE_TIMEOUT_MS = 5_000

/** Transactions per page of GET /addresses/:address (at most the chain's MAX_ADDRESS_TXS_PAGE). */
export const ADDRESS_TXS_PAGE = 50

/** Escrows GET /addresses/:address lists, newest first: an address page, not an archive. */
export const MAX_ADDRESS_ESCROWS = 50

/** A history cursor in a path: `<height>-<index>`, two u32s. Overflow: 400. */
export const MAX_ADDRESS_CURSOR_LENGTH = 24
