import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { keyPairFromPrivateKey, publicKeyFromRaw, sign, verify } from '../../src/wallet/keys.ts'

// RFC 8032 section 7.1, TEST 1: secret key, public key, empty message, signature.
const RFC8032 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
}

void describe('ed25519 keys', () => {
  void it('builds key objects from a 32-byte private key (RFC 8032 test 1)', () => {
    const pair = keyPairFromPrivateKey(Buffer.from(RFC8032.secret, 'hex'))
    assert.equal(Buffer.from(pair.publicKeyRaw).toString('hex'), RFC8032.public)
    const sig = sign(pair.privateKey, new Uint8Array(0))
    assert.equal(Buffer.from(sig).toString('hex'), RFC8032.signature)
    assert.equal(verify(pair.publicKeyRaw, new Uint8Array(0), sig), true)
  })

  void it('round-trips a raw public key and rejects altered messages and signatures', () => {
    const pair = keyPairFromPrivateKey(new Uint8Array(32).fill(7))
    const pub = pair.publicKeyRaw
    assert.equal(publicKeyFromRaw(pub).asymmetricKeyType, 'ed25519')
    const msg = Buffer.from('send 5 kith to bob')
    const sig = sign(pair.privateKey, msg)
    assert.equal(verify(pub, msg, sig), true)
    assert.equal(verify(pub, Buffer.from('send 6 kith to bob'), sig), false)
    const bad = Uint8Array.from(sig)
    bad[10]! ^= 1
    assert.equal(verify(pub, msg, bad), false)
    assert.equal(verify(pub, msg, sig.subarray(0, 63)), false)
  })

  void it('names the wrong key length', () => {
    assert.throws(() => keyPairFromPrivateKey(new Uint8Array(31)), { code: 'KEY_LENGTH_INVALID' })
    assert.throws(() => publicKeyFromRaw(new Uint8Array(33)), { code: 'KEY_LENGTH_INVALID' })
  })
})
