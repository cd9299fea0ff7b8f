/**
 * Byte streams through an emulated link. `shapeDuplex(inner, ...)` wraps any Duplex (a
 * net.Socket, for one) so that what is written reaches `inner` after the `up` model's delay and
 * what `inner` yields is read after the `down` model's delay. `linkedPair()` is an in-memory pair
 * of Duplexes joined by such a link. Stream mode only: a byte stream cannot lose bytes.
 */
import { Duplex } from 'node:stream'
import type { Rng } from '../../core/clock.ts'
import { InvalidInputError } from '../../core/errors.ts'
import { DelayLine, type DelayLineInit } from './delay-line.ts'
import { LinkModel, type LinkConditions } from './model.ts'

export interface ShapeOptions {
  /** What the wrapped side sends. @default no delay */
  up?: LinkConditions
  /** What the wrapped side receives. @default no delay */
  down?: LinkConditions
  rng: Rng
  /** Clock and timers for the delay lines (a test may pass manual ones). */
  clock?: DelayLineInit<unknown>['clock']
  timers?: DelayLineInit<unknown>['timers']
}

function streamModel(c: LinkConditions | undefined, rng: Rng): LinkModel {
  if (c?.mode === 'datagram') {
    throw new InvalidInputError('LINK_BAD_CONDITIONS', 'a byte stream link must use mode stream', {
      field: 'mode',
    })
  }
  return new LinkModel(c ?? {}, rng)
}

/** One direction of a shaped stream: bytes go in with write(), come out through `out`. */
function direction(
  conditions: LinkConditions | undefined,
  opts: ShapeOptions,
  out: (chunk: Buffer) => void,
  onDrain: () => void,
): DelayLine<Buffer> {
  return new DelayLine<Buffer>({
    model: streamModel(conditions, opts.rng),
    deliver: out,
    onDrain,
    ...(opts.clock != null ? { clock: opts.clock } : {}),
    ...(opts.timers != null ? { timers: opts.timers } : {}),
  })
}

/** Wrap `inner` so both directions cross an emulated link. Ending and errors pass through. */
export function shapeDuplex(inner: Duplex, opts: ShapeOptions): Duplex {
  let pendingWrite: (() => void) | undefined
  const up = direction(
    opts.up,
    opts,
    (chunk) => inner.write(chunk),
    () => {
      const cb = pendingWrite
      pendingWrite = undefined
      cb?.()
    },
  )
  let downEnded = false
  const outer = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (up.push(chunk, chunk.length)) cb()
      else pendingWrite = cb
    },
    final(cb) {
      up.idle().then(
        () => inner.end(cb),
        (err: unknown) => cb(err as Error),
      )
    },
    read() {
      inner.resume()
    },
    destroy(err, cb) {
      up.destroy()
      down.destroy()
      inner.destroy(err ?? undefined)
      cb(err)
    },
  })
  const down = direction(
    opts.down,
    opts,
    (chunk) => {
      if (!outer.push(chunk)) inner.pause()
    },
    () => undefined,
  )
  inner.on('data', (chunk: Buffer) => down.push(chunk, chunk.length))
  inner.on('end', () => {
    if (downEnded) return
    downEnded = true
    void down.idle().then(() => outer.push(null))
  })
  inner.on('error', (err) => outer.destroy(err))
  inner.on('close', () => {
    if (!downEnded) void down.idle().then(() => outer.destroy())
  })
  return outer
}

/** Two in-memory Duplexes joined by an emulated link: `aToB` shapes what A writes, `bToA` what B writes. */
export function linkedPair(opts: {
  aToB?: LinkConditions
  bToA?: LinkConditions
  rng: Rng
}): [Duplex, Duplex] {
  const make = (): { end: Duplex; wake: () => void; setPeer: (p: DelayLine<Buffer>) => void } => {
    let line: DelayLine<Buffer> | undefined
    let pendingWrite: (() => void) | undefined
    const end = new Duplex({
      write(chunk: Buffer, _enc, cb) {
        if (line!.push(chunk, chunk.length)) cb()
        else pendingWrite = cb
      },
      final(cb) {
        void line!.idle().then(() => {
          peerOf.get(end)?.push(null)
          cb()
        })
      },
      read() {},
      destroy(err, cb) {
        line?.destroy()
        // Like a reset: the other end goes down too.
        peerOf.get(end)?.destroy(err ?? undefined)
        cb(err)
      },
    })
    return {
      end,
      wake: () => {
        const cb = pendingWrite
        pendingWrite = undefined
        cb?.()
      },
      setPeer: (p) => (line = p),
    }
  }
  const peerOf = new WeakMap<Duplex, Duplex>()
  const a = make()
  const b = make()
  peerOf.set(a.end, b.end)
  peerOf.set(b.end, a.end)
  a.setPeer(
    new DelayLine({
      model: streamModel(opts.aToB, opts.rng),
      deliver: (c) => b.end.push(c),
      onDrain: a.wake,
    }),
  )
  b.setPeer(
    new DelayLine({
      model: streamModel(opts.bToA, opts.rng),
      deliver: (c) => a.end.push(c),
      onDrain: b.wake,
    }),
  )
  return [a.end, b.end]
}
