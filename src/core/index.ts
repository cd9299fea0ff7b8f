/**
 * core: what every layer may use. Typed errors, abort helpers, the Clock and Rng interfaces that
 * keep domain logic pure, and scoped logging. Imports nothing from the rest of Kith.
 */
export * from './errors.ts'
export * from './clock.ts'
export * from './abort.ts'
export * from './logger.ts'
export * from './recent-set.ts'
