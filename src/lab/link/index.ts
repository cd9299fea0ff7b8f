/**
 * link: emulated link conditions for the lab. This kernel has no netem, so delay, jitter and loss
 * are applied in-process through a seeded, pure LinkModel (one seed replays a run): on Node
 * Duplexes and sockets (duplex.ts), on js-libp2p v3 connections through a transport wrapper
 * (libp2p.ts); bandwidth can also be limited in the kernel with `tc tbf` (tbf.ts).
 */
export * from './constants.ts'
export * from './delay-line.ts'
export * from './duplex.ts'
export * from './libp2p.ts'
export * from './model.ts'
export * from './tbf.ts'
export * from './shaper.ts'
