/**
 * The NAT-PMP responder's decisions, pure: `apply(state, client, request, ctx)` returns the new
 * state, the reply and the iptables actions to carry out; `expire(state, nowMs)` drops mappings
 * whose lifetime ran out. Time and randomness come in through `ctx`, so tests replay exactly.
 */
import type { Rng } from '../../core/clock.ts'
import { RESULT, type MapProtocol, type NatPmpRequest, type NatPmpResponse } from './codec.ts'
import {
  EPHEMERAL_PORT_MAX,
  EPHEMERAL_PORT_MIN,
  MAX_LIFETIME_S,
  MAX_MAPPINGS,
  MAX_MAPPINGS_PER_CLIENT,
  MAX_PORT_PICK_ATTEMPTS,
} from './constants.ts'

export interface Mapping {
  /** The LAN host that asked for it. */
  client: string
  protocol: MapProtocol
  internalPort: number
  externalPort: number
  expiresAtMs: number
}

export interface NatPmpState {
  /** When the server's epoch started (its "seconds since start of epoch" count from here). */
  readonly epochStartMs: number
  readonly mappings: readonly Mapping[]
}

export interface ApplyContext {
  nowMs: number
  rng: Rng
  /** The router's public address; null when it has none (result 3, network failure). */
  externalAddress: string | null
  /** @default MAX_LIFETIME_S */
  maxLifetimeS?: number
}

export type DnatAction = { type: 'add'; mapping: Mapping } | { type: 'remove'; mapping: Mapping }

export interface ApplyOutcome {
  state: NatPmpState
  reply: NatPmpResponse
  actions: DnatAction[]
}

export function initialState(nowMs: number): NatPmpState {
  return { epochStartMs: nowMs, mappings: [] }
}

export function epochSeconds(state: NatPmpState, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - state.epochStartMs) / 1000)) >>> 0
}

const sameKey = (m: Mapping, client: string, protocol: MapProtocol, internalPort: number): boolean =>
  m.client === client && m.protocol === protocol && m.internalPort === internalPort

function pickExternalPort(
  mappings: readonly Mapping[],
  protocol: MapProtocol,
  suggested: number,
  rng: Rng,
): number | null {
  const taken = new Set(mappings.filter((m) => m.protocol === protocol).map((m) => m.externalPort))
  if (suggested >= EPHEMERAL_PORT_MIN && !taken.has(suggested)) return suggested
  for (let i = 0; i < MAX_PORT_PICK_ATTEMPTS; i++) {
    const port = EPHEMERAL_PORT_MIN + rng.int(EPHEMERAL_PORT_MAX - EPHEMERAL_PORT_MIN + 1)
    if (!taken.has(port)) return port
  }
  return null
}

/** Handle one decoded request from `client` (its LAN address). */
export function apply(
  state: NatPmpState,
  client: string,
  req: NatPmpRequest,
  ctx: ApplyContext,
): ApplyOutcome {
  const epochS = epochSeconds(state, ctx.nowMs)
  if (req.op === 'external-address') {
    const ok = ctx.externalAddress != null
    const reply: NatPmpResponse = {
      op: 'external-address',
      result: ok ? RESULT.success : RESULT.networkFailure,
      epochS,
      externalAddress: ctx.externalAddress ?? '0.0.0.0',
    }
    return { state, reply, actions: [] }
  }
  const { protocol, internalPort } = req
  const refuse = (result: number): ApplyOutcome => ({
    state,
    reply: { op: 'map', protocol, result, epochS, internalPort, externalPort: 0, lifetimeS: 0 },
    actions: [],
  })
  if (ctx.externalAddress == null) return refuse(RESULT.networkFailure)

  if (req.lifetimeS === 0) {
    // RFC 6886 §3.4: lifetime 0 deletes this mapping, or with internal port 0 all of the client's.
    const gone = state.mappings.filter(
      (m) =>
        m.client === client &&
        m.protocol === protocol &&
        (internalPort === 0 || m.internalPort === internalPort),
    )
    return {
      state: { ...state, mappings: state.mappings.filter((m) => !gone.includes(m)) },
      reply: {
        op: 'map',
        protocol,
        result: RESULT.success,
        epochS,
        internalPort,
        externalPort: 0,
        lifetimeS: 0,
      },
      actions: gone.map((mapping) => ({ type: 'remove', mapping })),
    }
  }
  // A mapping of internal port 0 is meaningless (and would forward to a random service).
  if (internalPort === 0) return refuse(RESULT.notAuthorized)

  const lifetimeS = Math.min(req.lifetimeS, ctx.maxLifetimeS ?? MAX_LIFETIME_S)
  const expiresAtMs = ctx.nowMs + lifetimeS * 1000
  const existing = state.mappings.find((m) => sameKey(m, client, protocol, internalPort))
  if (existing != null) {
    // Renewal: same external port, new lifetime; the iptables rule stays as it is.
    const renewed: Mapping = { ...existing, expiresAtMs }
    return {
      state: { ...state, mappings: state.mappings.map((m) => (m === existing ? renewed : m)) },
      reply: {
        op: 'map',
        protocol,
        result: RESULT.success,
        epochS,
        internalPort,
        externalPort: existing.externalPort,
        lifetimeS,
      },
      actions: [],
    }
  }
  if (state.mappings.length >= MAX_MAPPINGS) return refuse(RESULT.outOfResources)
  if (state.mappings.filter((m) => m.client === client).length >= MAX_MAPPINGS_PER_CLIENT) {
    return refuse(RESULT.outOfResources)
  }
  const externalPort = pickExternalPort(state.mappings, protocol, req.externalPort, ctx.rng)
  if (externalPort == null) return refuse(RESULT.outOfResources)
  const mapping: Mapping = { client, protocol, internalPort, externalPort, expiresAtMs }
  return {
    state: { ...state, mappings: [...state.mappings, mapping] },
    reply: { op: 'map', protocol, result: RESULT.success, epochS, internalPort, externalPort, lifetimeS },
    actions: [{ type: 'add', mapping }],
  }
}

/** Drop mappings whose lifetime has run out at `nowMs`. */
export function expire(
  state: NatPmpState,
  nowMs: number,
): { state: NatPmpState; actions: DnatAction[]; nextExpiryMs: number | null } {
  const gone = state.mappings.filter((m) => m.expiresAtMs <= nowMs)
  const kept = state.mappings.filter((m) => m.expiresAtMs > nowMs)
  const nextExpiryMs = kept.length === 0 ? null : Math.min(...kept.map((m) => m.expiresAtMs))
  return {
    state: gone.length === 0 ? state : { ...state, mappings: kept },
    actions: gone.map((mapping) => ({ type: 'remove', mapping })),
    nextExpiryMs,
  }
}

/** UPnP IGD AddPortMapping: the exact external port or nothing (UPnP error 718 on a conflict). */
export interface ExactMapRequest {
  protocol: MapProtocol
  internalPort: number
  externalPort: number
  /** UPnP's 0 means "as long as possible": the responder grants its maximum. */
  lifetimeS: number
}

export type ExactOutcome =
  | { ok: true; state: NatPmpState; actions: DnatAction[]; mapping: Mapping }
  | { ok: false; reason: 'conflict' | 'out-of-resources' | 'bad-port' }

export function applyExact(
  state: NatPmpState,
  client: string,
  req: ExactMapRequest,
  ctx: Pick<ApplyContext, 'nowMs' | 'maxLifetimeS'>,
): ExactOutcome {
  const { protocol, internalPort, externalPort } = req
  if (internalPort === 0 || externalPort === 0) return { ok: false, reason: 'bad-port' }
  const max = ctx.maxLifetimeS ?? MAX_LIFETIME_S
  const lifetimeS = req.lifetimeS === 0 ? max : Math.min(req.lifetimeS, max)
  const expiresAtMs = ctx.nowMs + lifetimeS * 1000
  const holder = state.mappings.find((m) => m.protocol === protocol && m.externalPort === externalPort)
  const own = state.mappings.find((m) => sameKey(m, client, protocol, internalPort))
  if (holder != null && holder === own) {
    const renewed: Mapping = { ...own, expiresAtMs }
    return {
      ok: true,
      state: { ...state, mappings: state.mappings.map((m) => (m === own ? renewed : m)) },
      actions: [],
      mapping: renewed,
    }
  }
  // Another host holds the port, or this host's port is already mapped elsewhere.
  if (holder != null || own != null) return { ok: false, reason: 'conflict' }
  if (state.mappings.length >= MAX_MAPPINGS) return { ok: false, reason: 'out-of-resources' }
  if (state.mappings.filter((m) => m.client === client).length >= MAX_MAPPINGS_PER_CLIENT) {
    return { ok: false, reason: 'out-of-resources' }
  }
  const mapping: Mapping = { client, protocol, internalPort, externalPort, expiresAtMs }
  return {
    ok: true,
    state: { ...state, mappings: [...state.mappings, mapping] },
    actions: [{ type: 'add', mapping }],
    mapping,
  }
}

/** UPnP DeletePortMapping: only the host that owns a mapping may delete it (error 714 otherwise). */
export function removeExact(
  state: NatPmpState,
  client: string,
  protocol: MapProtocol,
  externalPort: number,
): { found: boolean; state: NatPmpState; actions: DnatAction[] } {
  const m = state.mappings.find(
    (x) => x.protocol === protocol && x.externalPort === externalPort && x.client === client,
  )
  if (m == null) return { found: false, state, actions: [] }
  return {
    found: true,
    state: { ...state, mappings: state.mappings.filter((x) => x !== m) },
    actions: [{ type: 'remove', mapping: m }],
  }
}
