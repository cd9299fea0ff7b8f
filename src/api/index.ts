/**
 * api: the node's HTTP API. Routes are defined once as data (routes.ts) and served by fastify
 * (server.ts) and called by the typed fetch client (client.ts) the CLI uses.
 */
export { createApiServer, type ApiServer, type ApiServerOptions } from './server.ts'
export { createApiClient, type ApiClient, type ApiClientOptions } from './client.ts'
export { ApiError, STATUS_BY_CODE, mapError } from './errors.ts'
export * from './routes.ts'
export * from './constants.ts'
