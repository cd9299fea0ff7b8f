/**
 * Bounds of the escrow rules (docs/LIMITS.md "Escrow"). Windows are in blocks, so every node
 * agrees on a deadline without agreeing on a clock.
 */

/**
 * Longest window an escrow may name: about 4 weeks of 10-minute blocks (Bisq's longest trade
 * period is 8 days for a mailed payment; the rest is room for arbitration). Bounded so no escrow
 * stays undecided for years.
 */
export const MAX_ESCROW_WINDOW_BLOCKS = 4_032

/** The arbiter's split is in basis points: 10,000 gives the buyer everything. */
export const BPS_DENOMINATOR = 10_000

/** Domain tag of escrow leaves in the state tree, so no escrow key can equal an account key. */
export const ESCROW_KEY_DOMAIN = 'kith/escrow/1'
