/**
 * A minimal UPnP IGD client (SSDP discovery, device description, SOAP AddPortMapping), for the
 * lab's port-mapping refusal scenario against Debian's miniupnpd. Runs inside a host's namespace;
 * discovery goes to the SSDP multicast group with TTL 1, so it never leaves the host's LAN.
 */
import { createSocket } from 'node:dgram'
import { withTimeout } from '../../core/abort.ts'
import { AbortError, NetworkError } from '../../core/errors.ts'
import { MAX_UPNP_BODY_BYTES, SSDP_ADDRESS, SSDP_PORT, UPNP_TIMEOUT_MS } from './constants.ts'

/** IGD v1 and v2 name the service with a different version suffix; miniupnpd 2.3 offers v2. */
const WAN_IP_CONNECTION_RE = /urn:schemas-upnp-org:service:WANIPConnection:[12]/
const IGD = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1'

export interface SsdpAnswer {
  location: string
  server: string
  st: string
}

/** Multicast an M-SEARCH for an IGD and resolve with the first answer. */
export async function ssdpSearch(
  opts: { signal?: AbortSignal; searchTarget?: string } = {},
): Promise<SsdpAnswer> {
  const signal = withTimeout(UPNP_TIMEOUT_MS, opts.signal)
  const st = opts.searchTarget ?? IGD
  const socket = createSocket('udp4')
  const msg = [
    'M-SEARCH * HTTP/1.1',
    `HOST: ${SSDP_ADDRESS}:${SSDP_PORT}`,
    'MAN: "ssdp:discover"',
    'MX: 1',
    `ST: ${st}`,
    '',
    '',
  ].join('\r\n')
  try {
    return await new Promise<SsdpAnswer>((resolve, reject) => {
      const onAbort = (): void =>
        reject(
          new NetworkError('UPNP_NO_GATEWAY', 'no SSDP answer from an IGD', {}, { cause: signal.reason }),
        )
      signal.addEventListener('abort', onAbort, { once: true })
      socket.on('message', (buf) => {
        const headers = new Map<string, string>()
        for (const line of buf.toString('utf8').split('\r\n').slice(1)) {
          const i = line.indexOf(':')
          if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
        }
        const location = headers.get('location')
        if (location == null) return
        signal.removeEventListener('abort', onAbort)
        resolve({ location, server: headers.get('server') ?? '', st: headers.get('st') ?? '' })
      })
      socket.bind(0, () => {
        socket.setMulticastTTL(1)
        socket.send(msg, SSDP_PORT, SSDP_ADDRESS)
      })
    })
  } finally {
    socket.close()
  }
}

async function fetchText(
  url: string,
  init: RequestInit,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, signal })
  const body = await res.text()
  if (body.length > MAX_UPNP_BODY_BYTES)
    throw new NetworkError('UPNP_BAD_REPLY', `UPnP reply from ${url} is too long`, { url })
  return { status: res.status, body }
}

export interface WanService {
  controlUrl: string
  serviceType: string
}

/** The WANIPConnection service (control URL and exact type) in the device description at `location`. */
export async function findWanService(
  location: string,
  opts: { signal?: AbortSignal } = {},
): Promise<WanService> {
  const signal = withTimeout(UPNP_TIMEOUT_MS, opts.signal)
  const { body } = await fetchText(location, {}, signal)
  for (const service of body.split('<service>').slice(1)) {
    const serviceType = WAN_IP_CONNECTION_RE.exec(service)?.[0]
    const control = /<controlURL>([^<]+)<\/controlURL>/.exec(service)?.[1]
    if (serviceType != null && control != null)
      return { controlUrl: new URL(control, location).toString(), serviceType }
  }
  throw new NetworkError('UPNP_BAD_REPLY', `no WANIPConnection service in ${location}`, { location })
}

export type SoapResult =
  { ok: true; body: string } | { ok: false; httpStatus: number; errorCode: number; errorDescription: string }

/** Call one SOAP action of WANIPConnection. A UPnP error comes back as `{ ok: false, errorCode }`. */
export async function soapCall(
  { controlUrl, serviceType }: WanService,
  action: string,
  args: Record<string, string | number>,
  opts: { signal?: AbortSignal } = {},
): Promise<SoapResult> {
  const signal = withTimeout(UPNP_TIMEOUT_MS, opts.signal)
  const argXml = Object.entries(args)
    .map(([k, v]) => `<${k}>${String(v)}</${k}>`)
    .join('')
  const envelope =
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<u:${action} xmlns:u="${serviceType}">${argXml}</u:${action}></s:Body></s:Envelope>`
  if (signal.aborted) throw new AbortError()
  const { status, body } = await fetchText(
    controlUrl,
    {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset="utf-8"', soapaction: `"${serviceType}#${action}"` },
      body: envelope,
    },
    signal,
  )
  if (status === 200) return { ok: true, body }
  return {
    ok: false,
    httpStatus: status,
    errorCode: Number(/<errorCode>(\d+)<\/errorCode>/.exec(body)?.[1] ?? NaN),
    errorDescription: /<errorDescription>([^<]*)<\/errorDescription>/.exec(body)?.[1] ?? '',
  }
}

/** AddPortMapping for TCP/UDP `internalPort` on `internalClient`. */
export async function addPortMapping(
  service: WanService,
  m: {
    protocol: 'TCP' | 'UDP'
    externalPort: number
    internalPort: number
    internalClient: string
    leaseS: number
  },
  opts: { signal?: AbortSignal } = {},
): Promise<SoapResult> {
  return await soapCall(
    service,
    'AddPortMapping',
    {
      NewRemoteHost: '',
      NewExternalPort: m.externalPort,
      NewProtocol: m.protocol,
      NewInternalPort: m.internalPort,
      NewInternalClient: m.internalClient,
      NewEnabled: 1,
      NewPortMappingDescription: 'kith-lab',
      NewLeaseDuration: m.leaseS,
    },
    opts,
  )
}
