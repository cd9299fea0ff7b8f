/**
 * A small NAT-PMP client (RFC 6886 §3.1 retransmission: 250 ms, doubling). The lab uses it from
 * inside a host's namespace to ask the router for a mapping; Kith's own port mapping goes through
 * src/net.
 */
import { systemClock, type TimerHandle } from '../../core/clock.ts'
import { createSocket } from 'node:dgram'
import { AbortError, NetworkError } from '../../core/errors.ts'
import {
  decodeResponse,
  encodeRequest,
  RESULT,
  type MapProtocol,
  type NatPmpRequest,
  type NatPmpResponse,
} from './codec.ts'
import { CLIENT_INITIAL_RETRY_MS, MAX_CLIENT_ATTEMPTS, NATPMP_SERVER_PORT } from './constants.ts'

export interface NatPmpClientOptions {
  signal?: AbortSignal
  /** @default MAX_CLIENT_ATTEMPTS */
  attempts?: number
  /** @default NATPMP_SERVER_PORT */
  port?: number
}

/** Send one request and wait for the matching response, retransmitting; NATPMP_TIMEOUT if none comes. */
export async function natPmpRequest(
  gateway: string,
  request: NatPmpRequest,
  opts: NatPmpClientOptions = {},
): Promise<NatPmpResponse> {
  const port = opts.port ?? NATPMP_SERVER_PORT
  const attempts = Math.min(opts.attempts ?? MAX_CLIENT_ATTEMPTS, MAX_CLIENT_ATTEMPTS)
  const socket = createSocket('udp4')
  const payload = encodeRequest(request)
  const wantOp = request.op
  try {
    return await new Promise<NatPmpResponse>((resolve, reject) => {
      let attempt = 0
      let timer: TimerHandle | undefined
      const onAbort = (): void => reject(new AbortError(undefined, { cause: opts.signal?.reason }))
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      const finish = (): void => {
        systemClock.clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
      }
      socket.on('message', (msg, rinfo) => {
        // RFC 6886 §3.1: only the gateway's responses count.
        if (rinfo.address !== gateway || rinfo.port !== port) return
        const res = decodeResponse(msg)
        if (res == null || (res.op !== wantOp && res.op !== 'error')) return
        finish()
        resolve(res)
      })
      socket.on('error', (err) => {
        finish()
        reject(
          new NetworkError(
            'NATPMP_SOCKET',
            `NAT-PMP socket failed: ${err.message}`,
            { gateway },
            { cause: err },
          ),
        )
      })
      const send = (): void => {
        if (attempt >= attempts) {
          finish()
          reject(
            new NetworkError('NATPMP_TIMEOUT', `no NAT-PMP answer from ${gateway} after ${attempts} tries`, {
              gateway,
            }),
          )
          return
        }
        const wait = CLIENT_INITIAL_RETRY_MS * 2 ** attempt++
        socket.send(payload, port, gateway)
        timer = systemClock.setTimeout(send, wait)
      }
      if (opts.signal?.aborted === true) onAbort()
      else send()
    })
  } finally {
    socket.close()
  }
}

export interface MappingResult {
  externalPort: number
  lifetimeS: number
}

/** Ask for a mapping; NATPMP_REFUSED (meta.result = the RFC result code) when the gateway says no. */
export async function requestMapping(
  gateway: string,
  mapping: { protocol: MapProtocol; internalPort: number; externalPort?: number; lifetimeS: number },
  opts: NatPmpClientOptions = {},
): Promise<MappingResult> {
  const res = await natPmpRequest(
    gateway,
    {
      op: 'map',
      protocol: mapping.protocol,
      internalPort: mapping.internalPort,
      externalPort: mapping.externalPort ?? mapping.internalPort,
      lifetimeS: mapping.lifetimeS,
    },
    opts,
  )
  if (res.op !== 'map' || res.result !== RESULT.success) {
    throw new NetworkError(
      'NATPMP_REFUSED',
      `gateway ${gateway} refused the mapping (result ${res.result})`,
      {
        gateway,
        result: res.result,
      },
    )
  }
  return { externalPort: res.externalPort, lifetimeS: res.lifetimeS }
}

/** The gateway's public address; NATPMP_REFUSED when it reports an error. */
export async function requestExternalAddress(
  gateway: string,
  opts: NatPmpClientOptions = {},
): Promise<string> {
  const res = await natPmpRequest(gateway, { op: 'external-address' }, opts)
  if (res.op !== 'external-address' || res.result !== RESULT.success) {
    throw new NetworkError(
      'NATPMP_REFUSED',
      `gateway ${gateway} gave no external address (result ${res.result})`,
      {
        gateway,
        result: res.result,
      },
    )
  }
  return res.externalAddress
}
