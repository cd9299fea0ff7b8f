/** Abort helpers: every async operation takes an AbortSignal and passes it on. */
import { systemClock, type Clock } from './clock.ts'
import { AbortError } from './errors.ts'

/** Combine an optional caller signal with a timeout on `clock`. */
export function withTimeout(
  timeoutMs: number,
  signal?: AbortSignal,
  clock: Clock = systemClock,
): AbortSignal {
  const timeout = clock.timeoutSignal(timeoutMs)
  return signal == null ? timeout : AbortSignal.any([signal, timeout])
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
}

/** Resolve when `emitter` fires `event` with a value that satisfies `filter`, or reject on abort. */
export async function waitFor<T>(
  subscribe: (listener: (value: T) => void) => () => void,
  filter: (value: T) => boolean,
  signal?: AbortSignal,
): Promise<T> {
  throwIfAborted(signal)
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      unsubscribe()
      reject(new AbortError(undefined, { cause: signal?.reason }))
    }
    const unsubscribe = subscribe((value) => {
      if (!filter(value)) return
      unsubscribe()
      signal?.removeEventListener('abort', onAbort)
      resolve(value)
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Settle with `promise`, or reject as soon as `signal` aborts, for libraries that take a signal
 * but do not honour it (nat-port-mapper's NAT-PMP requests run to their own timeout). The
 * abandoned promise's outcome is ignored.
 */
export async function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  throwIfAborted(signal)
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new AbortError(undefined, { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  promise.catch(() => {})
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
