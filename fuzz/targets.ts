/**
 * One fuzz target per input surface a peer, a user or a file can reach (issue 15). Each target
 * decodes or parses untrusted input; the contract checked by `fuzz/run.ts` and by the short run
 * in test/fuzz/targets.test.ts is the one every Kith decoder promises:
 *
 * - it returns a value or throws a KithError with a code, never anything else (a TypeError or a
 *   RangeError is a crash: a node would drop the connection without judging the peer, or an API
 *   would answer 500);
 * - where the format is canonical (dag-cbor chain and trade objects), a decoded value re-encodes
 *   to exactly the input bytes, so no two encodings carry the same object (no malleable ids).
 *
 * Seeds are valid encodings built from the test fixtures; fast-check mutates them (bit flips,
 * truncation, splices) and also feeds random bytes.
 */
import { KithError } from '../src/core/errors.ts'
import { seededRng } from '../src/core/clock.ts'
import { parseAddress } from '../src/chain/address.ts'
import { parseAmount } from '../src/chain/amount.ts'
import {
  decodeBlock,
  decodeHeader,
  decodeSignedTx,
  encodeBlock,
  encodeHeader,
  encodeTx,
  parseTxId,
  txId,
} from '../src/chain/codec.ts'
import { compactFromBlock, decodeCompactBlock, encodeCompactBlock } from '../src/chain/compact.ts'
import { parseGenesisJson } from '../src/chain/genesis.ts'
import {
  decodeAccountProof,
  decodeEscrowProof,
  decodeTxInclusionProof,
  encodeAccountProof,
  encodeTxInclusionProof,
} from '../src/chain/proofs.ts'
import { proveAccount } from '../src/chain/state.ts'
import { proveTxInclusion } from '../src/chain/txroot.ts'
import { parseCid, parseContentPath } from '../src/content/cid.ts'
import { decodeBlockAnnouncement, encodeBlockAnnouncement } from '../src/net/gossip/messages.ts'
import { parseCandidate } from '../src/net/nat/punch.ts'
import { parseHello } from '../src/net/rpc/hello.ts'
import { RPC_SPECS } from '../src/net/rpc/messages.ts'
import { decodeResult, encodeOk } from '../src/net/rpc/wire.ts'
import { parseConfig } from '../src/node/config.ts'
import {
  chatIdentityFromSeed,
  decodeBody,
  decodeEnvelope,
  encodeBody,
  encodeEnvelope,
  sealChat,
} from '../src/trade/chat/index.ts'
import { decodeEscrowRecord } from '../src/trade/escrow/codec.ts'
import {
  decodeOffer,
  decodeOfferMessage,
  decodeTake,
  decodeTakeReply,
  encodeOffer,
  encodeOfferMessage,
  encodeTake,
} from '../src/trade/offers/codec.ts'
import { parseKeystore, sealKeystore, serializeKeystore } from '../src/wallet/keystore.ts'
import { parseMnemonic } from '../src/wallet/mnemonic.ts'
import { escrowOpen, genesisFile, testChain, testKey, transfer } from '../test/chain/helpers.ts'
import { cancelOf, offer, take } from '../test/trade/offers/helpers.ts'

export interface FuzzTarget {
  readonly name: string
  /** What the input is: raw bytes from a peer or file, or text from a user or file. */
  readonly input: 'bytes' | 'text'
  /** Valid inputs to mutate. */
  seeds(): Promise<Array<Uint8Array | string>>
  /**
   * Decode `input`. Throws a non-KithError for a crash, or a FuzzFinding for a broken promise
   * (e.g. non-canonical bytes accepted); KithErrors are the expected refusals.
   */
  run(input: Uint8Array | string): void
}

/** A decoder broke a promise other than "throws only KithErrors". */
export class FuzzFinding extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FuzzFinding'
  }
}

/** True for the refusals a decoder is allowed to throw. */
export function isExpectedRefusal(err: unknown): boolean {
  return err instanceof KithError && typeof err.code === 'string' && err.code.length > 0
}

const enc = new TextEncoder()
const asBytes = (i: Uint8Array | string): Uint8Array => (typeof i === 'string' ? enc.encode(i) : i)
const asText = (i: Uint8Array | string): string => (typeof i === 'string' ? i : new TextDecoder().decode(i))

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** A decoder of a canonical format: success implies the input is the value's only encoding. */
function canonical<T>(
  name: string,
  seeds: () => Promise<Uint8Array[]> | Uint8Array[],
  decode: (b: Uint8Array) => T,
  encode: (v: T) => Uint8Array,
): FuzzTarget {
  return {
    name,
    input: 'bytes',
    seeds: async () => await seeds(),
    run(input) {
      const bytes = asBytes(input)
      const value = decode(bytes)
      if (!sameBytes(encode(value), bytes)) {
        throw new FuzzFinding(
          `${name}: accepted bytes that are not the canonical encoding of what they decode to`,
        )
      }
    },
  }
}

function parser(
  name: string,
  input: 'bytes' | 'text',
  seeds: () => Promise<Array<Uint8Array | string>> | Array<Uint8Array | string>,
  parse: (i: Uint8Array | string) => unknown,
): FuzzTarget {
  return { name, input, seeds: async () => await seeds(), run: (i) => void parse(i) }
}

// ---- fixtures -------------------------------------------------------------------------------

const alice = testKey(1)
const bob = testKey(2)

function chainFixture(): { blocks: ReturnType<ReturnType<typeof testChain>['build']>[] } {
  const chain = testChain()
  const b1 = chain.build([
    transfer(alice, bob.address, { nonce: 0 }),
    escrowOpen(alice, bob.address, { nonce: 1 }),
  ])
  chain.apply(b1)
  const b2 = chain.build([transfer(alice, bob.address, { nonce: 2, memo: enc.encode('memo') })])
  chain.apply(b2)
  return { blocks: [b1, b2] }
}

const chatAlice = chatIdentityFromSeed(new Uint8Array(32).fill(1))
const chatBob = chatIdentityFromSeed(new Uint8Array(32).fill(2))

function chatEnvelope(): ReturnType<typeof sealChat> {
  const rng = seededRng(7)
  return sealChat(
    {
      network: 'kith-fuzz',
      trade: 'btrade',
      seq: 0,
      recipients: [chatAlice.publicKey, chatBob.publicKey],
      body: { text: 'paid by bank transfer' },
      sentMs: 1_000,
    },
    chatAlice,
    (n) => rng.bytes(n),
  )
}

// ---- targets --------------------------------------------------------------------------------

export const TARGETS: readonly FuzzTarget[] = [
  canonical(
    'chain.signed-tx',
    () => chainFixture().blocks.flatMap((b) => b.transactions.slice(1).map((t) => encodeTx(t))),
    decodeSignedTx,
    encodeTx,
  ),
  canonical(
    'chain.header',
    () => chainFixture().blocks.map((b) => encodeHeader(b.header)),
    decodeHeader,
    encodeHeader,
  ),
  canonical('chain.block', () => chainFixture().blocks.map((b) => encodeBlock(b)), decodeBlock, encodeBlock),
  canonical(
    'chain.compact-block',
    () => chainFixture().blocks.map((b) => encodeCompactBlock(compactFromBlock(b))),
    decodeCompactBlock,
    encodeCompactBlock,
  ),
  canonical(
    'gossip.block-announcement',
    () =>
      chainFixture().blocks.flatMap((b) => [
        encodeBlockAnnouncement('full', b),
        encodeBlockAnnouncement('compact', b),
      ]),
    decodeBlockAnnouncement,
    (a) => {
      const payload = a.kind === 'full' ? encodeBlock(a.block) : encodeCompactBlock(a.compact)
      return new Uint8Array([a.kind === 'full' ? 0 : 1, ...payload])
    },
  ),
  canonical(
    'chain.account-proof',
    () => {
      const chain = testChain()
      return [encodeAccountProof(proveAccount(chain.genesis.state, alice.address))]
    },
    decodeAccountProof,
    encodeAccountProof,
  ),
  canonical(
    'chain.tx-inclusion-proof',
    () => chainFixture().blocks.map((b) => encodeTxInclusionProof(proveTxInclusion(b.transactions, 1))),
    decodeTxInclusionProof,
    encodeTxInclusionProof,
  ),
  parser(
    'chain.escrow-proof',
    'bytes',
    () => [new Uint8Array([0x80])],
    (i) => decodeEscrowProof(asBytes(i)),
  ),
  parser(
    'trade.escrow-record',
    'bytes',
    () => [new Uint8Array([0xa0])],
    (i) => decodeEscrowRecord(asBytes(i)),
  ),
  canonical('trade.offer', () => [encodeOffer(offer())], decodeOffer, encodeOffer),
  canonical(
    'trade.offer-message',
    () => {
      const o = offer()
      return [
        encodeOfferMessage({ type: 'offer', offer: o }),
        encodeOfferMessage({ type: 'offer-cancel', cancel: cancelOf(o) }),
      ]
    },
    decodeOfferMessage,
    encodeOfferMessage,
  ),
  canonical('trade.take', () => [encodeTake(take(offer()))], decodeTake, encodeTake),
  parser(
    'trade.take-reply',
    'bytes',
    () => [new Uint8Array([0xa0])],
    (i) => decodeTakeReply(asBytes(i)),
  ),
  canonical('trade.chat-envelope', () => [encodeEnvelope(chatEnvelope())], decodeEnvelope, encodeEnvelope),
  canonical(
    'trade.chat-body',
    () => [encodeBody({ text: 'hello' }), encodeBody({ text: 'see attachment' })],
    decodeBody,
    encodeBody,
  ),
  ...Object.values(RPC_SPECS).map((spec) =>
    parser(
      `rpc.${spec.name}.request`,
      'bytes',
      () => [],
      (i) => spec.decodeRequest(asBytes(i)),
    ),
  ),
  parser(
    'rpc.result-frame',
    'bytes',
    () => [encodeOk({ ok: true }), encodeOk([1, 2, 3])],
    (i) => decodeResult(asBytes(i), 'result'),
  ),
  parser(
    'net.hello',
    'bytes',
    () => [enc.encode(JSON.stringify({ network: 'kith-fuzz', version: '0.1.0' }))],
    (i) => parseHello(asBytes(i)),
  ),
  parser(
    'net.nat-punch-candidate',
    'bytes',
    () => [enc.encode(JSON.stringify({ ip: '203.0.113.7', port: 41000 }))],
    (i) => parseCandidate(asBytes(i)),
  ),
  parser(
    'file.genesis',
    'text',
    () => [JSON.stringify(genesisFile())],
    (i) => parseGenesisJson(asText(i)),
  ),
  parser(
    'file.keystore',
    'text',
    async () => [
      serializeKeystore(
        await sealKeystore(
          {
            name: 'alice',
            createdMs: 1_700_000_000_000,
            mnemonic: 'legal winner thank year wave sausage worth useful legal winner thank yellow',
            accounts: [new Uint8Array(32).fill(9)],
          },
          'pass',
          { scrypt: { n: 2 ** 10, r: 8, p: 1 }, rng: seededRng(1) },
        ),
      ),
    ],
    (i) => parseKeystore(asText(i), 'fuzz.json'),
  ),
  parser(
    'file.config',
    'text',
    () => [JSON.stringify({ network: 'kith-fuzz', api: { host: '127.0.0.1', port: 7420 } }), '{}'],
    (i) => {
      let json: unknown
      try {
        json = JSON.parse(asText(i))
      } catch {
        return // the config loader refuses unparsable JSON before this point
      }
      parseConfig(json)
    },
  ),
  parser(
    'user.mnemonic',
    'text',
    () => ['legal winner thank year wave sausage worth useful legal winner thank yellow'],
    (i) => parseMnemonic(asText(i)),
  ),
  parser(
    'user.address',
    'text',
    () => [alice.address],
    (i) => parseAddress(asText(i)),
  ),
  parser(
    'user.amount',
    'text',
    () => ['1.5', '0.00000001', '21000000'],
    (i) => parseAmount(asText(i)),
  ),
  parser(
    'user.tx-id',
    'text',
    () => chainFixture().blocks.map((b) => txId(b.transactions[1]!).toString()),
    (i) => parseTxId(asText(i)),
  ),
  parser(
    'user.cid',
    'text',
    () => [
      'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
      'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG',
    ],
    (i) => parseCid(asText(i)),
  ),
  parser(
    'gateway.content-path',
    'text',
    () => [
      '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
      '/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/dir/a.txt',
    ],
    (i) => {
      const { segments } = parseContentPath(asText(i))
      // No path may escape the content tree: segments never climb or carry separators.
      for (const s of segments) {
        if (s === '..' || s === '.' || s.includes('/') || s.length === 0) {
          throw new FuzzFinding(`content path kept a segment that escapes the tree: ${JSON.stringify(s)}`)
        }
      }
    },
  ),
]
