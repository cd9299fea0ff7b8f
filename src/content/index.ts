/**
 * content: the IPFS-compatible content slice. A crash-safe SQLite blockstore (interface-blockstore
 * v7, for @helia/bitswap) with pins and provide records in the same database, gc, UnixFS import
 * with the IPIP-499 CID profiles, export (ls, cat, paths, atomic writes to disk), CID parsing with
 * errors that say where, the DAG fetch and the content service (fetch, pin, provide loop,
 * progress) over the ContentNetwork interface. src/net/content implements that interface with
 * bitswap and the DHT; nothing here imports libp2p.
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
