/** Bounds of the crash driver. */

/** A child that neither finishes nor reaches its kill point in this long is hung (a hang guard; a whole workload takes ~2 s). */
export const CHILD_TIMEOUT_MS = 120_000

/** Bytes of a child's stderr kept for a failure message. */
export const MAX_CHILD_STDERR_BYTES = 20_000

/** Kills per scenario of `npm run crash` when --runs is not given (issue 15: 100 each). */
export const DEFAULT_CRASH_RUNS = 100
