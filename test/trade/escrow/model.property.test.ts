/**
 * The escrow state machine in the real ledger (blocks built, sealed and applied) against a
 * small model written separately from the rules: random opens, steps by random senders,
 * empty blocks, and reorganisations (undo then redo the same blocks; or switch to a branch
 * without them). After every command: each escrow's state and every party's balance match the
 * model, and balances plus locked coins equal the supply. At the end every escrow is driven to
 * a terminal state through the paths the rules allow, and nothing stays locked.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { txId } from '../../../src/chain/codec.ts'
import { ChainError } from '../../../src/chain/errors.ts'
import { blockReward } from '../../../src/chain/params.ts'
import { getAccount, getEscrow, lockedInEscrow, stateRoot, totalBalance } from '../../../src/chain/state.ts'
import { revertBlock, type BlockUndo } from '../../../src/chain/transition.ts'
import type { EscrowActionTx, SignedTx, TxId } from '../../../src/chain/types.ts'
import type { EscrowState } from '../../../src/trade/escrow/index.ts'
import {
  escrowOpen,
  escrowResolve,
  escrowStep,
  testChain,
  testKey,
  type TestChain,
  type TestKey,
} from '../../chain/helpers.ts'

const BALANCE = 1_000_000_000n
const FEE = 10n
const PARTIES = [testKey(1), testKey(2), testKey(3), testKey(4)] as const
type Who = 0 | 1 | 2 | 3

interface ModelEscrow {
  id: TxId
  state: EscrowState
  seller: Who
  buyer: Who
  arbiter: Who | null
  amount: bigint
  sd: bigint
  bd: bigint
  pw: number
  rw: number
  dw: number
  acceptedAt: number
  paidAt: number
  disputedAt: number
}

interface Model {
  height: number
  nonces: number[]
  balances: bigint[]
  escrows: ModelEscrow[]
}

const clone = (m: Model): Model => ({
  height: m.height,
  nonces: [...m.nonces],
  balances: [...m.balances],
  escrows: m.escrows.map((e) => ({ ...e })),
})

const TERMINAL = new Set<EscrowState>(['released', 'cancelled', 'refunded', 'expired', 'resolved'])

type StepKind = EscrowActionTx['kind'] | 'escrow-resolve'

/** The model's answer: the payouts and deposit of a valid step, or the code that refuses it. */
function predict(
  e: ModelEscrow,
  kind: StepKind,
  who: Who,
  h: number,
): { code: string } | { next: EscrowState; lock: bigint; pay: [Who, bigint][] } {
  if (TERMINAL.has(e.state)) return { code: 'ESCROW_CLOSED' }
  const isParty = who === e.seller || who === e.buyer
  const total = e.amount + e.sd + e.bd
  const own: [Who, bigint][] = [
    [e.seller, e.amount + e.sd],
    [e.buyer, e.bd],
  ]
  switch (kind) {
    case 'escrow-accept':
      if (who !== e.buyer) return { code: 'ESCROW_NOT_BUYER' }
      if (e.state !== 'open') return { code: 'ESCROW_STATE' }
      return { next: 'accepted', lock: e.bd, pay: [] }
    case 'escrow-paid':
      if (who !== e.buyer) return { code: 'ESCROW_NOT_BUYER' }
      if (e.state !== 'accepted') return { code: 'ESCROW_STATE' }
      if (h > e.acceptedAt + e.pw) return { code: 'ESCROW_WINDOW_CLOSED' }
      return { next: 'paid', lock: 0n, pay: [] }
    case 'escrow-release':
      if (who !== e.seller) return { code: 'ESCROW_NOT_SELLER' }
      if (e.state === 'open') return { code: 'ESCROW_STATE' }
      return {
        next: 'released',
        lock: 0n,
        pay: [
          [e.buyer, e.amount + e.bd],
          [e.seller, e.sd],
        ],
      }
    case 'escrow-refund':
      if (e.state === 'open' || e.state === 'accepted') {
        if (who !== e.seller) return { code: 'ESCROW_NOT_SELLER' }
        if (e.state === 'open') return { next: 'cancelled', lock: 0n, pay: [[e.seller, e.amount + e.sd]] }
        if (h <= e.acceptedAt + e.pw) return { code: 'ESCROW_TOO_EARLY' }
        return { next: 'refunded', lock: 0n, pay: [[e.seller, total]] }
      }
      if (!isParty) return { code: 'ESCROW_NOT_PARTY' }
      if (e.state === 'paid' && h <= e.paidAt + e.rw + (e.arbiter !== null ? e.dw : 0))
        return { code: 'ESCROW_TOO_EARLY' }
      if (e.state === 'disputed' && h <= e.disputedAt + e.dw) return { code: 'ESCROW_TOO_EARLY' }
      return { next: 'expired', lock: 0n, pay: own }
    case 'escrow-dispute':
      if (!isParty) return { code: 'ESCROW_NOT_PARTY' }
      if (e.arbiter === null) return { code: 'ESCROW_NO_ARBITER' }
      if (e.state !== 'paid') return { code: 'ESCROW_STATE' }
      if (h > e.paidAt + e.rw + e.dw) return { code: 'ESCROW_WINDOW_CLOSED' }
      return { next: 'disputed', lock: 0n, pay: [] }
    case 'escrow-resolve': {
      if (e.arbiter === null) return { code: 'ESCROW_NO_ARBITER' }
      if (who !== e.arbiter) return { code: 'ESCROW_NOT_ARBITER' }
      if (e.state !== 'disputed') return { code: 'ESCROW_STATE' }
      if (h > e.disputedAt + e.dw) return { code: 'ESCROW_WINDOW_CLOSED' }
      const toBuyer = (total * 3_333n) / 10_000n
      return {
        next: 'resolved',
        lock: 0n,
        pay: [
          [e.buyer, toBuyer],
          [e.seller, total - toBuyer],
        ],
      }
    }
  }
}

/** The real ledger: a chain with the undo data of every block. */
class Real {
  readonly chain: TestChain = testChain({ funded: [...PARTIES], balance: BALANCE })
  readonly undos: BlockUndo[] = []

  mine(txs: SignedTx[]): void {
    const r = this.chain.apply(this.chain.build(txs))
    this.undos.push(r.undo)
  }

  /** Reverts the last k blocks; returns them. */
  revert(k: number): ReturnType<TestChain['build']>[] {
    const out = []
    for (let i = 0; i < k; i++) {
      const undo = this.undos.pop()!
      const state = revertBlock(this.chain.states.pop()!, undo)
      this.chain.headers.pop()
      out.unshift(this.chain.blocks.pop()!)
      assert.deepEqual(stateRoot(state), stateRoot(this.chain.state), 'revert gives back the state before')
    }
    return out
  }

  supply(): bigint {
    let minted = 0n
    for (let h = 1; h < this.chain.headers.length; h++) minted += blockReward(this.chain.params, h)
    return BALANCE * BigInt(PARTIES.length) + minted
  }
}

function check(real: Real, model: Model): void {
  const s = real.chain.state
  assert.equal(real.chain.tip.height, model.height)
  PARTIES.forEach((k, i) =>
    assert.equal(getAccount(s, k.address).balance, model.balances[i], `balance of party ${i}`),
  )
  for (const e of model.escrows) assert.equal(getEscrow(s, e.id)?.state, e.state)
  assert.equal(totalBalance(s) + lockedInEscrow(s), real.supply(), 'coins are conserved')
  let locked = 0n
  for (const e of model.escrows)
    if (!TERMINAL.has(e.state)) locked += e.state === 'open' ? e.amount + e.sd : e.amount + e.sd + e.bd
  assert.equal(lockedInEscrow(s), locked)
}

interface World {
  real: Real
  model: Model
  /** snapshots[h]: the model at height h (for reorgs). */
  snapshots: Model[]
}

function mineModel(w: World): void {
  w.model.height++
  w.snapshots[w.model.height] = clone(w.model)
}

class OpenCmd implements fc.Command<World, World> {
  readonly seller: Who
  readonly arbiter: boolean
  readonly amount: bigint
  readonly windows: [number, number, number]
  constructor(seller: Who, arbiter: boolean, amount: bigint, windows: [number, number, number]) {
    this.seller = seller
    this.arbiter = arbiter
    this.amount = amount
    this.windows = windows
  }
  check = (): boolean => true
  run(_: World, w: World): void {
    const buyer = ((this.seller + 1) % 2) as Who
    const seller = PARTIES[this.seller]
    const [pw, rw, dw] = this.windows
    const tx = escrowOpen(seller, PARTIES[buyer].address, {
      network: w.real.chain.params.networkId,
      nonce: w.model.nonces[this.seller],
      amount: this.amount,
      sellerDeposit: this.amount / 10n,
      buyerDeposit: this.amount / 20n,
      arbiter: this.arbiter ? testKey(3).address : null,
      paymentWindowBlocks: pw,
      releaseWindowBlocks: rw,
      disputeWindowBlocks: dw,
      fee: FEE,
    })
    w.real.mine([tx])
    w.model.nonces[this.seller]!++
    w.model.balances[this.seller]! -= this.amount + this.amount / 10n + FEE
    w.model.escrows.push({
      id: txId(tx),
      state: 'open',
      seller: this.seller,
      buyer,
      arbiter: this.arbiter ? 2 : null,
      amount: this.amount,
      sd: this.amount / 10n,
      bd: this.amount / 20n,
      pw,
      rw,
      dw,
      acceptedAt: 0,
      paidAt: 0,
      disputedAt: 0,
    })
    mineModel(w)
    check(w.real, w.model)
  }
  toString = (): string =>
    `open(seller ${this.seller}, arbiter ${this.arbiter}, ${this.amount}, ${this.windows.join('/')})`
}

type Role = 'seller' | 'buyer' | 'arbiter' | 'stranger'

/** A step sent by a role of the picked escrow (or a fixed party, for the end of the run). */
/** The step an escrow's state leads to next on the path to a dispute ('advance' commands). */
const NEXT: Partial<Record<EscrowState, [StepKind, Role]>> = {
  open: ['escrow-accept', 'buyer'],
  accepted: ['escrow-paid', 'buyer'],
  paid: ['escrow-dispute', 'buyer'],
  disputed: ['escrow-resolve', 'arbiter'],
}

class StepCmd implements fc.Command<World, World> {
  kind: StepKind
  role: Role | Who
  readonly pick: number
  readonly advance: boolean
  who: Who = 3
  constructor(kind: StepKind, role: Role | Who, pick: number, advance = false) {
    this.kind = kind
    this.role = role
    this.pick = pick
    this.advance = advance
  }
  check = (m: Readonly<World>): boolean => m.model.escrows.length > 0
  run(_: World, w: World): void {
    const e = w.model.escrows[this.pick % w.model.escrows.length]!
    const next = NEXT[e.state]
    if (this.advance && next !== undefined) [this.kind, this.role] = next
    this.who =
      typeof this.role === 'number'
        ? this.role
        : this.role === 'seller'
          ? e.seller
          : this.role === 'buyer'
            ? e.buyer
            : this.role === 'arbiter'
              ? 2
              : 3
    const key: TestKey = PARTIES[this.who]
    const opts = { nonce: w.model.nonces[this.who], fee: FEE, network: w.real.chain.params.networkId }
    const tx =
      this.kind === 'escrow-resolve'
        ? escrowResolve(key, e.id, 3_333, opts)
        : escrowStep(this.kind, key, e.id, opts)
    const h = w.model.height + 1
    const want = predict(e, this.kind, this.who, h)
    let got: string | null = null
    try {
      w.real.mine([tx])
    } catch (err) {
      if (!(err instanceof ChainError)) throw err
      got = err.code
    }
    if ('code' in want) {
      assert.equal(got, want.code, `${this.kind} by ${this.who} on ${e.state} at ${h}`)
      return check(w.real, w.model)
    }
    assert.equal(got, null, `${this.kind} by ${this.who} on ${e.state} at ${h} should apply`)
    w.model.nonces[this.who]!++
    w.model.balances[this.who]! -= want.lock + FEE
    for (const [to, v] of want.pay) w.model.balances[to]! += v
    if (want.next === 'accepted') e.acceptedAt = h
    if (want.next === 'paid') e.paidAt = h
    if (want.next === 'disputed') e.disputedAt = h
    e.state = want.next
    mineModel(w)
    check(w.real, w.model)
  }
  toString = (): string => `${this.kind}(by ${String(this.role)}, escrow #${this.pick})`
}

class MineCmd implements fc.Command<World, World> {
  readonly n: number
  constructor(n: number) {
    this.n = n
  }
  check = (): boolean => true
  run(_: World, w: World): void {
    for (let i = 0; i < this.n; i++) {
      w.real.mine([])
      mineModel(w)
    }
    check(w.real, w.model)
  }
  toString = (): string => `mine(${this.n})`
}

/** Undo the last k blocks, then redo exactly the same blocks: the same states, root for root. */
class RedoCmd implements fc.Command<World, World> {
  readonly k: number
  constructor(k: number) {
    this.k = k
  }
  check = (m: Readonly<World>): boolean => m.model.height >= this.k
  run(_: World, w: World): void {
    const roots = w.real.chain.states.slice(-this.k).map(stateRoot)
    const blocks = w.real.revert(this.k)
    for (const b of blocks) w.real.undos.push(w.real.chain.apply(b).undo)
    assert.deepEqual(w.real.chain.states.slice(-this.k).map(stateRoot), roots)
    check(w.real, w.model)
  }
  toString = (): string => `redo(${this.k})`
}

/** Undo the last k blocks and switch to a longer branch of empty blocks: escrow steps in them are gone. */
class ForkCmd implements fc.Command<World, World> {
  readonly k: number
  constructor(k: number) {
    this.k = k
  }
  check = (m: Readonly<World>): boolean => m.model.height >= this.k
  run(_: World, w: World): void {
    w.real.revert(this.k)
    w.model = clone(w.snapshots[w.model.height - this.k]!)
    check(w.real, w.model)
    for (let i = 0; i <= this.k; i++) {
      w.real.mine([])
      mineModel(w)
    }
    check(w.real, w.model)
  }
  toString = (): string => `fork(${this.k})`
}

/** Drives every escrow still open to a terminal state by the path the rules allow for its state. */
function finish(w: World): void {
  for (const e of w.model.escrows) {
    while (!TERMINAL.has(e.state)) {
      const who: Who = e.state === 'paid' || e.state === 'disputed' ? e.buyer : e.seller
      const h = w.model.height + 1
      const want = predict(e, 'escrow-refund', who, h)
      if ('code' in want) {
        assert.equal(want.code, 'ESCROW_TOO_EARLY')
        new MineCmd(1).run(w, w)
        continue
      }
      new StepCmd('escrow-refund', who, w.model.escrows.indexOf(e)).run(w, w)
    }
  }
  assert.equal(lockedInEscrow(w.real.chain.state), 0n)
}

const role = fc.constantFrom<Role>('seller', 'buyer', 'buyer', 'seller', 'arbiter', 'stranger')
const step = fc
  .tuple(
    // Weighted towards the steps that lead deeper into the machine (a refund of an open
    // escrow cancels it, which would otherwise end most escrows early).
    fc.constantFrom<StepKind>(
      'escrow-accept',
      'escrow-accept',
      'escrow-accept',
      'escrow-paid',
      'escrow-paid',
      'escrow-paid',
      'escrow-release',
      'escrow-refund',
      'escrow-dispute',
      'escrow-dispute',
      'escrow-resolve',
      'escrow-resolve',
    ),
    role,
    fc.nat(3),
  )
  .map(([k, r, p]) => new StepCmd(k, r, p))
const advance = fc.nat(3).map((p) => new StepCmd('escrow-accept', 'buyer', p, true))
const commands = [
  advance,
  advance,
  step,
  step,
  step,
  fc
    .tuple(
      fc.constantFrom<Who>(0, 1),
      fc.boolean(),
      fc.bigInt(1_000n, 1_000_000n),
      fc.tuple(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
      ),
    )
    .map(([s, a, amt, ws]) => new OpenCmd(s, a, amt, ws)),
  fc.integer({ min: 1, max: 3 }).map((n) => new MineCmd(n)),
  fc.integer({ min: 1, max: 3 }).map((k) => new RedoCmd(k)),
  fc.integer({ min: 1, max: 3 }).map((k) => new ForkCmd(k)),
]

void describe('escrow state machine against a model, with reorgs', () => {
  void it('keeps states, balances and locked coins equal to the model, and ends every escrow', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40, size: 'max' }), (cmds) => {
        const real = new Real()
        const model: Model = {
          height: 0,
          nonces: [0, 0, 0, 0],
          balances: PARTIES.map(() => BALANCE),
          escrows: [],
        }
        const w: World = { real, model, snapshots: [clone(model)] }
        fc.modelRun(() => ({ model: w, real: w }), cmds)
        finish(w)
      }),
      { numRuns: 60 },
    )
  })
})
