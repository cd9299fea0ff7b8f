/**
 * Lightweight attacker hosts for the Sybil and eviction scenarios: plain libp2p (TCP, Noise,
 * Yamux; no identify, DHT or gossip), each a fresh identity dialling from its own loopback source
 * address (127.0.x.y all route to lo on Linux), so the victim sees distinct IPs in one /24.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp, type TCPSocketOptions } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { preSharedKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'

export interface FloodResult {
  /** Dials that completed (the victim may still have closed them at once). */
  dialled: number
  failed: number
  /** Hosts whose connection to the victim is still open after the flood. */
  hosts: Libp2p[]
}

export async function sybilHost(localAddress: string, psk?: Uint8Array): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: [] },
    // localAddress is passed through to net.connect (the type lists only a subset).
    transports: [tcp({ dialOpts: { localAddress } as TCPSocketOptions })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(psk == null ? {} : { connectionProtector: preSharedKey({ psk }) }),
  })
}

/**
 * `count` identities dial `target`, `concurrency` at a time; identity i dials from `ipOf(i)`.
 * Hosts whose dial failed are stopped at once; the rest are returned (stop them with stopHosts).
 */
export async function flood(
  target: string,
  count: number,
  ipOf: (i: number) => string,
  concurrency: number,
): Promise<FloodResult> {
  const result: FloodResult = { dialled: 0, failed: 0, hosts: [] }
  const ma = multiaddr(target)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      const host = await sybilHost(ipOf(i))
      try {
        await host.dial(ma, { signal: AbortSignal.timeout(10_000) })
        result.dialled++
        result.hosts.push(host)
      } catch {
        result.failed++
        await host.stop()
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return result
}

export async function stopHosts(hosts: readonly Libp2p[]): Promise<void> {
  await Promise.all(hosts.map(async (h) => await h.stop()))
}
