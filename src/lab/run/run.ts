/**
 * One lab run: a scenario (scenario.ts) on a LabNet of real in-process nodes. The timeline
 * (blocks at exponential gaps from random miners, transfers at random honest nodes, churn,
 * the partition and its heal, attackers' junk) is drawn from the seeded rng before the run, so
 * one seed gives the same schedule; the wall-clock outcome of real nodes is measured, not replayed.
 *
 * Invariants, checked every LAB_CHECK_INTERVAL_MS and at the end (each failure is a violation
 * naming the seed):
 * - every live honest node answers status and chain queries;
 * - no acknowledged transfer is lost: the node that accepted it still knows it (pending or
 *   confirmed), across restarts;
 * - after the end (every node back up, one miner settling), the honest nodes have one head and
 *   every acknowledged transfer is confirmed on it at every honest node;
 * - content published at one node and fetched hop by hop verifies byte for byte.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { txId } from '../../chain/codec.ts'
import { createTransfer, signTransfer } from '../../chain/tx.ts'
import { seededRng, systemClock, type Rng } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { BLOCK_TOPIC, TX_TOPIC } from '../../net/gossip/topics.ts'
import type { NodeEvent } from '../../node/index.ts'
import { connectedAmong, fundedKey, labKey, LabNet } from './net.ts'
import { quantileSorted, r1 } from '../sim/stats.ts'
import {
  LAB_ATTACKER_RATE_PER_S,
  LAB_CHECK_INTERVAL_MS,
  LAB_CONTENT_BYTES,
  LAB_CONTENT_FETCHERS,
  LAB_CONTENT_FETCH_MS,
  LAB_MAX_WAIT_MS,
  LAB_SETTLE_MAX_BLOCKS,
  LAB_TRANSFER_AMOUNT,
  LAB_TRANSFER_FEE,
} from './constants.ts'
import type { LabScenario } from './scenario.ts'

type Planned =
  | { t: number; kind: 'block'; miner: number }
  | { t: number; kind: 'tx' }
  | { t: number; kind: 'leave' }
  | { t: number; kind: 'partition' }
  | { t: number; kind: 'heal' }

interface Mined {
  id: string
  height: number
  atMs: number
  /** Node -> arrival delay (ms) of the block at nodes that were up when it was mined. */
  arrivals: Map<number, number>
  /** Nodes still waiting for it, with the epoch they were in when it was mined. */
  waiting: Map<number, number>
}

interface Acked {
  id: string
  at: number
  atMs: number
  confirmedMs: number | null
}

export interface LabResult {
  readonly scenario: string
  readonly seed: number
  readonly nodes: number
  readonly honest: number
  readonly edges: number
  readonly honest_subgraph_connected: boolean
  readonly duration_ms: number
  readonly wall_ms: number
  readonly startup_ms: number
  readonly blocks: { mined: number; on_final_chain: number; stale: number; final_height: number }
  readonly propagation_ms: Quantiles & { samples: number }
  readonly transfers: {
    submitted: number
    acknowledged: number
    refused: number
    confirmed_everywhere: number
    confirm_ms: Quantiles
  }
  readonly churn: { leaves: number; rejoins: number; catch_up_ms: Quantiles }
  readonly partition: null | { side_b: number; heads_before_heal: number; heal_to_one_head_ms: number | null }
  readonly attackers: {
    invalid: Array<{
      node: number
      honest_neighbours: number
      banned_by: number
      first_ban_ms: number | null
    }>
    silent: number[]
  }
  readonly content: null | {
    cid: string
    bytes: number
    hops: number
    verified: number
    fetch_ms: number[]
  }
  readonly settle: { blocks: number; one_head: boolean }
  /** Connection churn: raw connections shaped (both ends), peer events summed over nodes, failed topology dials. */
  readonly connections: {
    shaped: number
    connects: number
    disconnects: number
    rejected: Record<string, number>
    dial_errors: Record<string, number>
  }
  readonly peak_rss_mib: number
  readonly invariant_checks: number
  readonly violations: string[]
}

interface Quantiles {
  p50: number | null
  p95: number | null
  max: number | null
}

function quantiles(xs: readonly number[]): Quantiles {
  if (xs.length === 0) return { p50: null, p95: null, max: null }
  const s = Float64Array.from(xs).sort()
  return { p50: r1(quantileSorted(s, 0.5)), p95: r1(quantileSorted(s, 0.95)), max: r1(s[s.length - 1]!) }
}

function expGap(rng: Rng, meanMs: number): number {
  // rng.next() in [0, 1): 1 - u in (0, 1], so the log is finite.
  return -Math.log(1 - rng.next()) * meanMs
}

/** The run's timeline, drawn from the seed alone. */
export function plan(s: LabScenario, miners: readonly number[], rng: Rng): Planned[] {
  const out: Planned[] = []
  for (
    let t = expGap(rng, s.mining.blockIntervalMs);
    t < s.durationMs;
    t += expGap(rng, s.mining.blockIntervalMs)
  )
    out.push({ t, kind: 'block', miner: miners[rng.int(miners.length)]! })
  if (s.txPerSecond > 0)
    for (let t = expGap(rng, 1000 / s.txPerSecond); t < s.durationMs; t += expGap(rng, 1000 / s.txPerSecond))
      out.push({ t, kind: 'tx' })
  if (s.churn !== undefined && s.churn.leavesPerMinute > 0) {
    const mean = 60_000 / s.churn.leavesPerMinute
    for (let t = expGap(rng, mean); t < s.durationMs - s.churn.downMs; t += expGap(rng, mean))
      out.push({ t, kind: 'leave' })
  }
  if (s.partition !== undefined) {
    out.push({ t: s.partition.atMs, kind: 'partition' })
    out.push({ t: s.partition.healAtMs, kind: 'heal' })
  }
  return out.sort((a, b) => a.t - b.t)
}

function transfersIn(s: LabScenario): number {
  return Math.ceil(s.txPerSecond * (s.durationMs / 1000) * 1.5) + 100
}

export async function runLab(
  s: LabScenario,
  opts: { logger?: Logger; progress?: (line: string) => void } = {},
): Promise<LabResult> {
  const progress = opts.progress ?? (() => {})
  const rng = seededRng(s.seed)
  const wallStart = systemClock.nowMs()
  const violations: string[] = []
  const violate = (what: string): void => {
    if (violations.length < 100) violations.push(`seed ${s.seed}: ${what}`)
  }
  const net = await LabNet.start(s, rng, {
    fundedKeys: transfersIn(s),
    ...(opts.logger === undefined ? {} : { logger: opts.logger }),
  })
  const startupMs = systemClock.nowMs() - wallStart
  progress(`${s.nodes} nodes up and connected in ${Math.round(startupMs)} ms; running for ${s.durationMs} ms`)
  let peakRss = process.memoryUsage().rss
  const honest = net.honest()
  const miners = honest.slice(0, s.mining.miners)
  const churnable = honest.filter((i) => !miners.includes(i))
  const timeline = plan(s, miners, rng)

  const mined: Mined[] = []
  const acked: Acked[] = []
  let refused = 0
  let submitted = 0
  let nextKey = 0
  const bans = new Map<number, { by: Set<number>; firstMs: number | null }>()
  const attackStart = new Map<number, number>()
  for (const [i, r] of net.roles.entries()) if (r === 'invalid') bans.set(i, { by: new Set(), firstMs: null })

  const catchUp: number[] = []
  let leaves = 0
  let rejoins = 0
  const unsubs = new Map<number, () => void>()
  let connects = 0
  let disconnects = 0
  const rejected = new Map<string, number>()
  const onEvent = (i: number, e: NodeEvent): void => {
    if (e.type === 'peer:connect') connects++
    else if (e.type === 'peer:disconnect') disconnects++
    else if (e.type === 'peer:rejected') rejected.set(e.reason, (rejected.get(e.reason) ?? 0) + 1)
    if (e.type === 'chain:head') {
      const node = net.nodes[i]
      if (node == null) return
      for (const m of mined) {
        const epoch = m.waiting.get(i)
        if (epoch === undefined || m.height > e.height) continue
        if (epoch !== net.epoch[i]) {
          m.waiting.delete(i)
          continue
        }
        if (node.ledger?.block(String(m.height))?.id === m.id) {
          m.waiting.delete(i)
          m.arrivals.set(i, e.atMs - m.atMs)
        }
      }
    } else if (e.type === 'peer:banned') {
      const j = net.indexOf(e.peerId)
      const b = bans.get(j)
      if (b !== undefined && net.roles[i] === 'honest') {
        b.by.add(i)
        b.firstMs ??= e.atMs - (attackStart.get(j) ?? e.atMs)
      }
    }
  }
  const watch = (i: number): void => {
    unsubs.get(i)?.()
    const node = net.nodes[i]
    if (node != null)
      unsubs.set(
        i,
        node.subscribe((e) => onEvent(i, e)),
      )
  }
  for (let i = 0; i < net.size; i++) watch(i)

  // Silent attackers: subscribed, never forward (every message ignored, so no one penalises them).
  for (const [i, r] of net.roles.entries()) {
    if (r !== 'silent') continue
    const network = net.node(i).network
    network.setTopicValidator(TX_TOPIC, () => 'ignore')
    network.setTopicValidator(BLOCK_TOPIC, () => 'ignore')
  }

  // Content: published before the run, fetched hop by hop after it.
  let content: { cid: string; digest: string; publisher: number } | null = null
  if (s.content) {
    const bytes = rng.bytes(LAB_CONTENT_BYTES)
    const publisher = churnable[0] ?? honest[0]!
    const added = await net.node(publisher).content!.addStream(Readable.from([bytes]))
    content = { cid: added.cid, digest: createHash('sha256').update(bytes).digest('hex'), publisher }
  }

  const tasks = new Set<Promise<void>>()
  const track = (p: Promise<void>, what: string): void => {
    const t = p
      .catch((err: unknown) => violate(`${what}: ${errorMessage(err)}`))
      .finally(() => tasks.delete(t))
    tasks.add(t)
  }
  const bestHeight = (): number => Math.max(...net.liveHonest().map((i) => net.node(i).chain.head().height))
  const agreeNow = (which: readonly number[]): boolean => {
    const heads = which.map((i) => net.node(i).chain.head().id)
    return heads.every((h) => h === heads[0])
  }

  let checks = 0
  const check = (): void => {
    checks++
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    for (const i of net.liveHonest()) {
      const node = net.node(i)
      try {
        node.status()
        node.ledger.info()
      } catch (err) {
        violate(`node ${i} does not answer: ${errorMessage(err)}`)
      }
    }
    for (const a of acked) {
      const node = net.nodes[a.at]
      if (node == null) continue
      const info = node.chain.tx(a.id)
      if (info === null)
        violate(`acknowledged transfer ${a.id} is unknown to node ${a.at}, which accepted it`)
      else if (info.status === 'confirmed') a.confirmedMs ??= systemClock.nowMs() - a.atMs
    }
  }
  const checker = systemClock.setInterval(check, LAB_CHECK_INTERVAL_MS)

  net.attacksBegin()
  const junkTimers: ReturnType<typeof systemClock.setInterval>[] = []
  const junkRng = seededRng(s.seed ^ 0x5eed)
  for (const [i, r] of net.roles.entries()) {
    if (r !== 'invalid') continue
    attackStart.set(i, systemClock.nowMs())
    junkTimers.push(
      systemClock.setInterval(() => {
        const node = net.nodes[i]
        if (node == null) return
        for (const topic of [BLOCK_TOPIC, TX_TOPIC]) {
          const junk = junkRng.bytes(64 + junkRng.int(2000))
          node.network.publish(topic, junk).catch(() => {})
        }
      }, 1000 / LAB_ATTACKER_RATE_PER_S),
    )
  }

  let partitionReport: LabResult['partition'] = null
  const runStart = systemClock.nowMs()
  const sleepUntil = async (t: number): Promise<void> => {
    const wait = runStart + t - systemClock.nowMs()
    if (wait > 0) await systemClock.sleep(wait)
  }
  for (const ev of timeline) {
    await sleepUntil(ev.t)
    if (ev.kind === 'block') {
      if (net.nodes[ev.miner] == null) continue
      const at = ev.miner
      track(
        (async () => {
          const m = await net.miner(at).mineOnce()
          if (m === null) return
          const waiting = new Map<number, number>()
          for (const i of net.liveHonest()) if (i !== at) waiting.set(i, net.epoch[i]!)
          mined.push({ id: m.id, height: m.height, atMs: systemClock.nowMs(), arrivals: new Map(), waiting })
        })(),
        `mining at node ${at}`,
      )
    } else if (ev.kind === 'tx') {
      const live = net.liveHonest()
      const at = live[rng.int(live.length)]!
      const node = net.node(at)
      const key = fundedKey(nextKey++)
      const tx = signTransfer(
        createTransfer({
          network: net.genesis.params.networkId,
          senderKey: key.publicKey,
          nonce: 0,
          recipient: labKey(3_000_000 + submitted).address,
          amount: LAB_TRANSFER_AMOUNT,
          fee: LAB_TRANSFER_FEE,
        }),
        key.privateKey,
      )
      submitted++
      try {
        node.chain.submitTx(tx)
        acked.push({ id: txId(tx).toString(), at, atMs: systemClock.nowMs(), confirmedMs: null })
      } catch {
        refused++
      }
    } else if (ev.kind === 'leave') {
      const up = churnable.filter((i) => net.nodes[i] != null)
      if (up.length === 0) continue
      const i = up[rng.int(up.length)]!
      const downMs = s.churn!.downMs
      leaves++
      track(
        (async () => {
          unsubs.get(i)?.()
          await net.down(i)
          await systemClock.sleep(downMs)
          const target = bestHeight()
          const t0 = systemClock.nowMs()
          await net.up(i)
          watch(i)
          rejoins++
          await net.waitFor(`node ${i} catches up to height ${target}`, () => {
            const n = net.nodes[i]
            return n == null || n.chain.head().height >= target
          })
          catchUp.push(systemClock.nowMs() - t0)
        })(),
        `churn of node ${i}`,
      )
    } else if (ev.kind === 'partition') {
      const live = honest.filter((i) => net.nodes[i] != null)
      const sideB = live.slice(Math.floor(live.length * (1 - s.partition!.fraction)))
      await net.partition(sideB).catch((err: unknown) => violate(`partition: ${errorMessage(err)}`))
      partitionReport = { side_b: sideB.length, heads_before_heal: 0, heal_to_one_head_ms: null }
    } else {
      const report = partitionReport!
      report.heads_before_heal = new Set(net.liveHonest().map((i) => net.node(i).chain.head().id)).size
      // Timed from the filters lifting: the redial of the cut links is part of healing.
      const t0 = systemClock.nowMs()
      await net.heal().catch((err: unknown) => violate(`heal: ${errorMessage(err)}`))
      track(
        (async () => {
          await net.waitFor('one head after the heal', () => agreeNow(net.liveHonest()))
          report.heal_to_one_head_ms = systemClock.nowMs() - t0
        })(),
        'heal',
      )
    }
  }
  await sleepUntil(s.durationMs)
  progress(`timeline done; waiting for ${tasks.size} tasks, then settling`)
  for (const t of junkTimers) systemClock.clearInterval(t)
  await Promise.all([...tasks])
  for (const i of honest) if (net.nodes[i] == null) await net.up(i).then(() => watch(i))

  // Settle: one miner until the honest nodes share a head holding every acknowledged transfer.
  const settled = (): boolean =>
    agreeNow(honest) &&
    acked.every((a) => honest.every((i) => net.node(i).chain.tx(a.id)?.status === 'confirmed'))
  const winner = miners[0]!
  let settleBlocks = 0
  // Bounded by attempts too: a round is abandoned (null) when a head arrives while sealing.
  for (
    let attempt = 0;
    !settled() && settleBlocks < LAB_SETTLE_MAX_BLOCKS && attempt < 4 * LAB_SETTLE_MAX_BLOCKS;
    attempt++
  ) {
    const m = await net.miner(winner).mineOnce()
    if (m === null) continue
    settleBlocks++
    await net
      .waitFor(
        'every honest node has the settling block',
        () => honest.every((i) => net.node(i).chain.head().height >= m.height),
        LAB_MAX_WAIT_MS / 4,
      )
      .catch(() => {})
  }
  progress(`settled with ${settleBlocks} blocks; checking content`)
  check()
  const oneHead = agreeNow(honest)
  if (!oneHead)
    violate(
      `honest nodes did not reach one head within ${LAB_SETTLE_MAX_BLOCKS} settling blocks: ` +
        honest.map((i) => `${i}:${net.node(i).chain.head().height}`).join(' '),
    )
  let confirmedEverywhere = 0
  for (const a of acked) {
    const missing = honest.filter((i) => net.node(i).chain.tx(a.id)?.status !== 'confirmed')
    if (missing.length === 0) confirmedEverywhere++
    else violate(`acknowledged transfer ${a.id} is not confirmed at nodes ${missing.slice(0, 10).join(',')}`)
  }

  // Content, hop by hop from the publisher through honest neighbours.
  let contentReport: LabResult['content'] = null
  if (content !== null) {
    const path = [content.publisher]
    while (path.length <= Math.min(LAB_CONTENT_FETCHERS, honest.length - 1)) {
      const last = path[path.length - 1]!
      const next = net.neighbours(last).find((j) => net.roles[j] === 'honest' && !path.includes(j))
      if (next === undefined) break
      path.push(next)
    }
    const fetchMs: number[] = []
    let verified = 0
    for (const i of path.slice(1)) {
      const node = net.node(i)
      const t0 = systemClock.nowMs()
      try {
        await node.content!.fetch(content.cid, { signal: systemClock.timeoutSignal(LAB_CONTENT_FETCH_MS) })
        fetchMs.push(systemClock.nowMs() - t0)
        const h = createHash('sha256')
        for await (const chunk of node.content!.cat(content.cid)) h.update(chunk)
        if (h.digest('hex') === content.digest) verified++
        else violate(`content fetched at node ${i} does not match what node ${content.publisher} published`)
      } catch (err) {
        violate(`content fetch at node ${i}: ${errorMessage(err)}`)
      }
    }
    contentReport = {
      cid: content.cid,
      bytes: LAB_CONTENT_BYTES,
      hops: path.length - 1,
      verified,
      fetch_ms: fetchMs.map(r1),
    }
  }

  systemClock.clearInterval(checker)
  const ref = net.node(winner).ledger
  const finalHeight = net.node(winner).chain.head().height
  const onChain = mined.filter((m) => ref.block(String(m.height))?.id === m.id)
  const arrivals = onChain.flatMap((m) => [...m.arrivals.values()])
  const attackers: LabResult['attackers'] = { invalid: [], silent: [] }
  for (const [i, r] of net.roles.entries()) {
    if (r === 'silent') attackers.silent.push(i)
    if (r !== 'invalid') continue
    const b = bans.get(i)!
    attackers.invalid.push({
      node: i,
      honest_neighbours: net.neighbours(i).filter((j) => net.roles[j] === 'honest').length,
      banned_by: b.by.size,
      first_ban_ms: b.firstMs === null ? null : r1(b.firstMs),
    })
  }
  const result: LabResult = {
    scenario: s.name,
    seed: s.seed,
    nodes: s.nodes,
    honest: honest.length,
    edges: net.edges.length,
    honest_subgraph_connected: connectedAmong(honest, net.edges),
    duration_ms: s.durationMs,
    wall_ms: Math.round(systemClock.nowMs() - wallStart),
    startup_ms: Math.round(startupMs),
    blocks: {
      mined: mined.length + settleBlocks,
      on_final_chain: onChain.length,
      stale: mined.length - onChain.length,
      final_height: finalHeight,
    },
    propagation_ms: { samples: arrivals.length, ...quantiles(arrivals) },
    transfers: {
      submitted,
      acknowledged: acked.length,
      refused,
      confirmed_everywhere: confirmedEverywhere,
      confirm_ms: quantiles(acked.flatMap((a) => (a.confirmedMs === null ? [] : [a.confirmedMs]))),
    },
    churn: { leaves, rejoins, catch_up_ms: quantiles(catchUp) },
    partition: partitionReport,
    attackers,
    content: contentReport,
    settle: { blocks: settleBlocks, one_head: oneHead },
    connections: {
      shaped: net.shapedConnections,
      connects,
      disconnects,
      rejected: Object.fromEntries(rejected),
      dial_errors: Object.fromEntries(net.dialErrors),
    },
    peak_rss_mib: Math.round(peakRss / 1048576),
    invariant_checks: checks,
    violations,
  }
  for (const u of unsubs.values()) u()
  await net.stop()
  return result
}
