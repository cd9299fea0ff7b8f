/**
 * PoW targets: Bitcoin's compact "bits" form, work per block, and ASERT retargeting
 * (aserti3-2d, as specified for Bitcoin Cash in 2020): the target moves exponentially with how
 * far the chain is ahead of or behind its ideal schedule, anchored at genesis, so it depends
 * only on the parent's height and timestamp and cannot be gamed by manipulating a window.
 */
export const TWO_256 = 1n << 256n
const MAX_TARGET = TWO_256 - 1n

/** The target a compact value encodes; 0 for negative or overflowing encodings. */
export function bitsToTarget(bits: number): bigint {
  const exponent = bits >>> 24
  const mantissa = bits & 0x007fffff
  if ((bits & 0x00800000) !== 0) return 0n
  const target =
    exponent <= 3
      ? BigInt(mantissa) >> BigInt(8 * (3 - exponent))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3))
  return target > MAX_TARGET ? 0n : target
}

/** The compact form of a target (rounding down, as Bitcoin does). */
export function targetToBits(target: bigint): number {
  if (target <= 0n) return 0
  let size = (target.toString(16).length + 1) >> 1
  let compact =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)))
  if ((compact & 0x00800000) !== 0) {
    compact >>>= 8
    size++
  }
  return ((size << 24) | compact) >>> 0
}

/** Expected number of hashes to meet `target`: 2^256 / (target + 1). */
export function workForTarget(target: bigint): bigint {
  return TWO_256 / (target + 1n)
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

export interface AsertInput {
  readonly anchorBits: number
  readonly anchorTimestampMs: number
  readonly idealBlockTimeMs: number
  readonly halfLifeMs: number
  readonly powLimitBits: number
  readonly parentHeight: number
  readonly parentTimestampMs: number
}

/**
 * Compact target for the child of (parentHeight, parentTimestampMs). The anchor is genesis
 * (height 0): block h is on schedule at anchorTimestampMs + h * idealBlockTimeMs.
 */
export function asertNextBits(i: AsertInput): number {
  const anchorTarget = bitsToTarget(i.anchorBits)
  const limit = bitsToTarget(i.powLimitBits)
  const timeDelta = BigInt(i.parentTimestampMs - i.anchorTimestampMs)
  const ideal = BigInt(i.idealBlockTimeMs) * BigInt(i.parentHeight)
  const exponent = floorDiv((timeDelta - ideal) * 65536n, BigInt(i.halfLifeMs))
  const shifts = exponent >> 16n
  const frac = exponent - shifts * 65536n
  // Cubic approximation of 2^(frac/65536) * 65536, error < 0.013% (aserti3-2d).
  const factor =
    ((195766423245049n * frac + 971821376n * frac ** 2n + 5127n * frac ** 3n + (1n << 47n)) >> 48n) + 65536n
  let next = anchorTarget * factor
  next = shifts < 0n ? next >> -shifts : next << shifts
  next >>= 16n
  if (next === 0n) return targetToBits(1n)
  if (next > limit) return i.powLimitBits
  return targetToBits(next)
}
