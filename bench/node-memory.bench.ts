/**
 * Resident memory of one node, idle and holding MEMORY_CONNECTIONS connections, Kith against a
 * vanilla js-libp2p node with the same services, plus the bare Node.js process floor. The node
 * under measurement runs alone in a child process and reports its own `rss` and `heapUsed`
 * after forced GCs; the dialers live in MEMORY_DIALER_PROCESSES other processes.
 *
 * Prints one JSON object; ratios are Kith / vanilla, medians over MEMORY_ROUNDS.
 */
import {
  MAX_FORMATION_WAIT_MS,
  MEMORY_CONNECTIONS,
  MEMORY_DIALER_PROCESSES,
  MEMORY_ROUNDS,
} from './lib/constants.ts'
import { forkChild, type Message } from './lib/ipc.ts'
import { log, median, mib, ratio, round } from './lib/stats.ts'

const TARGET = new URL('./lib/memory-target.ts', import.meta.url)
const DIALERS = new URL('./lib/memory-dialers.ts', import.meta.url)

type Kind = 'kith' | 'vanilla' | 'bare'

interface Memory {
  rssBytes: number
  heapUsedBytes: number
  /** Memory of C++ objects bound to JS (Buffers, SQLite handles), outside the V8 heap. */
  externalBytes: number
}

interface Sample {
  idle: Memory
  loaded: Memory | null
  connections: number
}

async function measure(kind: Kind): Promise<Sample> {
  const target = forkChild(TARGET, [kind])
  try {
    const idleMsg = await target.next('idle', MAX_FORMATION_WAIT_MS)
    const idle = idleMsg.memory as Memory
    const addr = idleMsg.addr as string | null
    if (addr == null) {
      target.send({ type: 'stop' })
      return { idle, loaded: null, connections: 0 }
    }
    const perProcess = MEMORY_CONNECTIONS / MEMORY_DIALER_PROCESSES
    const dialers = Array.from({ length: MEMORY_DIALER_PROCESSES }, () =>
      forkChild(DIALERS, [addr, String(perProcess)]),
    )
    try {
      await Promise.all(dialers.map(async (d) => await d.next('connected', MAX_FORMATION_WAIT_MS)))
      target.send({ type: 'measure', expect: MEMORY_CONNECTIONS })
      const loadedMsg: Message = await target.next('loaded', MAX_FORMATION_WAIT_MS)
      return { idle, loaded: loadedMsg.memory as Memory, connections: loadedMsg.connections as number }
    } finally {
      for (const d of dialers) if (d.proc.connected) d.send({ type: 'stop' })
      await Promise.all(dialers.map(async (d) => await d.exited()))
      if (target.proc.connected) target.send({ type: 'stop' })
    }
  } finally {
    await target.exited()
  }
}

const samples: Record<Kind, Sample[]> = { kith: [], vanilla: [], bare: [] }
for (let r = 0; r < MEMORY_ROUNDS; r++) {
  for (const kind of ['kith', 'vanilla', 'bare'] as const) {
    const s = await measure(kind)
    samples[kind].push(s)
    log(
      `memory round ${r} ${kind}: idle rss ${mib(s.idle.rssBytes)} MiB, loaded rss ${s.loaded == null ? '-' : mib(s.loaded.rssBytes)} MiB, ${s.connections} connections`,
    )
  }
}

function summary(kind: Kind): {
  idle_rss_mib: number
  idle_heap_used_mib: number
  loaded_rss_mib: number | null
  loaded_heap_used_mib: number | null
  idle_external_mib: number
  loaded_external_mib: number | null
  rss_per_connection_kib: number | null
  heap_per_connection_kib: number | null
  connections: number
} {
  const ss = samples[kind]
  const idleRss = median(ss.map((s) => s.idle.rssBytes))
  const idleHeap = median(ss.map((s) => s.idle.heapUsedBytes))
  const loaded = ss.every((s) => s.loaded != null)
  const loadedRss = loaded ? median(ss.map((s) => s.loaded!.rssBytes)) : null
  const loadedHeap = loaded ? median(ss.map((s) => s.loaded!.heapUsedBytes)) : null
  const idleExternal = median(ss.map((s) => s.idle.externalBytes))
  const loadedExternal = loaded ? median(ss.map((s) => s.loaded!.externalBytes)) : null
  return {
    idle_rss_mib: mib(idleRss),
    idle_heap_used_mib: mib(idleHeap),
    loaded_rss_mib: loadedRss == null ? null : mib(loadedRss),
    loaded_heap_used_mib: loadedHeap == null ? null : mib(loadedHeap),
    idle_external_mib: mib(idleExternal),
    loaded_external_mib: loadedExternal == null ? null : mib(loadedExternal),
    rss_per_connection_kib:
      loadedRss == null ? null : round((loadedRss - idleRss) / 1024 / MEMORY_CONNECTIONS),
    heap_per_connection_kib:
      loadedHeap == null ? null : round((loadedHeap - idleHeap) / 1024 / MEMORY_CONNECTIONS),
    connections: Math.min(...ss.map((s) => s.connections)),
  }
}

const kith = summary('kith')
const vanilla = summary('vanilla')
const bare = summary('bare')
const r = (a: number | null, b: number | null): number | null => (a == null || b == null ? null : ratio(a, b))
console.log(
  JSON.stringify(
    {
      bench: 'node-memory',
      rounds: MEMORY_ROUNDS,
      connections: MEMORY_CONNECTIONS,
      dialer_processes: MEMORY_DIALER_PROCESSES,
      note: 'target node alone in a child process, memory after forced GC; MiB medians over rounds; per-connection = (loaded - idle) / connections',
      kith,
      vanilla,
      node_process_floor: { rss_mib: bare.idle_rss_mib, heap_used_mib: bare.idle_heap_used_mib },
      ratio_vs_vanilla: {
        idle_rss: r(kith.idle_rss_mib, vanilla.idle_rss_mib),
        idle_heap_used: r(kith.idle_heap_used_mib, vanilla.idle_heap_used_mib),
        loaded_rss: r(kith.loaded_rss_mib, vanilla.loaded_rss_mib),
        loaded_heap_used: r(kith.loaded_heap_used_mib, vanilla.loaded_heap_used_mib),
        rss_per_connection: r(kith.rss_per_connection_kib, vanilla.rss_per_connection_kib),
      },
    },
    null,
    2,
  ),
)
