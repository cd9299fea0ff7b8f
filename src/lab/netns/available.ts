/** Can this process build a lab here? Tests call this and skip with `missing` when not. */
import { run, runSyncQuiet } from './run.ts'

export type LabAvailability = { ok: true } | { ok: false; missing: string }

let cached: Promise<LabAvailability> | undefined

async function probe(): Promise<LabAvailability> {
  if (process.platform !== 'linux')
    return { ok: false, missing: `Linux network namespaces (platform is ${process.platform})` }
  if (process.getuid?.() !== 0)
    return { ok: false, missing: 'root (the lab creates network namespaces; run as root)' }
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['iptables', ['-V']],
    ['sysctl', ['-V']],
    ['tc', ['-V']],
  ] as const) {
    try {
      await run(tool, args)
    } catch {
      return { ok: false, missing: `the '${tool}' command (run: bash scripts/lab-install.sh)` }
    }
  }
  // Namespace support itself: add and delete a throwaway namespace named like every lab namespace.
  const ns = `kl${process.pid}-probe`
  try {
    await run('ip', ['netns', 'add', ns])
    await run('ip', ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-L', '-n'])
  } catch (err) {
    return { ok: false, missing: `network namespace support with iptables NAT (${(err as Error).message})` }
  } finally {
    runSyncQuiet('ip', ['netns', 'del', ns])
  }
  return { ok: true }
}

/** `{ ok: true }`, or `{ ok: false, missing }` naming what is missing (root, a tool, netns support). */
export async function labAvailable(): Promise<LabAvailability> {
  cached ??= probe()
  return await cached
}

/** Is Debian's miniupnpd installed (for the port-mapping refusal scenario)? */
export async function miniupnpdAvailable(): Promise<LabAvailability> {
  try {
    await run('miniupnpd', ['--version'])
    return { ok: true }
  } catch {
    return { ok: false, missing: "the 'miniupnpd' command (run: bash scripts/lab-install.sh)" }
  }
}
