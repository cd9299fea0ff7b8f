/**
 * Plugging the link emulator into js-libp2p v3 without touching its code. A v3 transport hands
 * every raw connection (a MultiaddrConnection, an AbstractMessageStream underneath) to the
 * upgrader it gets in `dial(ma, { upgrader })` and `createListener({ upgrader })`. shapeTransport()
 * wraps a transport factory so those upgraders first pass each connection through
 * shapeIncoming(): what the connection receives (data, the remote's close, reset, transport close)
 * is delivered through a seeded delay line, in order. Wrap the transport of every lab node and both
 * directions of every connection are shaped, each by its receiver.
 *
 *   transports: [shapeTransport(tcp(), (conn) => shapeIncoming(conn, { latencyMs: 40, jitterMs: 10 }, rng))]
 *
 * No libp2p import: the types here are structural, so src/lab stays out of the libp2p layer rule.
 */
import type { Rng } from '../../core/clock.ts'
import { InvalidInputError } from '../../core/errors.ts'
import { DelayLine } from './delay-line.ts'
import { LinkModel, type LinkConditions } from './model.ts'

type Chunk = { byteLength: number }

/** The receive-side hooks of js-libp2p's AbstractMessageStream that a transport calls. */
interface ReceiveHooks {
  onData(data: Chunk): void
  onTransportClosed(err?: Error): void
  onRemoteCloseWrite(): void
  onRemoteReset(): void
}

type Incoming = { kind: 'data'; data: Chunk } | { kind: 'call'; run: () => void }

const HOOKS = ['onData', 'onTransportClosed', 'onRemoteCloseWrite', 'onRemoteReset'] as const
const SHAPED = Symbol.for('kith.lab.link.shaped')

/**
 * Delay everything `conn` receives through a link model (stream mode). Throws LINK_NOT_SHAPEABLE
 * when `conn` lacks the AbstractMessageStream receive hooks.
 */
export function shapeIncoming<T extends object>(conn: T, conditions: LinkConditions, rng: Rng): T {
  const target = conn as T & Partial<ReceiveHooks> & { [SHAPED]?: true }
  if (target[SHAPED] === true) return conn
  for (const hook of HOOKS) {
    if (typeof target[hook] !== 'function') {
      throw new InvalidInputError(
        'LINK_NOT_SHAPEABLE',
        `connection has no ${hook}(): not an AbstractMessageStream`,
        { hook },
      )
    }
  }
  const hooks = target as T & ReceiveHooks
  const original = {
    onData: hooks.onData.bind(hooks),
    onTransportClosed: hooks.onTransportClosed.bind(hooks),
    onRemoteCloseWrite: hooks.onRemoteCloseWrite.bind(hooks),
    onRemoteReset: hooks.onRemoteReset.bind(hooks),
  }
  const line = new DelayLine<Incoming>({
    model: new LinkModel({ ...conditions, mode: 'stream' }, rng),
    deliver: (item) => (item.kind === 'data' ? original.onData(item.data) : item.run()),
  })
  hooks.onData = (data) => void line.push({ kind: 'data', data }, data.byteLength)
  // Control events travel behind the data that preceded them, so a close never overtakes bytes.
  hooks.onTransportClosed = (err) =>
    void line.push({ kind: 'call', run: () => original.onTransportClosed(err) }, 0)
  hooks.onRemoteCloseWrite = () =>
    void line.push({ kind: 'call', run: () => original.onRemoteCloseWrite() }, 0)
  hooks.onRemoteReset = () => void line.push({ kind: 'call', run: () => original.onRemoteReset() }, 0)
  target[SHAPED] = true
  return conn
}

interface UpgraderLike {
  upgradeOutbound(maConn: object, opts: unknown): Promise<unknown>
  upgradeInbound(maConn: object, opts: unknown): Promise<unknown>
}

interface TransportLike {
  dial(ma: unknown, options: { upgrader: UpgraderLike }): Promise<unknown>
  createListener(options: { upgrader: UpgraderLike }): unknown
}

/** An upgrader that passes each raw connection through `shape` before upgrading it. */
export function shapeUpgrader<U extends UpgraderLike>(upgrader: U, shape: (maConn: object) => void): U {
  return new Proxy(upgrader, {
    get(target, prop) {
      if (prop === 'upgradeOutbound' || prop === 'upgradeInbound') {
        return async (maConn: object, opts: unknown) => {
          shape(maConn)
          return await target[prop](maConn, opts)
        }
      }
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

/** Wrap a libp2p transport factory (`tcp()`, `webSockets()`) so every connection it makes is shaped. */
export function shapeTransport<C, T extends TransportLike>(
  factory: (components: C) => T,
  shape: (maConn: object) => void,
): (components: C) => T {
  return (components) => {
    const transport = factory(components)
    return new Proxy(transport, {
      get(target, prop) {
        if (prop === 'dial') {
          return async (ma: unknown, options: { upgrader: UpgraderLike }) =>
            await target.dial(ma, { ...options, upgrader: shapeUpgrader(options.upgrader, shape) })
        }
        if (prop === 'createListener') {
          return (options: { upgrader: UpgraderLike }) =>
            target.createListener({ ...options, upgrader: shapeUpgrader(options.upgrader, shape) })
        }
        const value: unknown = Reflect.get(target, prop, target)
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
  }
}
