/**
 * content: IPFS-compatible content storage without the network. A crash-safe SQLite blockstore
 * (interface-blockstore v7, for @helia/bitswap), recursive pins and gc, UnixFS import with the
 * IPIP-499 CID profiles, export (ls, cat, paths, atomic writes to disk) and CID parsing with
 * errors that say where. src/net wires bitswap onto the node's libp2p host with this blockstore.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './cid.ts'
export * from './blockstore.ts'
export * from './pins.ts'
export * from './gc.ts'
export * from './profiles.ts'
export * from './importer.ts'
export * from './exporter.ts'
export * from './repo.ts'
export * from './car.ts'
export { RwLock } from './lock.ts'
export * from './provides.ts'
export * from './progress.ts'
export * from './walk.ts'
export * from './network.ts'
export * from './fetch.ts'
export * from './service-types.ts'
export { ContentService, type ContentServiceInit } from './service.ts'
