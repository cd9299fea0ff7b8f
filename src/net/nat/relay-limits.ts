/** The limits Kith's circuit-relay-v2 server runs with (docs/LIMITS.md, "Relays"). */
import type { CircuitRelayServerInit } from '@libp2p/circuit-relay-v2'
import {
  MAX_RELAY_INBOUND_HOP_STREAMS,
  MAX_RELAY_SERVER_RESERVATIONS,
  MAX_RELAYED_CONNECTION_BYTES,
  MAX_RELAYED_CONNECTION_DURATION_MS,
  RELAY_RESERVATION_TTL_MS,
} from './constants.ts'

export function relayServerInit(): CircuitRelayServerInit {
  return {
    maxInboundHopStreams: MAX_RELAY_INBOUND_HOP_STREAMS,
    reservations: {
      maxReservations: MAX_RELAY_SERVER_RESERVATIONS,
      reservationTtl: RELAY_RESERVATION_TTL_MS,
      applyDefaultLimit: true,
      defaultDurationLimit: MAX_RELAYED_CONNECTION_DURATION_MS,
      defaultDataLimit: MAX_RELAYED_CONNECTION_BYTES,
    },
  }
}
