/**
 * Runs the NAT-PMP responder as a process, meant for a router namespace:
 *   topology.spawnNode('nat1', 'src/lab/natpmp/main.ts',
 *     ['--lan-address', '10.200.1.1', '--external-address', '172.31.0.10', '--wan-iface', 'wan0'])
 * Prints one JSON line per event on stdout, the first being {"event":"ready"}. On SIGTERM or
 * SIGINT it removes every DNAT rule and its chain, then exits 0.
 */
import { parseArgs } from 'node:util'
import { errorMessage } from '../../core/errors.ts'
import { NatPmpResponder } from './responder.ts'

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
    },
  })
  const lanAddress = values['lan-address']
  const externalAddress = values['external-address']
  if (lanAddress == null || externalAddress == null) {
    throw new Error(
      'usage: main.ts --lan-address A --external-address B [--wan-iface wan0] [--max-lifetime-s N]',
    )
  }
  const maxLifetime = values['max-lifetime-s']
  const responder = new NatPmpResponder({
    lanAddress,
    externalAddress,
    wanIface: values['wan-iface'],
    ...(maxLifetime != null ? { maxLifetimeS: Number(maxLifetime) } : {}),
    onEvent: (e) =>
      line({ event: e.type, ...e.mapping, ...(e.message != null ? { message: e.message } : {}) }),
  })
  await responder.start()
  line({ event: 'ready', lanAddress, externalAddress })
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    responder.stop().then(
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
