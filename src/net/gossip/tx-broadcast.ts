/**
 * TxBroadcast: the one way a node sends its own transactions, called explicitly by the full
 * node's ledger (src/node/chain-full.ts), the trade account's ledger (src/node/trade.ts) and the
 * light node's LightChainApi (src/net/light). A transaction goes on a Dandelion++ stem when
 * private broadcast takes it (src/net/stem), else on the tx topic.
 *
 * One rule for what a restart would otherwise lose: own transactions still pending (in the
 * mempool, journalled across restarts) are announced again when the broadcast starts and each
 * time a peer joins the tx topic. The mempool journal survives a crash, but a node killed before
 * gossip carried a transfer out would otherwise hold it for ever, announced to no miner. Which
 * transactions are own is remembered in the node's database (table `net_own_txs`, at most
 * MAX_OWN_TXS); an id leaves it once its transaction is no longer pending (included or dropped).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { encodeTx, txId } from '../../chain/codec.ts'
import type { SignedTx } from '../../chain/types.ts'
import type { Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { MAX_OWN_TXS, REANNOUNCE_DELAY_MS } from './constants.ts'
import { TX_TOPIC } from './topics.ts'

/** What the broadcast needs of the gossip bus (GossipBus satisfies it). */
export interface TxBroadcastGossip {
  publish(name: string, data: Uint8Array): Promise<number>
  /** Calls `listener` each time a peer subscribes to the topic (short name); returns the unsubscribe. */
  onJoin(name: string, listener: () => void): () => void
  /** Peers known to be subscribed to the topic (short name). */
  topicPeers(name: string): number
}

export interface TxBroadcastComponents {
  gossip: TxBroadcastGossip
  /** Private broadcast: true when it sends `tx` on a stem itself (then it is not gossiped). */
  stem?: { takes(id: string, tx: SignedTx): boolean } | null
  /**
   * The pending transaction with this id, or undefined (included, dropped, unknown). Null: the
   * node keeps no pending pool (a light node), so nothing is re-announced.
   */
  pending: ((id: string) => SignedTx | undefined) | null
  /** Where own ids persist (the node's database); omitted: memory only. */
  db?: { readonly db: DatabaseSync } | null
  clock: Clock
  logger: Logger
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS net_own_txs (id TEXT PRIMARY KEY, added_ms INTEGER NOT NULL);`

export class TxBroadcast {
  readonly name = 'tx-broadcast'
  readonly #c: TxBroadcastComponents
  readonly #log: Logger
  /** Own transaction ids, oldest first; mirrors `net_own_txs`. */
  readonly #own = new Map<string, number>()
  readonly #s: Record<'put' | 'del', StatementSync> | null
  #off: (() => void) | null = null
  #timer: ReturnType<Clock['setTimeout']> | null = null
  #sent = 0

  constructor(components: TxBroadcastComponents) {
    this.#c = components
    this.#log = components.logger.child({ component: 'tx-broadcast' })
    const db = components.db?.db
    if (db == null) {
      this.#s = null
      return
    }
    db.exec(SCHEMA)
    this.#s = {
      put: db.prepare('INSERT OR REPLACE INTO net_own_txs (id, added_ms) VALUES (?, ?)'),
      del: db.prepare('DELETE FROM net_own_txs WHERE id = ?'),
    }
    const rows = db.prepare('SELECT id, added_ms FROM net_own_txs ORDER BY added_ms').all() as Array<{
      id: string
      added_ms: number
    }>
    for (const r of rows) this.#own.set(r.id, r.added_ms)
    this.#bound()
  }

  /** Own transactions sent since start (stem or gossip). */
  get sent(): number {
    return this.#sent
  }

  /** Own transaction ids remembered for re-announcing. */
  ownIds(): string[] {
    return [...this.#own.keys()]
  }

  /**
   * Send an own transaction: remembered as own, then on the stem or the tx topic. Resolves to the
   * number of gossip peers it went to (0 when the stem took it); rejects when publishing failed.
   */
  async send(tx: SignedTx): Promise<number> {
    const id = txId(tx).toString()
    if (this.#c.pending !== null) this.#remember(id)
    this.#sent++
    if (this.#c.stem?.takes(id, tx) === true) return 0
    return await this.#c.gossip.publish(TX_TOPIC, encodeTx(tx))
  }

  /**
   * Re-announce now if the tx topic has peers, and each time a peer joins it. Never to nobody:
   * GossipSub ids messages by content, so a copy published to zero peers would make the next
   * one a duplicate it drops.
   */
  start(): void {
    if (this.#off !== null || this.#c.pending === null) return
    this.#off = this.#c.gossip.onJoin(TX_TOPIC, () => this.#schedule())
    if (this.#c.gossip.topicPeers(TX_TOPIC) > 0) this.#schedule()
  }

  stop(): void {
    this.#off?.()
    this.#off = null
    if (this.#timer !== null) this.#c.clock.clearTimeout(this.#timer)
    this.#timer = null
  }

  /**
   * Publishes every own transaction still pending on the tx topic (straight to gossip: a stem's
   * embargo did not survive the restart) and forgets the ids that are no longer pending. Returns
   * how many were announced.
   */
  reannounce(): number {
    const pending = this.#c.pending
    if (pending === null) return 0
    let n = 0
    for (const id of [...this.#own.keys()]) {
      const tx = pending(id)
      if (tx === undefined) {
        this.#forget(id)
        continue
      }
      this.#c.gossip.publish(TX_TOPIC, encodeTx(tx)).catch((err: unknown) => {
        this.#log.debug({ id, err: errorMessage(err) }, 'own tx re-announce failed')
      })
      n++
    }
    if (n > 0) this.#log.debug({ count: n }, 'own pending transactions re-announced')
    return n
  }

  /**
   * After REANNOUNCE_DELAY_MS: a joining peer's subscription arrives before GossipSub has a
   * stream to send it anything. Several peers joining at once re-announce once.
   */
  #schedule(): void {
    if (this.#timer !== null) return
    this.#timer = this.#c.clock.setTimeout(() => {
      this.#timer = null
      if (this.#off !== null) this.reannounce()
    }, REANNOUNCE_DELAY_MS)
  }

  #remember(id: string): void {
    const now = this.#c.clock.nowMs()
    this.#own.delete(id)
    this.#own.set(id, now)
    this.#persist((s) => s.put.run(id, now))
    this.#bound()
  }

  #forget(id: string): void {
    this.#own.delete(id)
    this.#persist((s) => s.del.run(id))
  }

  /** Overflow rule: forget the oldest past MAX_OWN_TXS. */
  #bound(): void {
    while (this.#own.size > MAX_OWN_TXS) this.#forget(this.#own.keys().next().value!)
  }

  /** A failed write loses a re-announcement after a restart, never the transaction: logged. */
  #persist(write: (s: Record<'put' | 'del', StatementSync>) => void): void {
    if (this.#s === null) return
    try {
      write(this.#s)
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'own tx id not saved to the database')
    }
  }
}
