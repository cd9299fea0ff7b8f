/**
 * The address manager: Bitcoin Core's bucketed new/tried tables (addrman.ts, pure), netgroups
 * (netgroup.ts), their SQLite tables and the anchors (store.ts), and the service the network
 * layer uses (book.ts).
 */
export { AddrMan, isTerrible, selectChance } from './addrman.ts'
export type { AddrCandidate, AddrChanges, AddrInfo, GoodOutcome, SelectOptions } from './addrman.ts'
export { AddressBook, type AddressBookInit } from './book.ts'
export { AddrStore, type AddrDatabase, type Anchor } from './store.ts'
export { netgroupOfIp, parseAddr, type NetGroup, type ParsedAddr } from './netgroup.ts'
