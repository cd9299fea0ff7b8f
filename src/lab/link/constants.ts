/** Bounds of the in-process link emulator. */

/** Linux's minimum TCP retransmission timeout (TCP_RTO_MIN): what one lost segment costs a stream. */
export const DEFAULT_RETRANSMIT_MS = 200

/** Consecutive losses of one chunk before it goes through anyway: a stream link never stalls forever. */
export const MAX_RETRANSMITS = 16

/** Bytes waiting in one direction of a link before writers are told to wait (backpressure). */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024

/** Largest one-way delay accepted: more is a typo (seconds for milliseconds), not a link. */
export const MAX_LATENCY_MS = 60_000
