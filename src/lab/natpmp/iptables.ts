/**
 * DNAT rules for NAT-PMP mappings, in a chain of their own (`KITH-NATPMP` in the nat table,
 * jumped to from PREROUTING for packets arriving on the WAN interface). Runs `iptables` in the
 * namespace of the calling process: the responder runs inside the router's namespace.
 */
import { run } from '../netns/run.ts'
import type { Mapping } from './state.ts'

export const NATPMP_CHAIN = 'KITH-NATPMP'

/** What the responder needs from the packet filter; tests pass an in-memory one. */
export interface DnatRules {
  setup(): Promise<void>
  add(mapping: Mapping): Promise<void>
  remove(mapping: Mapping): Promise<void>
  /** Remove the chain and its jump. */
  teardown(): Promise<void>
}

function ruleArgs(m: Mapping): string[] {
  return [
    '-p',
    m.protocol,
    '--dport',
    String(m.externalPort),
    '-m',
    'comment',
    '--comment',
    `natpmp ${m.client}`,
    '-j',
    'DNAT',
    '--to-destination',
    `${m.client}:${m.internalPort}`,
  ]
}

export function iptablesDnatRules(wanIface: string): DnatRules {
  const jump = ['PREROUTING', '-i', wanIface, '-j', NATPMP_CHAIN]
  return {
    async setup() {
      await run('iptables', ['-t', 'nat', '-N', NATPMP_CHAIN]).catch(async () => {
        // Left over from a responder that was killed: start from an empty chain.
        await run('iptables', ['-t', 'nat', '-F', NATPMP_CHAIN])
      })
      await run('iptables', ['-t', 'nat', '-C', ...jump]).catch(async () => {
        await run('iptables', ['-t', 'nat', '-I', ...jump])
      })
    },
    async add(m) {
      await run('iptables', ['-t', 'nat', '-A', NATPMP_CHAIN, ...ruleArgs(m)])
    },
    async remove(m) {
      await run('iptables', ['-t', 'nat', '-D', NATPMP_CHAIN, ...ruleArgs(m)])
    },
    async teardown() {
      await run('iptables', ['-t', 'nat', '-D', ...jump]).catch(() => undefined)
      await run('iptables', ['-t', 'nat', '-F', NATPMP_CHAIN]).catch(() => undefined)
      await run('iptables', ['-t', 'nat', '-X', NATPMP_CHAIN]).catch(() => undefined)
    },
  }
}
