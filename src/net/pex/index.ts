/** Peer exchange: `/kith/<net>/pex/1.0.0`, addresses between Kith peers, bounded and rate-limited. */
export {
  PexService,
  pexProtocolId,
  sourceGroup,
  type PexComponents,
  type PexHost,
  type PexResult,
} from './service.ts'
export * from './messages.ts'
