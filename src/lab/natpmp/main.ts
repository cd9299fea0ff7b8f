/**
 * Runs the lab gateway's port mapping as a process, meant for a router namespace:
 *   topology.spawnNode('nat1', 'src/lab/natpmp/main.ts',
 *     ['--lan-address', '10.200.1.1', '--external-address', '172.31.0.10'])
 * NAT-PMP on UDP 5351 and a UPnP IGD (SSDP + HTTP on IGD_HTTP_PORT) unless `--no-upnp`, one
 * mapping table behind both, each mapping a DNAT rule on `--wan-iface` (default wan0).
 * Prints one JSON line per event on stdout, the first being {"event":"ready"}. On SIGTERM or
 * SIGINT it removes every DNAT rule and its chain, prints {"event":"stopped"} and exits 0.
 */
import { parseArgs } from 'node:util'
import { errorMessage } from '../../core/errors.ts'
import { IgdResponder } from './igd.ts'
import { iptablesDnatRules } from './iptables.ts'
import { NatPmpResponder } from './responder.ts'
import { MappingTable } from './table.ts'

function line(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'lan-address': { type: 'string' },
      'external-address': { type: 'string' },
      'wan-iface': { type: 'string', default: 'wan0' },
      'max-lifetime-s': { type: 'string' },
      'no-upnp': { type: 'boolean', default: false },
    },
  })
  const lanAddress = values['lan-address']
  const externalAddress = values['external-address']
  if (lanAddress == null || externalAddress == null) {
    throw new Error(
      'usage: main.ts --lan-address A --external-address B [--wan-iface wan0] [--max-lifetime-s N] [--no-upnp]',
    )
  }
  const maxLifetime = values['max-lifetime-s']
  const table = new MappingTable({
    rules: iptablesDnatRules(values['wan-iface']),
    externalAddress,
    ...(maxLifetime != null ? { maxLifetimeS: Number(maxLifetime) } : {}),
    onEvent: (e) =>
      line(e.type === 'error' ? { event: 'error', message: e.message } : { event: e.type, ...e.mapping }),
  })
  const onError = (message: string): void => line({ event: 'error', message })
  await table.start()
  const natpmp = new NatPmpResponder({ table, lanAddress, onError })
  await natpmp.start()
  const igd = values['no-upnp'] ? undefined : new IgdResponder({ table, lanAddress, onError })
  await igd?.start()
  line({ event: 'ready', lanAddress, externalAddress, ...(igd != null ? { location: igd.location } : {}) })
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    Promise.all([natpmp.stop(), igd?.stop()])
      .then(async () => await table.stop())
      .then(
        () => {
          line({ event: 'stopped' })
          process.exit(0)
        },
        (err: unknown) => {
          line({ event: 'error', message: errorMessage(err) })
          process.exit(1)
        },
      )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err: unknown) => {
  line({ event: 'error', message: errorMessage(err) })
  process.exit(1)
})
