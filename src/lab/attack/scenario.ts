/**
 * The attack lab: a victim (`kith start` child), an honest Kith node connected to it, and one
 * fresh attacker per phase. Each phase runs one attack while the honest node pings the victim
 * and waits for a block the victim mines; it ends when the victim has thrown the attacker out
 * (or the attack is over and the victim tolerates it). The report says, per phase, what a user
 * would notice: the victim still answers its API, the honest node got its block, the attacker was
 * disconnected or banned, and how far the victim's RSS rose.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { createApiClient, type ApiClient } from '../../api/client.ts'
import { seededRng, type Clock, type Rng } from '../../core/clock.ts'
import { silentLogger } from '../../core/logger.ts'
import { GENESIS_FILE_NAME } from '../../chain/service/index.ts'
import { RPC_NAMES, rpcProtocolId } from '../../net/rpc/protocols.ts'
import { ensureDataDir } from '../../node/datadir.ts'
import { createNode, DEFAULT_CONFIG, type KithNode } from '../../node/index.ts'
import type { BanInfo } from '../../node/types.ts'
import { Attacker, type VictimInfo } from './attacker.ts'
import {
  ATTACK_DEADLINE_MS,
  ATTACK_ROUNDS,
  BITSWAP_FLOOD_ENTRIES,
  BITSWAP_FLOOD_MESSAGES,
  BITSWAP_FLOOD_PER_STREAM,
  BITSWAP_PARTIAL_STREAMS,
  GOSSIP_FLOOD_MESSAGES,
  HOLD_STREAMS_PER_PROTOCOL,
  HONEST_PING_INTERVAL_MS,
  HONEST_PING_TIMEOUT_MS,
  HONEST_PINGS_PER_PHASE,
  SLOW_LORIS_CHUNK_BYTES,
  SLOW_LORIS_INTERVAL_MS,
  SLOW_LORIS_SIZES,
} from './constants.ts'
import { attackGenesisText, Victim } from './victim.ts'
import { BITSWAP_MAX_MESSAGE_BYTES } from '../../net/content/bitswap.ts'

export const ATTACKS = [
  'hold-streams',
  'slow-loris',
  'bitswap-flood',
  'bitswap-streams',
  'gossip-flood',
] as const
export type AttackName = (typeof ATTACKS)[number]

export interface PhaseReport {
  phase: 'baseline' | AttackName
  /** Honest pings: round-trip times of those answered, and how many were lost. */
  pingRttsMs: number[]
  pingsLost: number
  /** Time from the attack's start until the victim had no connection left to the attacker; null if it kept it. */
  thrownOutMs: number | null
  /** The victim's ban of the attacker (its API's /peers/banned), if any. */
  ban: BanInfo | null
  /** After a ban: a fresh dial by the attacker was refused. */
  redialRefused: boolean | null
  /** The honest node's head rose past where it was when the phase started (a block mined by the victim). */
  honestGotBlock: boolean
  /** The victim answered GET /status after the phase, and its process is alive. */
  victimAnswered: boolean
  /** Victim RSS when the phase started, and its peak during the phase. */
  startRssBytes: number
  peakRssBytes: number
  /** What the attack itself reported (streams opened, messages sent). */
  attack: Record<string, number>
}

export interface AttackLabOptions {
  dataRoot: string
  seed: number
  clock: Clock
  /** Attacks to run, in order. @default ATTACKS */
  attacks?: readonly AttackName[]
  /** Progress lines (stderr in the bench). */
  log?: (line: string) => void
}

export interface AttackLabReport {
  victimPeerId: string
  network: string
  phases: PhaseReport[]
  victimExitCode: number | null
}

export async function runAttackLab(opts: AttackLabOptions): Promise<AttackLabReport> {
  const network = 'attacklab'
  const log = opts.log ?? (() => {})
  const rng = seededRng(opts.seed)
  const victim = await Victim.start({ dataDir: join(opts.dataRoot, 'victim'), network, clock: opts.clock })
  let honest: KithNode | null = null
  const phases: PhaseReport[] = []
  try {
    honest = await startHonest(join(opts.dataRoot, 'honest'), network, victim.address)
    const api = createApiClient({ url: victim.api, clock: opts.clock })
    const env: PhaseEnv = { victim, honest, api, clock: opts.clock, rng }
    log(`victim ${victim.ready.peerId} pid ${victim.pid}; honest ${honest.peerId}`)
    // A first baseline warms the honest node's ping path and JIT; only the second is reported.
    await runPhase(env, 'baseline')
    phases.push(await runPhase(env, 'baseline'))
    for (const attack of opts.attacks ?? ATTACKS) {
      const report = await runPhase(env, attack)
      log(
        `${attack}: thrown out ${String(report.thrownOutMs)} ms, ban ${report.ban?.reason ?? 'none'}, ` +
          `peak RSS ${(report.peakRssBytes / 2 ** 20).toFixed(1)} MiB`,
      )
      phases.push(report)
    }
  } finally {
    await honest?.stop().catch(() => {})
  }
  const victimExitCode = await victim.stop()
  return { victimPeerId: victim.ready.peerId, network: victim.ready.network, phases, victimExitCode }
}

interface PhaseEnv {
  victim: Victim
  honest: KithNode
  api: ApiClient
  clock: Clock
  rng: Rng
}

async function startHonest(dataDir: string, network: string, victimAddress: string): Promise<KithNode> {
  await ensureDataDir(dataDir)
  await writeFile(join(dataDir, GENESIS_FILE_NAME), attackGenesisText(network))
  const node = await createNode({
    config: {
      ...DEFAULT_CONFIG,
      dataDir,
      network,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [victimAddress],
      mdns: false,
      logLevel: 'silent',
      metrics: false,
      api: { ...DEFAULT_CONFIG.api, enabled: false },
      dht: { mode: 'client', allowPrivateAddresses: true },
      nat: { ...DEFAULT_CONFIG.nat, portMapping: false },
    },
    logger: silentLogger(),
  })
  await node.start()
  await node.connect(victimAddress)
  return node
}

async function runPhase(env: PhaseEnv, phase: 'baseline' | AttackName): Promise<PhaseReport> {
  const { victim, honest, clock } = env
  const deadline = clock.timeoutSignal(ATTACK_DEADLINE_MS)
  const attacker = phase === 'baseline' ? null : await Attacker.start({ clock, rng: env.rng })
  try {
    const info = attacker == null ? null : await attacker.connect(victim.address, deadline)
    await victim.resetPeak()
    const startRssBytes = (await victim.memory()).rssBytes
    const startHeight = honestHeight(honest)
    const startedMs = clock.monotonicMs()
    const phaseOver = new AbortController()
    const pinging = pingLoop(env, phaseOver.signal, deadline)
    let thrownOutMs: number | null = null
    let attack: Record<string, number> = {}
    if (attacker != null && info != null) {
      const stopAttack = new AbortController()
      const signal = AbortSignal.any([deadline, stopAttack.signal])
      const out = attacker.disconnected(info.peerId, signal).then(() => clock.monotonicMs() - startedMs)
      out.catch(() => {})
      const running = runAttack(attacker, info, phase as AttackName, signal)
      running.catch(() => {})
      // Thrown out, or the attack ran its course and the victim tolerated it.
      const first = await Promise.race([out.then((ms) => ({ ms })), running.then((a) => ({ a }))])
      if ('ms' in first) thrownOutMs = first.ms
      else if (!attacker.connectedTo(info.peerId) || !(await victimKeeps(env.api, attacker.peerId))) {
        // The attack ended because the victim hung up (its streams close first): wait for the close.
        thrownOutMs = await out.catch(() => null)
      }
      stopAttack.abort()
      attack = await running.catch(() => ({}))
    }
    const honestGotBlock = await waitForBlock(honest, startHeight, deadline)
    phaseOver.abort()
    const pings = await pinging
    const ban = info == null ? null : await findBan(env.api, attacker!.peerId)
    const redialRefused =
      ban == null || attacker == null ? null : await attacker.redialRefused(victim.address, deadline)
    const victimAnswered = victim.alive && (await answers(env.api))
    const peakRssBytes = victim.alive ? (await victim.memory()).peakRssBytes : 0
    return {
      phase,
      pingRttsMs: pings.rtts,
      pingsLost: pings.lost,
      thrownOutMs,
      ban,
      redialRefused,
      honestGotBlock,
      victimAnswered,
      startRssBytes,
      peakRssBytes,
      attack,
    }
  } finally {
    await attacker?.stop().catch(() => {})
  }
}

async function runAttack(
  attacker: Attacker,
  info: VictimInfo,
  attack: AttackName,
  signal: AbortSignal,
): Promise<Record<string, number>> {
  const rpc = (name: (typeof RPC_NAMES)[number]): string => rpcProtocolId(info.network, name)
  switch (attack) {
    case 'hold-streams': {
      // A persistent holder takes the streams again as soon as the victim releases them.
      const kith = info.protocols.filter((p) => p.startsWith(`/kith/${info.network}/`))
      let streamsOpened = 0
      for (let round = 0; round < ATTACK_ROUNDS && attacker.connectedTo(info.peerId); round++) {
        const opened = await attacker.holdStreams(kith, HOLD_STREAMS_PER_PROTOCOL)
        if (opened === 0) break
        streamsOpened += opened
        await attacker.released(signal)
        attacker.release()
      }
      return { streamsOpened, protocols: kith.length }
    }
    case 'slow-loris': {
      const targets = RPC_NAMES.map((n) => ({ protocol: rpc(n), bytes: SLOW_LORIS_SIZES[n] }))
      for (let round = 0; round < ATTACK_ROUNDS && attacker.connectedTo(info.peerId); round++)
        await attacker.slowLoris(
          targets,
          {
            perProtocol: HOLD_STREAMS_PER_PROTOCOL,
            chunkBytes: SLOW_LORIS_CHUNK_BYTES,
            intervalMs: SLOW_LORIS_INTERVAL_MS,
          },
          signal,
        )
      return { protocols: targets.length }
    }
    case 'bitswap-flood':
      return {
        messagesSent: await attacker.bitswapFlood(
          {
            messages: BITSWAP_FLOOD_MESSAGES,
            entries: BITSWAP_FLOOD_ENTRIES,
            perStream: BITSWAP_FLOOD_PER_STREAM,
          },
          signal,
        ),
      }
    case 'bitswap-streams': {
      const streamsOpened = await attacker.bitswapPartialMessages(
        BITSWAP_PARTIAL_STREAMS,
        BITSWAP_MAX_MESSAGE_BYTES,
        signal,
      )
      await attacker.released(signal)
      return { streamsOpened }
    }
    case 'gossip-flood':
      return { messagesSent: await attacker.gossipFlood(info, GOSSIP_FLOOD_MESSAGES, signal) }
  }
}

function honestHeight(node: KithNode): number {
  return node.chain.head().height
}

/** Resolves true once the honest node's head is above `height`, false at the deadline. */
async function waitForBlock(node: KithNode, height: number, signal: AbortSignal): Promise<boolean> {
  if (honestHeight(node) > height) return true
  return await new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      unsubscribe()
      signal.removeEventListener('abort', onAbort)
      resolve(ok)
    }
    const onAbort = (): void => done(false)
    const unsubscribe = node.subscribe((e) => {
      if (e.type === 'chain:head' && e.height > height) done(true)
    })
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Pings until the phase is over, and at least HONEST_PINGS_PER_PHASE times. */
async function pingLoop(
  env: PhaseEnv,
  phaseOver: AbortSignal,
  signal: AbortSignal,
): Promise<{ rtts: number[]; lost: number }> {
  const peer = peerIdFromString(env.victim.ready.peerId)
  const rtts: number[] = []
  let lost = 0
  for (let i = 0; (i < HONEST_PINGS_PER_PHASE || !phaseOver.aborted) && !signal.aborted; i++) {
    try {
      const ping = AbortSignal.any([signal, env.clock.timeoutSignal(HONEST_PING_TIMEOUT_MS)])
      // Timed here: libp2p's own figure is whole milliseconds, too coarse on loopback.
      const sentMs = env.clock.monotonicMs()
      await env.honest.network.host.services.ping.ping(peer, { signal: ping })
      rtts.push(env.clock.monotonicMs() - sentMs)
    } catch {
      lost++
    }
    await env.clock.sleep(HONEST_PING_INTERVAL_MS, signal).catch(() => {})
  }
  return { rtts, lost }
}

/** Whether the victim still lists the attacker among its peers (its own API says so). */
async function victimKeeps(api: ApiClient, peerId: string): Promise<boolean> {
  try {
    return (await api.peers()).some((p) => p.peerId === peerId)
  } catch {
    return true
  }
}

async function findBan(api: ApiClient, peerId: string): Promise<BanInfo | null> {
  try {
    return (await api.bans()).find((b) => b.peerId === peerId) ?? null
  } catch {
    return null
  }
}

async function answers(api: ApiClient): Promise<boolean> {
  try {
    return (await api.status()).peerId.length > 0
  } catch {
    return false
  }
}
