/**
 * Headers-first chain sync: the SyncManager asks peers their status, fetches and checks headers
 * before any body, downloads bodies in parallel from several peers, and imports them in order
 * into a SyncTarget (the full chain, or the light node's header chain).
 */
export * from './types.ts'
export * from './constants.ts'
export {
  SyncManager,
  syncService,
  type SyncComponents,
  type SyncInit,
  type SyncNetwork,
  type SyncEventListener,
} from './sync-manager.ts'
