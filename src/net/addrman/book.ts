/**
 * The address book service: the pure AddrMan with the node's clock and rng, written through to
 * SQLite (store.ts) after every change, and the two anchors. Everything that learns an address
 * (peer exchange, the DHT, mDNS, identify) calls `add` with its source; the peer manager asks
 * `select`/`feeler` and reports `good`/`attempt`.
 */
import type { Clock, Rng } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import {
  AddrMan,
  type AddrCandidate,
  type AddrInfo,
  type GoodOutcome,
  type SelectOptions,
} from './addrman.ts'
import { AddrStore, type AddrDatabase, type Anchor } from './store.ts'

export interface AddressBookInit {
  /** The node's database; null keeps the tables in memory only (a fresh key each start). */
  readonly db: AddrDatabase | null
  readonly clock: Clock
  readonly rng: Rng
  readonly logger: Logger
}

export class AddressBook {
  readonly #init: AddressBookInit
  readonly #store: AddrStore | null
  readonly #am: AddrMan
  #anchors: Anchor[]

  constructor(init: AddressBookInit) {
    this.#init = init
    let store: AddrStore | null = null
    let am: AddrMan | null = null
    let anchors: Anchor[] = []
    if (init.db != null) {
      try {
        store = new AddrStore(init.db)
        am = AddrMan.load(store.key(init.rng), store.load())
        anchors = store.anchors()
      } catch (err) {
        init.logger.error({ err: errorMessage(err) }, 'address tables not loaded; starting empty')
        store = null
      }
    }
    this.#store = store
    this.#am = am ?? new AddrMan(init.rng.bytes(32))
    this.#anchors = anchors
    this.#flush()
  }

  get persisted(): boolean {
    return this.#store != null
  }

  size(): { new: number; tried: number; collisions: number } {
    return this.#am.size
  }

  get(peerId: string): AddrInfo | undefined {
    return this.#am.get(peerId)
  }

  all(): AddrInfo[] {
    return this.#am.all()
  }

  add(candidates: readonly AddrCandidate[], source: string): number {
    const n = this.#am.add(candidates, source, this.#init.clock.nowMs())
    this.#flush()
    return n
  }

  good(peerId: string): GoodOutcome {
    const out = this.#am.good(peerId, this.#init.clock.nowMs())
    this.#flush()
    return out
  }

  attempt(peerId: string, countFailure = true): void {
    this.#am.attempt(peerId, this.#init.clock.nowMs(), countFailure)
    this.#flush()
  }

  connected(peerId: string): void {
    this.#am.connected(peerId, this.#init.clock.nowMs())
    this.#flush()
  }

  select(opts: SelectOptions = {}): AddrInfo | null {
    return this.#am.select(this.#init.clock.nowMs(), this.#init.rng, opts)
  }

  /** What a feeler should test: a tried entry in collision first, else a new-table address. */
  feeler(exclude?: (e: AddrInfo) => boolean): AddrInfo | null {
    this.#am.resolveCollisions(this.#init.clock.nowMs())
    this.#flush()
    return (
      this.#am.selectTriedCollision(this.#init.rng) ??
      this.#am.select(this.#init.clock.nowMs(), this.#init.rng, {
        newOnly: true,
        ...(exclude == null ? {} : { exclude }),
      })
    )
  }

  resolveCollisions(): void {
    this.#am.resolveCollisions(this.#init.clock.nowMs())
    this.#flush()
  }

  /** The block-relay-only peers saved at the last change, to redial first after a restart. */
  anchors(): Anchor[] {
    return [...this.#anchors]
  }

  setAnchors(anchors: readonly Anchor[]): void {
    this.#anchors = [...anchors]
    try {
      this.#store?.setAnchors(anchors)
    } catch (err) {
      this.#init.logger.error({ err: errorMessage(err) }, 'anchors not saved')
    }
  }

  #flush(): void {
    const changes = this.#am.takeChanges()
    if (this.#store == null) return
    try {
      this.#store.save(changes)
    } catch (err) {
      this.#init.logger.error({ err: errorMessage(err) }, 'address table changes not saved')
    }
  }
}
