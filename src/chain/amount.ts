/**
 * KITH amounts as text: "1.5" <-> 150000000n base units. Exact decimal parsing, never floats.
 */
import { InvalidInputError } from '../core/errors.ts'
import { COIN, MAX_SUPPLY } from './constants.ts'

const DECIMALS = 8

/** Parses "12", "12.5" or "0.00000001" KITH into base units; throws InvalidInputError (AMOUNT_INVALID). */
export function parseAmount(text: string): bigint {
  const m = /^(\d{1,16})(?:\.(\d{1,8}))?$/.exec(text.trim())
  if (m === null) {
    throw new InvalidInputError(
      'AMOUNT_INVALID',
      `"${text}" is not an amount: use digits with at most ${DECIMALS} decimals, e.g. 1.5`,
      {
        input: text,
      },
    )
  }
  const units = BigInt(m[1]!) * COIN + BigInt((m[2] ?? '').padEnd(DECIMALS, '0'))
  if (units > MAX_SUPPLY)
    throw new InvalidInputError('AMOUNT_INVALID', `${text} KITH is more than can ever exist`, { input: text })
  return units
}

/** Formats base units as KITH without trailing zeros: 150000000n -> "1.5". */
export function formatAmount(units: bigint): string {
  const sign = units < 0n ? '-' : ''
  const abs = units < 0n ? -units : units
  const whole = abs / COIN
  const frac = (abs % COIN).toString().padStart(DECIMALS, '0').replace(/0+$/, '')
  return `${sign}${whole}${frac.length > 0 ? '.' + frac : ''}`
}
