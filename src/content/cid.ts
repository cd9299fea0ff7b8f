/**
 * CID parsing that says where a malformed CID is malformed: the multibase prefix, the character
 * and its position, a truncated varint, an unknown codec or hash, a digest of the wrong length.
 */
import { CID } from 'multiformats/cid'
import { bases } from 'multiformats/basics'
import { InvalidCidError, ContentError } from './errors.ts'
import { MAX_CID_STRING_LENGTH, MAX_CONTENT_PATH_LENGTH, MAX_CONTENT_PATH_SEGMENTS } from './constants.ts'

/** Codecs a Kith node understands as content (multicodec table). */
export const KNOWN_CODECS: ReadonlyMap<number, string> = new Map([
  [0x55, 'raw'],
  [0x70, 'dag-pb'],
  [0x71, 'dag-cbor'],
  [0x0129, 'dag-json'],
  [0x0200, 'json'],
  [0x72, 'libp2p-key'],
])

/** Multihash functions, with the digest length each must have (0 = any length). */
export const KNOWN_HASHES: ReadonlyMap<number, { name: string; digestBytes: number }> = new Map([
  [0x00, { name: 'identity', digestBytes: 0 }],
  [0x12, { name: 'sha2-256', digestBytes: 32 }],
  [0x13, { name: 'sha2-512', digestBytes: 64 }],
  [0x1e, { name: 'blake3', digestBytes: 0 }],
  [0xb220, { name: 'blake2b-256', digestBytes: 32 }],
])

interface BaseInfo {
  name: string
  alphabet: string
  decode: (text: string) => Uint8Array
}

const ALPHABETS: Record<string, string> = {
  base32: 'abcdefghijklmnopqrstuvwxyz234567',
  base32upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
  base58btc: '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz',
  base36: '0123456789abcdefghijklmnopqrstuvwxyz',
  base36upper: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  base16: '0123456789abcdef',
  base16upper: '0123456789ABCDEF',
  base64: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  base64pad: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=',
  base64urlpad: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=',
}

/** Multibase prefix character -> base, for the bases whose alphabet we can check per character. */
const BASES_BY_PREFIX: ReadonlyMap<string, BaseInfo> = (() => {
  const map = new Map<string, BaseInfo>()
  for (const base of Object.values(bases)) {
    const alphabet = ALPHABETS[base.name]
    if (alphabet == null) continue
    map.set(base.prefix, { name: base.name, alphabet, decode: (text) => base.decode(text) })
  }
  return map
})()

/** What was wrong with a CID string, stable for callers and tests to branch on (the message says it in words). */
export type CidProblem =
  | 'empty'
  | 'too-long'
  | 'bad-character'
  | 'v0-length'
  | 'v0-not-base58'
  | 'unknown-multibase'
  | 'no-data'
  | 'bad-encoding'
  | 'varint-truncated'
  | 'varint-not-minimal'
  | 'varint-too-long'
  | 'unsupported-version'
  | 'unknown-codec'
  | 'unknown-hash'
  | 'digest-truncated'
  | 'trailing-bytes'
  | 'digest-length'
  | 'undecodable'

const invalid = (
  input: string,
  problem: CidProblem,
  reason: string,
  position: number | null,
  extra: Record<string, string | number> = {},
): InvalidCidError =>
  new InvalidCidError(`invalid CID "${shorten(input)}": ${reason}`, {
    input: shorten(input),
    problem,
    reason,
    position,
    ...extra,
  })

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** Parse a CID string (CIDv0 base58 `Qm...`, or multibase CIDv1). Throws INVALID_CID saying where. */
export function parseCid(input: string): CID {
  if (input.length === 0) throw invalid(input, 'empty', 'empty string', 0)
  if (input.length > MAX_CID_STRING_LENGTH) {
    throw invalid(input, 'too-long', `longer than ${MAX_CID_STRING_LENGTH} characters`, MAX_CID_STRING_LENGTH)
  }
  const bytes = input.startsWith('Qm') ? decodeV0Text(input) : decodeMultibaseText(input)
  return decodeCidBytes(input, bytes)
}

function checkAlphabet(input: string, start: number, base: BaseInfo): void {
  for (let i = start; i < input.length; i++) {
    const ch = input[i] ?? ''
    if (!base.alphabet.includes(ch)) {
      throw invalid(
        input,
        'bad-character',
        `character ${JSON.stringify(ch)} at position ${i} is not valid ${base.name}`,
        i,
        {
          character: ch,
          base: base.name,
        },
      )
    }
  }
}

function decodeV0Text(input: string): Uint8Array {
  const base58 = BASES_BY_PREFIX.get('z')
  if (base58 == null) throw new Error('multiformats has no base58btc')
  checkAlphabet(input, 0, base58)
  if (input.length !== 46)
    throw invalid(
      input,
      'v0-length',
      `a CIDv0 ("Qm...") is 46 characters, this one is ${input.length}`,
      Math.min(input.length, 46),
    )
  return base58.decode(`z${input}`)
}

function decodeMultibaseText(input: string): Uint8Array {
  const prefix = input[0] ?? ''
  const base = BASES_BY_PREFIX.get(prefix)
  if (base == null) {
    const known = [...BASES_BY_PREFIX.entries()].map(([p, b]) => `${p} (${b.name})`).join(', ')
    throw invalid(
      input,
      'unknown-multibase',
      `unknown multibase prefix ${JSON.stringify(prefix)} at position 0; expected one of ${known}`,
      0,
      { character: prefix },
    )
  }
  if (input.length === 1)
    throw invalid(input, 'no-data', `nothing after the multibase prefix ${JSON.stringify(prefix)}`, 1)
  checkAlphabet(input, 1, base)
  try {
    return base.decode(input)
  } catch (err) {
    throw invalid(input, 'bad-encoding', `not valid ${base.name}: ${(err as Error).message}`, null)
  }
}

/** Read an unsigned LEB128 varint; `what` names the field in the error. */
function readVarint(input: string, bytes: Uint8Array, offset: number, what: string): [number, number] {
  let value = 0
  for (let i = 0; i < 9; i++) {
    const byte = bytes[offset + i]
    if (byte === undefined)
      throw invalid(input, 'varint-truncated', `${what} varint at byte ${offset} is truncated`, null, {
        byteOffset: offset,
      })
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0)
        throw invalid(
          input,
          'varint-not-minimal',
          `${what} varint at byte ${offset} is not minimally encoded`,
          null,
          {
            byteOffset: offset,
          },
        )
      return [value, offset + i + 1]
    }
  }
  throw invalid(input, 'varint-too-long', `${what} varint at byte ${offset} is longer than 9 bytes`, null, {
    byteOffset: offset,
  })
}

function decodeCidBytes(input: string, bytes: Uint8Array): CID {
  let offset = 0
  const isV0 = bytes[0] === 0x12 && bytes[1] === 0x20
  if (isV0 && !input.startsWith('Qm') && !input.startsWith('z')) {
    throw invalid(input, 'v0-not-base58', 'a CIDv0 must be written in base58btc ("Qm...")', 0)
  }
  if (!isV0) {
    const [version, afterVersion] = readVarint(input, bytes, 0, 'version')
    if (version !== 1)
      throw invalid(
        input,
        'unsupported-version',
        `unsupported CID version ${version} (expected 1, or a "Qm..." CIDv0)`,
        null,
        {
          version,
        },
      )
    const [codec, afterCodec] = readVarint(input, bytes, afterVersion, 'codec')
    if (!KNOWN_CODECS.has(codec))
      throw invalid(input, 'unknown-codec', `unknown codec 0x${codec.toString(16)}`, null, { codec })
    offset = afterCodec
  }
  const mhStart = offset
  const [hashCode, afterCode] = readVarint(input, bytes, offset, 'multihash code')
  const hash = KNOWN_HASHES.get(hashCode)
  if (hash == null)
    throw invalid(input, 'unknown-hash', `unknown multihash function 0x${hashCode.toString(16)}`, null, {
      hashCode,
    })
  const [digestLength, digestStart] = readVarint(input, bytes, afterCode, 'multihash length')
  const actual = bytes.length - digestStart
  if (actual < digestLength)
    throw invalid(
      input,
      'digest-truncated',
      `digest is truncated: header says ${digestLength} bytes, ${actual} present`,
      null,
    )
  if (actual > digestLength)
    throw invalid(
      input,
      'trailing-bytes',
      `${actual - digestLength} trailing bytes after the ${digestLength}-byte digest`,
      null,
    )
  if (hash.digestBytes !== 0 && digestLength !== hash.digestBytes) {
    throw invalid(
      input,
      'digest-length',
      `${hash.name} digest must be ${hash.digestBytes} bytes, not ${digestLength}`,
      null,
    )
  }
  try {
    return CID.decode(bytes)
  } catch (err) {
    throw invalid(input, 'undecodable', (err as Error).message, null, { byteOffset: mhStart })
  }
}

export interface ContentPath {
  cid: CID
  /** Path segments inside the root, already split, without empty segments. */
  segments: string[]
}

/** Parse `cid`, `cid/a/b`, `/ipfs/cid/a/b` or `ipfs://cid/a/b`. Throws INVALID_CID or INVALID_PATH. */
export function parseContentPath(input: string): ContentPath {
  if (input.length > MAX_CONTENT_PATH_LENGTH) {
    throw new ContentError(
      'INVALID_PATH',
      `content path is longer than ${MAX_CONTENT_PATH_LENGTH} characters`,
      { length: input.length },
    )
  }
  let rest = input
  if (rest.startsWith('ipfs://')) rest = rest.slice('ipfs://'.length)
  else if (rest.startsWith('/ipfs/')) rest = rest.slice('/ipfs/'.length)
  const [head = '', ...tail] = rest.split('/')
  const segments = tail.filter((s) => s.length > 0)
  if (segments.length > MAX_CONTENT_PATH_SEGMENTS) {
    throw new ContentError(
      'INVALID_PATH',
      `content path has more than ${MAX_CONTENT_PATH_SEGMENTS} segments`,
      { segments: segments.length },
    )
  }
  for (const segment of segments) {
    if (segment === '.' || segment === '..') {
      throw new ContentError('INVALID_PATH', `content path may not contain "${segment}"`, {
        path: shorten(input),
      })
    }
  }
  return { cid: parseCid(head), segments }
}
