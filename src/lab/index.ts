/**
 * lab: the devnet and the network lab (namespaces, NAT-PMP responder, link emulation, NAT
 * scenarios). Nothing in production imports it; the CLI reaches it only through this file,
 * lazily (`kith devnet`), and lint refuses any other path into src/lab from src/cli.
 */
export { runDevnet, type DevnetOptions } from './devnet.ts'
export { labRunCommand, type LabRunIo } from './run/main.ts'
