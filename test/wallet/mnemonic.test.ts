import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { seededRng } from '../../src/core/clock.ts'
import {
  entropyToMnemonic,
  generateMnemonic,
  isValidMnemonic,
  mnemonicToSeed,
  normalizeMnemonic,
  parseMnemonic,
} from '../../src/wallet/mnemonic.ts'

// Trezor python-mnemonic vectors.json (English), passphrase "TREZOR": entropy -> mnemonic -> seed.
const TREZOR = [
  [
    '00000000000000000000000000000000',
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
  ],
  [
    '7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f',
    'legal winner thank year wave sausage worth useful legal winner thank yellow',
    '2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607',
  ],
  [
    'ffffffffffffffffffffffffffffffff',
    'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
    'ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069',
  ],
  [
    '808080808080808080808080808080808080808080808080',
    'letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter always',
    '107d7c02a5aa6f38c58083ff74f04c607c2d2c0ecc55501dadd72d025b751bc27fe913ffb796f841c49b1d33b610cf0e91d3aa239027f5e99fe4ce9e5088cd65',
  ],
  [
    '0000000000000000000000000000000000000000000000000000000000000000',
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art',
    'bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8',
  ],
  [
    '9e885d952ad362caeb4efe34a8e91bd2',
    'ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic',
    '274ddc525802f7c828d8ef7ddbcdc5304e87ac3535913611fbbfa986d0c9e5476c91689f9c8a54fd55bd38606aa6a8595ad213d4c9c9f9aca3fb217069a41028',
  ],
  [
    '68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c',
    'hamster diagram private dutch cause delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word shrug inflict delay length',
    '64c87cde7e12ecf6704ab95bb1408bef047c22db4cc7491c4271d170a1b213d20b385bc1588d9c7b38f1b39d415665b8a9030c9ec653d75e65f847d8fc1fc440',
  ],
  [
    'f585c11aec520db57dd353c69554b21a89b20fb0650966fa0a9d6f74fd989d8f',
    'void come effort suffer camp survey warrior heavy shoot primary clutch crush open amazing screen patrol group space point ten exist slush involve unfold',
    '01f5bced59dec48e362f2c45b5de68b9fd6c92c6634f44d6d40aab69056506f0e35524a518034ddc1192e1dacd32c1ed3eaa3c3b131c88ed8e7e54c49a5d0998',
  ],
] as const

void describe('BIP39 Trezor vectors', () => {
  for (const [entropy, mnemonic, seed] of TREZOR) {
    void it(`${mnemonic.split(' ').length} words from ${entropy.slice(0, 8)}…`, () => {
      assert.equal(entropyToMnemonic(Buffer.from(entropy, 'hex')), mnemonic)
      assert.equal(Buffer.from(parseMnemonic(mnemonic).entropy).toString('hex'), entropy)
      assert.equal(Buffer.from(mnemonicToSeed(mnemonic, 'TREZOR')).toString('hex'), seed)
    })
  }
})

void describe('mnemonic generation', () => {
  void it('makes valid 12- and 24-word mnemonics from the given Rng, reproducibly', () => {
    const twelve = generateMnemonic(12, seededRng(1))
    const twentyFour = generateMnemonic(24, seededRng(1))
    assert.equal(twelve.split(' ').length, 12)
    assert.equal(twentyFour.split(' ').length, 24)
    assert.ok(isValidMnemonic(twelve) && isValidMnemonic(twentyFour))
    assert.equal(generateMnemonic(12, seededRng(1)), twelve)
    assert.notEqual(generateMnemonic(12, seededRng(2)), twelve)
  })

  void it('refuses other word counts for new mnemonics', () => {
    assert.throws(() => generateMnemonic(18 as 12), { code: 'MNEMONIC_WORD_COUNT' })
  })

  void it('round-trips any entropy through its mnemonic', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 20, 24, 28, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (entropy) => {
          const words = entropyToMnemonic(entropy)
          assert.deepEqual(parseMnemonic(words).entropy, entropy)
        },
      ),
      { numRuns: 200 },
    )
  })

  void it('refuses entropy of a length BIP39 does not define', () => {
    assert.throws(() => entropyToMnemonic(new Uint8Array(15)), { code: 'ENTROPY_LENGTH_INVALID' })
    assert.throws(() => entropyToMnemonic(new Uint8Array(17)), { code: 'ENTROPY_LENGTH_INVALID' })
  })
})

void describe('mnemonic validation', () => {
  const VALID = TREZOR[0][1]

  void it('normalises case and spacing', () => {
    assert.equal(normalizeMnemonic(`  ${VALID.toUpperCase().replaceAll(' ', ' \t\n ')}  `), VALID)
  })

  const CASES = [
    {
      id: 'unknown word names word and position',
      text: VALID.replace(/about$/u, 'abuot'),
      code: 'MNEMONIC_UNKNOWN_WORD',
      meta: { word: 'abuot', position: 12, suggestion: undefined },
    },
    {
      id: 'a typo within the first four letters gets no suggestion',
      text: 'legal winner thank year wave sausage worth useful legal winner thank yelow',
      code: 'MNEMONIC_UNKNOWN_WORD',
      meta: { word: 'yelow', position: 12, suggestion: undefined },
    },
    {
      id: 'suggestion from the first four letters',
      text: 'abandon abandonn ' + VALID.split(' ').slice(2).join(' '),
      code: 'MNEMONIC_UNKNOWN_WORD',
      meta: { word: 'abandonn', position: 2, suggestion: 'abandon' },
    },
    {
      id: 'eleven words',
      text: VALID.split(' ').slice(1).join(' '),
      code: 'MNEMONIC_WORD_COUNT',
      meta: { count: 11 },
    },
    { id: 'thirteen words', text: VALID + ' zoo', code: 'MNEMONIC_WORD_COUNT', meta: { count: 13 } },
    { id: 'empty', text: '   ', code: 'MNEMONIC_WORD_COUNT', meta: { count: 0 } },
    {
      id: 'bad checksum',
      text: VALID.replace(/about$/u, 'abandon'),
      code: 'MNEMONIC_BAD_CHECKSUM',
      meta: { count: 12 },
    },
    {
      id: 'swapped words',
      text: 'legal winner thank year wave sausage worth useful legal winner yellow thank',
      code: 'MNEMONIC_BAD_CHECKSUM',
      meta: { count: 12 },
    },
    { id: 'huge input', text: 'zoo '.repeat(1000), code: 'MNEMONIC_TOO_LONG', meta: { length: 4000 } },
  ]
  for (const c of CASES) {
    void it(`${c.id}: ${c.code}`, () => {
      assert.throws(
        () => parseMnemonic(c.text),
        (err: { code: string; meta: Record<string, unknown>; name: string }) => {
          assert.equal(err.code, c.code)
          assert.equal(err.name, 'InvalidInputError')
          for (const [k, v] of Object.entries(c.meta)) assert.equal(err.meta[k], v, `meta.${k}`)
          return true
        },
      )
      assert.equal(isValidMnemonic(c.text), false)
    })
  }
})
