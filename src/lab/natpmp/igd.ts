/**
 * A small UPnP Internet Gateway Device (IGD:2, WANIPConnection:2) for the lab's router
 * namespaces: answers SSDP M-SEARCH on the LAN, serves its description, and handles the SOAP
 * actions port mappers use (GetExternalIPAddress, AddPortMapping, AddAnyPortMapping,
 * DeletePortMapping, GetSpecificPortMappingEntry, GetStatusInfo) through the same MappingTable as
 * the NAT-PMP responder, so a mapping is a real DNAT rule. Secure mode, as miniupnpd's: a host
 * may only map ports to itself. Only LAN clients are served.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { errorMessage } from '../../core/errors.ts'
import { IGD_HTTP_PORT, MAX_UPNP_BODY_BYTES, SSDP_ADDRESS, SSDP_MAX_AGE_S, SSDP_PORT } from './constants.ts'
import type { MapProtocol } from './codec.ts'
import { inSubnet } from './responder.ts'
import { apply, applyExact, removeExact, type DnatAction, type ExactOutcome, type Mapping } from './state.ts'
import type { MappingTable } from './table.ts'

const IGD2 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:2'
const WAN_IP2 = 'urn:schemas-upnp-org:service:WANIPConnection:2'
const UUID = 'uuid:6b697468-6c61-4220-8967-642d6c616230'
/** Search targets answered: the root, the IGD (v1 clients accept a v2 device), the WAN IP service. */
const TARGETS = new Set([
  'ssdp:all',
  'upnp:rootdevice',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
  IGD2,
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  WAN_IP2,
])

export interface IgdResponderInit {
  table: MappingTable
  lanAddress: string
  /** @default 24 */
  lanPrefixLength?: number
  /** @default IGD_HTTP_PORT */
  httpPort?: number
  onError?: (message: string) => void
}

type UpnpError = { code: number; description: string }
type ActionResult = { values: Record<string, string | number> } | { error: UpnpError }
const ERR = {
  invalidAction: { code: 401, description: 'Invalid Action' },
  invalidArgs: { code: 402, description: 'Invalid Args' },
  actionFailed: { code: 501, description: 'Action Failed' },
  notAuthorized: { code: 606, description: 'Action not authorized' },
  noSuchEntry: { code: 714, description: 'NoSuchEntryInArray' },
  conflict: { code: 718, description: 'ConflictInMappingEntry' },
  noPortsLeft: { code: 728, description: 'NoPortMapsAvailable' },
} as const

function description(base: string): string {
  const service = (type: string, id: string, path: string): string =>
    `<service><serviceType>${type}</serviceType><serviceId>urn:upnp-org:serviceId:${id}</serviceId>` +
    `<SCPDURL>/${path}.xml</SCPDURL><controlURL>/ctl/${path}</controlURL><eventSubURL>/evt/${path}</eventSubURL></service>`
  const device = (type: string, name: string, inner: string): string =>
    `<device><deviceType>${type}</deviceType><friendlyName>${name}</friendlyName><manufacturer>Kith lab</manufacturer>` +
    `<modelName>kith-lab-igd</modelName><UDN>${UUID}</UDN>${inner}</device>`
  const wanConn = device(
    'urn:schemas-upnp-org:device:WANConnectionDevice:2',
    'WAN connection',
    `<serviceList>${service(WAN_IP2, 'WANIPConn1', 'IPConn')}</serviceList>`,
  )
  const wan = device(
    'urn:schemas-upnp-org:device:WANDevice:2',
    'WAN device',
    `<deviceList>${wanConn}</deviceList>`,
  )
  return (
    '<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0">' +
    `<specVersion><major>1</major><minor>1</minor></specVersion><URLBase>${base}</URLBase>` +
    device(IGD2, 'Kith lab gateway', `<deviceList>${wan}</deviceList>`) +
    '</root>'
  )
}

function soapEnvelope(inner: string): string {
  return (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    `s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>${inner}</s:Body></s:Envelope>`
  )
}

function soapReply(action: string, values: Record<string, string | number>): string {
  const fields = Object.entries(values)
    .map(([k, v]) => `<${k}>${String(v)}</${k}>`)
    .join('')
  return soapEnvelope(`<u:${action}Response xmlns:u="${WAN_IP2}">${fields}</u:${action}Response>`)
}

function soapFault(err: UpnpError): string {
  return soapEnvelope(
    '<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>' +
      `<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${err.code}</errorCode>` +
      `<errorDescription>${err.description}</errorDescription></UPnPError></detail></s:Fault>`,
  )
}

function arg(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1]?.trim()
}

function portArg(body: string, name: string): number | null {
  const text = arg(body, name)
  if (text == null || !/^\d{1,5}$/.test(text)) return null
  const n = Number(text)
  return n <= 65535 ? n : null
}

function protocolArg(body: string): MapProtocol | null {
  const p = arg(body, 'NewProtocol')?.toLowerCase()
  return p === 'tcp' || p === 'udp' ? p : null
}

export class IgdResponder {
  readonly #init: IgdResponderInit
  #ssdp: Socket | undefined
  #http: Server | undefined

  constructor(init: IgdResponderInit) {
    this.#init = init
  }

  get location(): string {
    return `http://${this.#init.lanAddress}:${this.#init.httpPort ?? IGD_HTTP_PORT}/rootDesc.xml`
  }

  async start(): Promise<void> {
    const http = createServer((req, res) => {
      this.#serve(req, res).catch((err: unknown) => {
        this.#init.onError?.(errorMessage(err))
        if (!res.headersSent) res.writeHead(500).end()
      })
    })
    http.listen(this.#init.httpPort ?? IGD_HTTP_PORT, this.#init.lanAddress)
    await once(http, 'listening')
    this.#http = http
    const ssdp = createSocket({ type: 'udp4', reuseAddr: true })
    ssdp.on('message', (msg, rinfo) => this.#onSearch(msg, rinfo))
    ssdp.bind(SSDP_PORT)
    await once(ssdp, 'listening')
    ssdp.addMembership(SSDP_ADDRESS, this.#init.lanAddress)
    this.#ssdp = ssdp
  }

  async stop(): Promise<void> {
    const ssdp = this.#ssdp
    this.#ssdp = undefined
    if (ssdp != null) {
      const closed = once(ssdp, 'close')
      ssdp.close()
      await closed
    }
    const http = this.#http
    this.#http = undefined
    if (http != null) {
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
  }

  #fromLan(address: string): boolean {
    return inSubnet(address.replace(/^::ffff:/, ''), this.#init.lanAddress, this.#init.lanPrefixLength ?? 24)
  }

  #onSearch(msg: Buffer, rinfo: RemoteInfo): void {
    if (!this.#fromLan(rinfo.address)) return
    const text = msg.toString('utf8')
    if (!text.startsWith('M-SEARCH')) return
    const st = /^ST:\s*(.+)$/im.exec(text)?.[1]?.trim()
    if (st == null || !TARGETS.has(st)) return
    const answer = st === 'ssdp:all' ? IGD2 : st
    const reply = [
      'HTTP/1.1 200 OK',
      `CACHE-CONTROL: max-age=${SSDP_MAX_AGE_S}`,
      'EXT:',
      `LOCATION: ${this.location}`,
      'SERVER: Linux UPnP/1.1 KithLabIGD/1.0',
      `ST: ${answer}`,
      `USN: ${UUID}::${answer}`,
      '',
      '',
    ].join('\r\n')
    this.#ssdp?.send(reply, rinfo.port, rinfo.address)
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
    if (!this.#fromLan(client)) {
      res.writeHead(403).end()
      return
    }
    if (req.method === 'GET' && req.url === '/rootDesc.xml') {
      const base = `http://${this.#init.lanAddress}:${this.#init.httpPort ?? IGD_HTTP_PORT}/`
      res.writeHead(200, { 'content-type': 'text/xml; charset="utf-8"' }).end(description(base))
      return
    }
    if (req.method !== 'POST' || req.url !== '/ctl/IPConn') {
      res.writeHead(404).end()
      return
    }
    let body = ''
    for await (const chunk of req) {
      body += (chunk as Buffer).toString('utf8')
      if (body.length > MAX_UPNP_BODY_BYTES) {
        res.writeHead(413).end()
        return
      }
    }
    const action = /#([A-Za-z]+)"?\s*$/.exec(String(req.headers.soapaction ?? ''))?.[1] ?? ''
    const out = await this.#action(action, body, client)
    res
      .writeHead('values' in out ? 200 : 500, { 'content-type': 'text/xml; charset="utf-8"' })
      .end('values' in out ? soapReply(action, out.values) : soapFault(out.error))
  }

  async #action(action: string, body: string, client: string): Promise<ActionResult> {
    const table = this.#init.table
    switch (action) {
      case 'GetExternalIPAddress':
        return table.externalAddress == null
          ? { error: ERR.actionFailed }
          : { values: { NewExternalIPAddress: table.externalAddress } }
      case 'GetStatusInfo':
        return {
          values: {
            NewConnectionStatus: 'Connected',
            NewLastConnectionError: 'ERROR_NONE',
            NewUptime: table.epochSeconds(),
          },
        }
      case 'AddPortMapping':
      case 'AddAnyPortMapping':
        return await this.#add(action, body, client)
      case 'DeletePortMapping':
        return await this.#delete(body, client)
      case 'GetSpecificPortMappingEntry': {
        const port = portArg(body, 'NewExternalPort')
        const protocol = protocolArg(body)
        const m = table.mappings.find((x) => x.externalPort === port && x.protocol === protocol)
        return m == null ? { error: ERR.noSuchEntry } : { values: this.#entry(m) }
      }
      default:
        return { error: ERR.invalidAction }
    }
  }

  #entry(m: Mapping): Record<string, string | number> {
    const leftS = Math.max(0, Math.round((m.expiresAtMs - this.#init.table.clock.nowMs()) / 1000))
    return {
      NewInternalPort: m.internalPort,
      NewInternalClient: m.client,
      NewEnabled: 1,
      NewPortMappingDescription: 'kith-lab',
      NewLeaseDuration: leftS,
    }
  }

  async #add(action: string, body: string, client: string): Promise<ActionResult> {
    const table = this.#init.table
    const externalPort = portArg(body, 'NewExternalPort')
    const internalPort = portArg(body, 'NewInternalPort')
    const protocol = protocolArg(body)
    const lease = Number(arg(body, 'NewLeaseDuration') ?? '0')
    const internalClient = arg(body, 'NewInternalClient') ?? ''
    if (
      externalPort == null ||
      internalPort == null ||
      protocol == null ||
      !Number.isInteger(lease) ||
      lease < 0
    ) {
      return { error: ERR.invalidArgs }
    }
    // Secure mode: a host maps ports to itself only.
    if (internalClient !== client) return { error: ERR.notAuthorized }
    if (table.externalAddress == null) return { error: ERR.actionFailed }
    if (action === 'AddAnyPortMapping') {
      const reply = await table.transact((state, nowMs) => {
        const out = apply(
          state,
          client,
          {
            op: 'map',
            protocol,
            internalPort,
            externalPort,
            lifetimeS: lease === 0 ? table.maxLifetimeS : lease,
          },
          { nowMs, rng: table.rng, externalAddress: table.externalAddress, maxLifetimeS: table.maxLifetimeS },
        )
        return { state: out.state, actions: out.actions, result: out.reply }
      })
      if (reply.op !== 'map' || reply.result !== 0)
        return { error: reply.result === 4 ? ERR.noPortsLeft : ERR.actionFailed }
      return { values: { NewReservedPort: reply.externalPort } }
    }
    const out = await table.transact<ExactOutcome>((state, nowMs) => {
      const r = applyExact(
        state,
        client,
        { protocol, internalPort, externalPort, lifetimeS: lease },
        {
          nowMs,
          maxLifetimeS: table.maxLifetimeS,
        },
      )
      return r.ok ? { state: r.state, actions: r.actions, result: r } : { state, actions: [], result: r }
    })
    if (out.ok) return { values: {} }
    return {
      error:
        out.reason === 'conflict'
          ? ERR.conflict
          : out.reason === 'bad-port'
            ? ERR.invalidArgs
            : ERR.noPortsLeft,
    }
  }

  async #delete(body: string, client: string): Promise<ActionResult> {
    const externalPort = portArg(body, 'NewExternalPort')
    if (externalPort == null) return { error: ERR.invalidArgs }
    // Some clients send an empty protocol meaning "whichever": try TCP, then UDP.
    const protocols: MapProtocol[] = protocolArg(body) != null ? [protocolArg(body)!] : ['tcp', 'udp']
    const found = await this.#init.table.transact((state) => {
      let s = state
      const actions: DnatAction[] = []
      for (const p of protocols) {
        const r = removeExact(s, client, p, externalPort)
        s = r.state
        actions.push(...r.actions)
      }
      return { state: s, actions, result: actions.length > 0 }
    })
    return found ? { values: {} } : { error: ERR.noSuchEntry }
  }
}
