/**
 * The router's mapping table, shared by its NAT-PMP and UPnP IGD front ends: carries out the pure
 * decisions of state.ts (installs and removes DNAT rules, one request at a time, in order), and
 * expires mappings on a timer. stop() removes every rule and the chain.
 */
import { cryptoRng, systemClock, type Clock, type Rng, type TimerHandle } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import { MAX_LIFETIME_S } from './constants.ts'
import type { DnatRules } from './iptables.ts'
import {
  epochSeconds,
  expire,
  initialState,
  type DnatAction,
  type Mapping,
  type NatPmpState,
} from './state.ts'

export type TableEvent = { type: 'added' | 'removed'; mapping: Mapping } | { type: 'error'; message: string }

export interface MappingTableInit {
  rules: DnatRules
  /** The public address reported to clients; null when the router has none. */
  externalAddress: string | null
  /** @default MAX_LIFETIME_S */
  maxLifetimeS?: number
  /** @default systemClock */
  clock?: Clock
  /** @default cryptoRng */
  rng?: Rng
  onEvent?: (event: TableEvent) => void
}

export class MappingTable {
  readonly rules: DnatRules
  readonly externalAddress: string | null
  readonly maxLifetimeS: number
  readonly clock: Clock
  readonly rng: Rng
  readonly #onEvent: ((event: TableEvent) => void) | undefined
  #state: NatPmpState
  #timer: TimerHandle | undefined
  #running = false
  /** Requests and expiries run one at a time, so iptables sees the same order as the state. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(init: MappingTableInit) {
    this.rules = init.rules
    this.externalAddress = init.externalAddress
    this.maxLifetimeS = init.maxLifetimeS ?? MAX_LIFETIME_S
    this.clock = init.clock ?? systemClock
    this.rng = init.rng ?? cryptoRng
    this.#onEvent = init.onEvent
    this.#state = initialState(this.clock.nowMs())
  }

  get mappings(): readonly Mapping[] {
    return this.#state.mappings
  }

  epochSeconds(): number {
    return epochSeconds(this.#state, this.clock.nowMs())
  }

  async start(): Promise<void> {
    await this.rules.setup()
    this.#running = true
  }

  /**
   * Run one decision: `decide` sees the current state and returns the next one with its actions.
   * The actions are carried out before the state is committed; if one fails the state is left as
   * it was and the error is rethrown (the front end answers "failure").
   */
  async transact<R>(
    decide: (state: NatPmpState, nowMs: number) => { state: NatPmpState; actions: DnatAction[]; result: R },
  ): Promise<R> {
    const task = this.#queue.then(async () => {
      const out = decide(this.#state, this.clock.nowMs())
      await this.#perform(out.actions)
      this.#state = out.state
      this.#schedule()
      return out.result
    })
    this.#queue = task.catch(() => undefined)
    return await task
  }

  async stop(): Promise<void> {
    this.#running = false
    this.clock.clearTimeout(this.#timer)
    await this.#queue
    const all = this.#state.mappings
    this.#state = { ...this.#state, mappings: [] }
    await this.#perform(all.map((mapping) => ({ type: 'remove', mapping })))
    await this.rules.teardown()
  }

  async #perform(actions: DnatAction[]): Promise<void> {
    for (const action of actions) {
      if (action.type === 'add') await this.rules.add(action.mapping)
      else await this.rules.remove(action.mapping)
      this.#onEvent?.({ type: action.type === 'add' ? 'added' : 'removed', mapping: action.mapping })
    }
  }

  /** Arm one timer for the earliest expiry. */
  #schedule(): void {
    this.clock.clearTimeout(this.#timer)
    if (!this.#running) return
    const { nextExpiryMs } = expire(this.#state, this.clock.nowMs())
    if (nextExpiryMs == null) return
    this.#timer = this.clock.setTimeout(
      () => {
        this.transact((state, nowMs) => ({ ...expire(state, nowMs), result: undefined })).catch(
          (err: unknown) => this.#onEvent?.({ type: 'error', message: errorMessage(err) }),
        )
      },
      Math.max(0, nextExpiryMs - this.clock.nowMs()),
      { unref: true },
    )
  }
}
