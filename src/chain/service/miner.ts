/**
 * The miner: builds a block template on the head from the mempool, seals it (PoW search through a
 * PowSolver, off the main thread in production; PoA signature with the authority key) and hands
 * the block to the chain service like any other. A new head abandons the search in progress.
 *
 * Pacing: a template is not started before parent.timestamp + blockInterval (PoA requires it;
 * for PoW it keeps a devnet at the easiest target from racing ahead of its schedule).
 */
import type { KeyObject } from 'node:crypto'
import { errorMessage } from '../../core/errors.ts'
import type { Clock } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import { earliestSealTimeMs, expectedBits, sealPoa } from '../consensus/index.ts'
import { publicKeyFromPrivate } from '../keys.ts'
import { buildBlockTemplate } from '../transition.ts'
import type { Address, BlockHeader } from '../types.ts'
import { medianTimePast } from '../validation.ts'
import type { PowSolver } from '../worker/pow-solver.ts'
import type { ChainService } from './chain-service.ts'
import type { ChainReader } from './reader.ts'

export interface MinerInit {
  /** Address the coinbase pays. */
  readonly minerAddress: Address
  /** PoA only: the authority's ed25519 private key (32-byte seed or KeyObject). */
  readonly poaKey?: Uint8Array | KeyObject
}

export interface MinerComponents {
  readonly chain: ChainReader & Pick<ChainService, 'importBlock' | 'subscribe' | 'setMining'>
  readonly solver: PowSolver
  readonly clock: Clock
  readonly logger: Logger
}

export interface MinedBlock {
  readonly id: string
  readonly height: number
  readonly transactions: number
}

export class Miner {
  readonly #c: MinerComponents
  readonly #init: MinerInit
  readonly #log: Logger
  #running = false
  #round: AbortController | null = null
  #loop: Promise<void> | null = null
  #unsubscribe: (() => void) | null = null
  #mined = 0

  constructor(components: MinerComponents, init: MinerInit) {
    this.#c = components
    this.#init = init
    this.#log = components.logger.child({ component: 'miner' })
  }

  get blocksMined(): number {
    return this.#mined
  }

  start(): void {
    if (this.#running) return
    const p = this.#c.chain.params
    if (p.engine.type === 'poa' && this.#init.poaKey === undefined)
      throw new Error('a PoA network needs an authority key to seal blocks')
    this.#running = true
    this.#c.chain.setMining(true)
    // A new head from elsewhere makes the current template stale.
    this.#unsubscribe = this.#c.chain.subscribe((e) => {
      if (e.type === 'chain:head') this.#round?.abort()
    })
    this.#loop = this.#run()
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#unsubscribe?.()
    this.#round?.abort()
    await this.#loop
    this.#c.chain.setMining(false)
  }

  /**
   * One block on the current head without the mining loop (the network lab schedules who mines
   * when); null when the head moved while sealing.
   */
  async mineOnce(signal: AbortSignal = new AbortController().signal): Promise<MinedBlock | null> {
    const mined = await this.#mineOne(signal)
    if (mined !== null) this.#mined++
    return mined
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const round = new AbortController()
      this.#round = round
      try {
        const mined = await this.#mineOne(round.signal)
        if (mined !== null) {
          this.#mined++
          this.#log.info(mined, 'mined a block')
        }
      } catch (err) {
        if (!round.signal.aborted) {
          this.#log.error({ err: errorMessage(err) }, 'mining round failed')
          await sleep(1000, round.signal)
        }
      }
    }
  }

  /** One template, sealed and imported; null when abandoned (new head, stop). */
  async #mineOne(signal: AbortSignal): Promise<MinedBlock | null> {
    const chain = this.#c.chain
    const parent = chain.tip().node
    const p = chain.params
    const signer = this.#init.poaKey === undefined ? undefined : publicKeyFromPrivate(this.#init.poaKey)
    const earliest =
      p.engine.type === 'poa' && signer !== undefined
        ? earliestSealTimeMs(p, parent.header, signer)
        : parent.header.timestampMs + p.blockIntervalMs
    const wait = earliest - this.#c.clock.nowMs()
    if (wait > 0) await sleep(wait, signal)
    const { node: head, state } = chain.tip()
    // A new head while waiting: this template is already stale (the round is being abandoned).
    if (signal.aborted || head.id !== parent.id) return null
    const ctx = chain.headerContext(parent.id)!
    const timestampMs = Math.max(this.#c.clock.nowMs(), earliest, medianTimePast(ctx.recentTimestampsMs) + 1)
    const consensus: BlockHeader['consensus'] =
      p.engine.type === 'pow'
        ? { engine: 'pow', bits: expectedBits(p, parent.header), nonce: 0 }
        : { engine: 'poa', signer: signer!, signature: new Uint8Array(64) }
    const tpl = buildBlockTemplate(state, {
      params: p,
      parent: parent.header,
      timestampMs,
      miner: this.#init.minerAddress,
      consensus,
      candidates: chain.blockCandidates(),
    })
    const header =
      p.engine.type === 'pow'
        ? await this.#c.solver.solve(tpl.block.header, signal)
        : sealPoa(tpl.block.header, this.#init.poaKey!)
    if (signal.aborted || chain.head().id !== parent.id) return null
    const r = chain.importBlock({ header, transactions: tpl.block.transactions })
    return { id: r.id, height: header.height, transactions: tpl.block.transactions.length - 1 }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
