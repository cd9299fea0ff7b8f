/**
 * netns: the NAT lab's topology builder. Network namespaces, veth pairs, a public segment, NAT
 * routers (endpoint-independent or symmetric), and helpers to run processes inside them. Private
 * RFC 1918 ranges only, nothing in the root namespace, everything removed on destroy, exit or
 * signal, and cleanupStale() for what a crashed run left.
 */
export * from './available.ts'
export * from './cleanup.ts'
export * from './constants.ts'
export * from './errors.ts'
export * from './plan.ts'
export * from './run.ts'
export * from './topology.ts'
