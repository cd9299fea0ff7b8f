/**
 * Provide and find-providers over both DHTs (config.ts). A DHT with an empty routing table is
 * skipped: kad-dht would hold the query until a peer appears, so a node with no LAN peers
 * would wait for its whole timeout before its WAN announcement counted (and the reverse on a
 * LAN). libp2p's own `contentRouting` waits for every router, hence this.
 */
import type { KadDHT, QueryEvent } from '@libp2p/kad-dht'
import type { CID } from 'multiformats/cid'
import { NetworkError } from '../../core/errors.ts'
import type { KithLibp2p } from '../host.ts'

export type DhtName = 'wan' | 'lan'

/** Peers in a DHT's routing table, or null when unknown (the table is not on the KadDHT interface). */
export function routingTableSize(dht: KadDHT): number | null {
  const table = (dht as unknown as { routingTable?: { size?: number } }).routingTable
  return table?.size ?? null
}

/** The node's DHTs that have at least one peer to ask (a table of unknown size counts as usable). */
export function usableDhts(host: KithLibp2p): Array<{ name: DhtName; dht: KadDHT }> {
  const all: Array<{ name: DhtName; dht: KadDHT }> = [
    { name: 'wan', dht: host.services.dht },
    { name: 'lan', dht: host.services.lanDht },
  ]
  return all.filter(({ dht }) => routingTableSize(dht) !== 0)
}

/**
 * Announce `cid` on every usable DHT at once. Resolves with the DHTs that took it; rejects
 * with the first error only when every one failed (or none was usable).
 */
export async function provideOnAll(
  host: KithLibp2p,
  cid: CID,
  options: { signal?: AbortSignal } = {},
): Promise<DhtName[]> {
  const dhts = usableDhts(host)
  if (dhts.length === 0)
    throw new NetworkError('NO_DHT_PEERS', 'no DHT (WAN or LAN) has a peer to announce to')
  const results = await Promise.allSettled(
    dhts.map(async ({ name, dht }) => {
      for await (const _event of dht.provide(cid, options)) {
        // progress events only
      }
      return name
    }),
  )
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  if (ok.length > 0) return ok
  const first = results.find((r) => r.status === 'rejected')
  throw first?.reason ?? new NetworkError('PROVIDE_FAILED', 'no DHT took the announcement')
}

/**
 * Both DHTs' find-providers query events, interleaved as they arrive. One DHT failing ends only
 * its own stream; the error is thrown at the end if every one failed.
 */
export async function* findProvidersOnAll(
  host: KithLibp2p,
  cid: CID,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<QueryEvent> {
  type Step = { i: number; r: IteratorResult<QueryEvent> } | { i: number; err: unknown }
  const iterators = usableDhts(host).map(({ dht }) => dht.findProviders(cid, options)[Symbol.asyncIterator]())
  const pending = new Map<number, Promise<Step>>()
  const pull = (i: number): void => {
    const it = iterators[i]
    if (it != null)
      pending.set(
        i,
        it.next().then(
          (r) => ({ i, r }),
          (err: unknown) => ({ i, err }),
        ),
      )
  }
  iterators.forEach((_it, i) => pull(i))
  const errors: unknown[] = []
  try {
    while (pending.size > 0) {
      const step = await Promise.race(pending.values())
      if ('err' in step) {
        pending.delete(step.i)
        errors.push(step.err)
        continue
      }
      if (step.r.done === true) {
        pending.delete(step.i)
        continue
      }
      pull(step.i)
      yield step.r.value
    }
  } finally {
    // An iterator still waiting on the network ends with the caller's signal; do not wait here.
    for (const i of pending.keys()) void iterators[i]?.return?.()?.catch(() => {})
  }
  if (errors.length > 0 && errors.length === iterators.length) throw errors[0]
}
