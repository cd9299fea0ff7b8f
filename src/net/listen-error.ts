/**
 * What a failed listen means, from libp2p's UnsupportedListenAddressesError: its message lists
 * each address with the socket error (and that error's stack). A user needs the address, the
 * port and the reason, not the stack.
 */

export interface ListenFailure {
  /** The first listen multiaddr that failed, or '' when the message names none. */
  address: string
  /** Its port, or null. */
  port: number | null
  /** e.g. 'address already in use'. */
  reason: string
  /** The socket error code, e.g. 'EADDRINUSE', or null. */
  errno: string | null
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
}

/** Parse libp2p's listen error text; `listen` is the configured list (used when no address is named). */
export function describeListenFailure(message: string, listen: readonly string[]): ListenFailure {
  const line = message.split('\n').find((l) => /^\s*\/\S+: /.test(l))
  const m = line == null ? null : /^\s*(\/\S+): (.*)$/.exec(line)
  const address = m?.[1] ?? (listen.length === 1 ? listen[0]! : '')
  const detail = m?.[2] ?? message.split('\n')[0] ?? ''
  const errno = /\b(E[A-Z]{3,})\b/.exec(detail)?.[1] ?? null
  const port = /\/(?:tcp|udp)\/(\d{1,5})/.exec(address)?.[1]
  const reason =
    (errno == null ? undefined : REASONS[errno]) ?? detail.replace(/^\w*Error: /, '').slice(0, 200)
  return { address, port: port == null ? null : Number(port), reason, errno }
}
