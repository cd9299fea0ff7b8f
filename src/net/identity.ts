/**
 * The node's persistent ed25519 identity: a libp2p private-key protobuf in the data dir, mode
 * 0600, written atomically. A corrupt or foreign file is reported, never overwritten.
 */
import { constants as fsc } from 'node:fs'
import { chmod, open, readFile, rename, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { DataDirError } from '../core/errors.ts'

export interface Identity {
  privateKey: PrivateKey
  peerId: string
  created: boolean
}

/** Load the identity at `path`, creating a new ed25519 key if the file does not exist. */
export async function loadOrCreateIdentity(path: string): Promise<Identity> {
  const existing = await loadIdentity(path)
  if (existing != null) return { ...existing, created: false }
  const privateKey = await generateKeyPair('Ed25519')
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600)
  try {
    await fh.writeFile(privateKeyToProtobuf(privateKey))
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  await chmod(path, 0o600)
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), created: true }
}

/** Load the identity, or null if the file does not exist. Throws KEY_UNREADABLE / KEY_CORRUPT. */
export async function loadIdentity(path: string): Promise<Omit<Identity, 'created'> | null> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new DataDirError(
      'KEY_UNREADABLE',
      `cannot read identity key ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    )
  }
  let privateKey: PrivateKey
  try {
    privateKey = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new DataDirError(
      'KEY_CORRUPT',
      `identity key ${path} is corrupt (${(err as Error).message}); restore it from a backup, or move it aside to create a new identity`,
      { path },
      { cause: err },
    )
  }
  if (privateKey.type !== 'Ed25519') {
    throw new DataDirError(
      'KEY_CORRUPT',
      `identity key ${path} is a ${privateKey.type} key; Kith uses Ed25519`,
      { path },
    )
  }
  const st = await stat(path)
  if ((st.mode & 0o077) !== 0) await chmod(path, 0o600)
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() }
}
