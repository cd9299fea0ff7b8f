/**
 * Private broadcast of a node's own transactions (Dandelion++ stem and fluff): pure decisions in
 * plan.ts, the `/kith/<net>/stem/1.0.0` protocol and embargo timers in service.ts.
 */
export * from './constants.ts'
export * from './plan.ts'
export * from './service.ts'
