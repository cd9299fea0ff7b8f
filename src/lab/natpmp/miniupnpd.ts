/**
 * Runs Debian's miniupnpd (2.3.1) inside a lab router namespace, for the port-mapping refusal
 * path: it answers SSDP discovery and serves its device description, but because its WAN address
 * is private (always, in the lab) it sets "port forwarding impossible" at start and answers every
 * AddPortMapping with UPnP error 501 (ActionFailed). The option that lifts this only exists from
 * 2.3.9. The nftables chains miniupnpd would use are created first (with accept policies), so the
 * refusal cannot be blamed on a missing table.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withTimeout } from '../../core/abort.ts'
import { LabError } from '../netns/errors.ts'
import { LAN_BRIDGE, WAN_IFACE } from '../netns/plan.ts'
import type { Topology } from '../netns/topology.ts'
import { MAX_DAEMON_LOG_BYTES, MINIUPNPD_HTTP_PORT, MINIUPNPD_START_TIMEOUT_MS } from './constants.ts'

export interface MiniupnpdHandle {
  readonly process: ChildProcess
  /** The UPnP description URL clients discover. */
  readonly location: string
  /** What miniupnpd logged so far (bounded). */
  log(): string
  /** SIGTERM, wait for exit, remove the config directory. */
  stop(): Promise<void>
}

/** The chains miniupnpd's nftables backend writes to (its defaults), with accept policies. */
const NFT_TABLES = `table inet filter {
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
`

function config(lanNet: string, dir: string, httpPort: number): string {
  return [
    `ext_ifname=${WAN_IFACE}`,
    `listening_ip=${LAN_BRIDGE}`,
    `port=${httpPort}`,
    'enable_natpmp=yes',
    'enable_upnp=yes',
    'secure_mode=yes',
    'system_uptime=no',
    `lease_file=${join(dir, 'upnp.leases')}`,
    'uuid=4b1d0c5e-6b5a-4c1e-9a57-6b6974686c62',
    `allow 1024-65535 ${lanNet}.0/24 1024-65535`,
    'deny 0-65535 0.0.0.0/0 0-65535',
    '',
  ].join('\n')
}

/** Start miniupnpd in `router`'s namespace and resolve once it listens for UPnP and NAT-PMP. */
export async function startMiniupnpd(
  topo: Topology,
  router: string,
  opts: { httpPort?: number; signal?: AbortSignal } = {},
): Promise<MiniupnpdHandle> {
  const lanAddress = topo.gatewayOf(router)
  if (lanAddress == null)
    throw new LabError('LAB_UNKNOWN_HOST', `'${router}' is not a router`, { name: router })
  const httpPort = opts.httpPort ?? MINIUPNPD_HTTP_PORT
  const dir = await mkdtemp(join(tmpdir(), `${topo.prefix}-miniupnpd-`))
  const confPath = join(dir, 'miniupnpd.conf')
  await writeFile(confPath, config(lanAddress.slice(0, lanAddress.lastIndexOf('.')), dir, httpPort))
  await topo.exec(router, 'nft', ['-f', '-'], { input: NFT_TABLES })
  const child = topo.spawn(router, 'miniupnpd', ['-d', '-f', confPath, '-P', join(dir, 'miniupnpd.pid')])
  let log = ''
  const append = (chunk: Buffer): void => {
    if (log.length < MAX_DAEMON_LOG_BYTES) log += chunk.toString('utf8')
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const handle: MiniupnpdHandle = {
    process: child,
    location: `http://${lanAddress}:${httpPort}/rootDesc.xml`,
    log: () => log,
    async stop() {
      if (child.exitCode == null && child.signalCode == null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
  const signal = withTimeout(MINIUPNPD_START_TIMEOUT_MS, opts.signal)
  try {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (log.includes('Listening for NAT-PMP') && log.includes('HTTP listening')) resolve()
      }
      child.stdout?.on('data', check)
      child.stderr?.on('data', check)
      child.once('exit', (code) =>
        reject(new LabError('LAB_COMMAND_FAILED', `miniupnpd exited (${code}): ${log}`)),
      )
      signal.addEventListener(
        'abort',
        () => reject(new LabError('LAB_COMMAND_FAILED', `miniupnpd did not start: ${log}`)),
        {
          once: true,
        },
      )
      check()
    })
  } catch (err) {
    await handle.stop()
    throw err
  }
  return handle
}
