/**
 * The chain request/response protocols (`/kith/<net>/<name>/1.0.0`): status handshake, headers by
 * locator, blocks and transactions by id, account, transaction-inclusion and escrow proofs. server.ts
 * registers one stream handler per protocol, handlers/ holds one message handler per protocol,
 * client.ts is what gossip, sync and the light client call, chain-source.ts is what a full node
 * serves from. hello.ts is the separate network-identification protocol.
 */
export { chainRpcSource, type ChainSourceOptions } from './chain-source.ts'
export { RpcClient, type RpcClientInit, type RpcDialer } from './client.ts'
export { RpcError, isRpcError, type RpcErrorCode } from './errors.ts'
export { RPC_NAMES, rpcProtocolId, rpcProtocolIds, type RpcName } from './protocols.ts'
export { registerRpc, type RpcHost, type RpcServerOptions } from './server.ts'
export type * from './types.ts'
