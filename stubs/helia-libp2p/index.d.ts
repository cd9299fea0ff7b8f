/** Type-only stand-in for @helia/libp2p (see stubs/README.md). */
export type HeliaWithLibp2p<T = any> = any
export type DefaultLibp2pServices = any
export type Libp2pDefaultsOptions = any
