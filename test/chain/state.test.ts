import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { addressFromPublicKey } from '../../src/chain/address.ts'
import { txDigest } from '../../src/chain/codec.ts'
import { smtGet, smtRoot, smtSet, ZERO_HASH, type SmtNode, type SmtProof } from '../../src/chain/smt.ts'
import {
  EMPTY_STATE,
  getAccount,
  proveAccount,
  setAccounts,
  stateRoot,
  verifyAccountProof,
  type LedgerState,
} from '../../src/chain/state.ts'
import {
  decodeAccountProof,
  decodeTxInclusionProof,
  encodeAccountProof,
  encodeTxInclusionProof,
} from '../../src/chain/proofs.ts'
import { proveTxInclusion, txRoot, verifyTxInclusion, type TxInclusionProof } from '../../src/chain/txroot.ts'
import type { Account, Address } from '../../src/chain/types.ts'
import { testKey, transfer } from './helpers.ts'

const addrs: Address[] = Array.from({ length: 40 }, (_, i) =>
  addressFromPublicKey(Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j) & 0xff)),
)

function stateWith(n: number): LedgerState {
  return setAccounts(
    EMPTY_STATE,
    addrs.slice(0, n).map((a, i): [Address, Account] => [a, { balance: BigInt(i + 1) * 1000n, nonce: i }]),
  )
}

const arbKey = fc.uint8Array({ minLength: 32, maxLength: 32 })
const arbEntries = fc.uniqueArray(fc.tuple(arbKey, fc.uint8Array({ minLength: 1, maxLength: 16 })), {
  maxLength: 40,
  selector: ([k]) => Buffer.from(k).toString('hex'),
})

function build(entries: readonly [Uint8Array, Uint8Array][]): SmtNode {
  let t: SmtNode = null
  for (const [k, v] of entries) t = smtSet(t, k, v)
  return t
}

void describe('sparse Merkle tree', () => {
  void it('the root depends only on the set of entries, not the order they were inserted', () => {
    fc.assert(
      fc.property(arbEntries, fc.func(fc.integer()), (entries, f) => {
        const shuffled = [...entries].sort((a, b) => f(a) - f(b))
        assert.deepEqual(smtRoot(build(entries)), smtRoot(build(shuffled)))
      }),
    )
  })

  void it('removing what was added restores the previous root exactly', () => {
    fc.assert(
      fc.property(arbEntries, arbEntries, (base, extra) => {
        const baseKeys = new Set(base.map(([k]) => Buffer.from(k).toString('hex')))
        const fresh = extra.filter(([k]) => !baseKeys.has(Buffer.from(k).toString('hex')))
        const t0 = build(base)
        let t = t0
        for (const [k, v] of fresh) t = smtSet(t, k, v)
        for (const [k] of fresh) t = smtSet(t, k, undefined)
        assert.deepEqual(smtRoot(t), smtRoot(t0))
        for (const [k, v] of base) assert.deepEqual(smtGet(t, k), v)
      }),
    )
  })

  void it('an empty tree has the zero root', () => {
    assert.deepEqual(smtRoot(null), ZERO_HASH)
    assert.deepEqual(stateRoot(EMPTY_STATE), ZERO_HASH)
  })
})

void describe('account proofs', () => {
  const state = stateWith(25)
  const root = stateRoot(state)

  void it('verify for every present account and return it', () => {
    for (const a of addrs.slice(0, 25)) {
      assert.deepEqual(verifyAccountProof(root, a, proveAccount(state, a)), getAccount(state, a))
    }
  })

  void it('verify absence for accounts never used', () => {
    for (const a of [...addrs.slice(25), testKey(99).address]) {
      const proof = proveAccount(state, a)
      assert.deepEqual(verifyAccountProof(root, a, proof), { balance: 0n, nonce: 0 })
    }
  })

  void it('verify in an empty and a one-account state', () => {
    assert.deepEqual(
      verifyAccountProof(stateRoot(EMPTY_STATE), addrs[0]!, proveAccount(EMPTY_STATE, addrs[0]!)).balance,
      0n,
    )
    const one = stateWith(1)
    assert.equal(verifyAccountProof(stateRoot(one), addrs[0]!, proveAccount(one, addrs[0]!)).balance, 1000n)
    assert.equal(verifyAccountProof(stateRoot(one), addrs[1]!, proveAccount(one, addrs[1]!)).balance, 0n)
  })

  function tampered(proof: SmtProof): { id: string; proof: SmtProof }[] {
    const out: { id: string; proof: SmtProof }[] = []
    proof.siblings.forEach((s, i) => {
      const flipped = Uint8Array.from(s)
      flipped[i % 32]! ^= 1
      out.push({
        id: `sibling ${i} flipped`,
        proof: { ...proof, siblings: proof.siblings.map((x, j) => (j === i ? flipped : x)) },
      })
    })
    out.push({ id: 'sibling dropped', proof: { ...proof, siblings: proof.siblings.slice(1) } })
    out.push({ id: 'sibling added', proof: { ...proof, siblings: [...proof.siblings, ZERO_HASH] } })
    out.push({ id: 'zero sibling prepended', proof: { ...proof, siblings: [ZERO_HASH, ...proof.siblings] } })
    if (proof.leaf !== null) {
      const value = Uint8Array.from(proof.leaf.value)
      value[7]! ^= 1
      out.push({ id: 'balance changed', proof: { ...proof, leaf: { ...proof.leaf, value } } })
      const key = Uint8Array.from(proof.leaf.key)
      key[31]! ^= 1
      out.push({ id: 'leaf key changed', proof: { ...proof, leaf: { ...proof.leaf, key } } })
      out.push({ id: 'leaf removed', proof: { ...proof, leaf: null } })
    } else {
      out.push({
        id: 'leaf invented',
        proof: { ...proof, leaf: { key: new Uint8Array(32), value: new Uint8Array(16) } },
      })
    }
    return out
  }

  for (const [what, address] of [
    ['present', addrs[3]!],
    ['absent', addrs[30]!],
  ] as const) {
    void it(`reject every tampering of a proof for a ${what} account`, () => {
      const proof = proveAccount(state, address)
      const cases = tampered(proof)
      assert.ok(cases.length >= 4)
      for (const c of cases) {
        assert.throws(() => verifyAccountProof(root, address, c.proof), { name: 'ProofError' }, c.id)
      }
    })
  }

  void it('reject a valid proof presented for another address or another root', () => {
    const proof = proveAccount(state, addrs[3]!)
    assert.throws(() => verifyAccountProof(root, addrs[4]!, proof), { name: 'ProofError' })
    assert.throws(() => verifyAccountProof(stateRoot(stateWith(26)), addrs[3]!, proof), {
      code: 'PROOF_ROOT_MISMATCH',
    })
  })

  void it('a proof of absence cannot be made for a present account (a neighbour leaf is refused)', () => {
    // Take the proof of a present account and claim it ends at that account for a different key.
    for (const other of addrs.slice(0, 25)) {
      if (other === addrs[3]) continue
      const proof = proveAccount(state, other)
      assert.throws(() => verifyAccountProof(root, addrs[3]!, proof), { name: 'ProofError' })
    }
  })
})

void describe('transaction inclusion proofs', () => {
  const alice = testKey(1)
  const txsFor = (n: number) =>
    Array.from({ length: n }, (_, i) => transfer(alice, testKey(2).address, { nonce: i }))
  const all = txsFor(13)

  void it('verify for every index of every tree size up to 13', () => {
    for (let n = 1; n <= 13; n++) {
      const txs = all.slice(0, n)
      const root = txRoot(txs)
      for (let i = 0; i < n; i++) verifyTxInclusion(root, txDigest(txs[i]!), proveTxInclusion(txs, i))
    }
  })

  void it('reject every tampered proof', () => {
    const txs = all.slice(0, 11)
    const root = txRoot(txs)
    for (let i = 0; i < 11; i++) {
      const p = proveTxInclusion(txs, i)
      const d = txDigest(txs[i]!)
      const bad: [string, Uint8Array, TxInclusionProof][] = [
        ['other tx', txDigest(txs[(i + 1) % 11]!), p],
        ['index moved', d, { ...p, index: (i + 1) % 11 }],
        ['count changed', d, { ...p, count: 12 }],
        ['path shortened', d, { ...p, path: p.path.slice(1) }],
        ['path extended', d, { ...p, path: [...p.path, root] }],
        ...p.path.map((s, j): [string, Uint8Array, TxInclusionProof] => {
          const f = Uint8Array.from(s)
          f[0]! ^= 0x80
          return [`node ${j} flipped`, d, { ...p, path: p.path.map((x, k) => (k === j ? f : x)) }]
        }),
      ]
      for (const [id, digest, proof] of bad)
        assert.throws(() => verifyTxInclusion(root, digest, proof), { name: 'ProofError' }, `${i}: ${id}`)
    }
  })
})

void describe('proof wire forms', () => {
  const state = stateWith(20)
  const root = stateRoot(state)
  void it('account proofs survive encoding, present and absent, and still verify', () => {
    for (const a of [addrs[2]!, addrs[33]!]) {
      const back = decodeAccountProof(encodeAccountProof(proveAccount(state, a)))
      assert.deepEqual(verifyAccountProof(root, a, back), getAccount(state, a))
    }
  })
  void it('inclusion proofs survive encoding', () => {
    const txs = Array.from({ length: 6 }, (_, i) => transfer(testKey(1), testKey(2).address, { nonce: i }))
    const p = decodeTxInclusionProof(encodeTxInclusionProof(proveTxInclusion(txs, 4)))
    verifyTxInclusion(txRoot(txs), txDigest(txs[4]!), p)
  })
  void it('malformed proofs are refused with decode errors', () => {
    assert.throws(() => decodeAccountProof(Uint8Array.of(0xff)), { code: 'DECODE_CBOR' })
    assert.throws(() => decodeAccountProof(encodeTxInclusionProof({ index: 0, count: 1, path: [] })), {
      code: 'DECODE_UNKNOWN_FIELD',
    })
    assert.throws(() => decodeTxInclusionProof(encodeAccountProof({ siblings: [], leaf: null })), {
      code: 'DECODE_UNKNOWN_FIELD',
    })
  })
})
