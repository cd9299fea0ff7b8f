/**
 * node: the composition root. `createNode(options)` wires storage, the libp2p host and the
 * domain services; `start()` runs in dependency order and `stop()` in reverse.
 */
export { createNode, type CreateNodeOptions, type KithNode } from './node.ts'
export { loadConfig, initDataDir, type LoadedConfig, type InitResult } from './setup.ts'
export { VERSION } from './version.ts'
export * from './config.ts'
export * from './datadir.ts'
export type * from './types.ts'
