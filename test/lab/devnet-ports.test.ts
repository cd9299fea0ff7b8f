/** The devnet's ports never collide with a node started on the defaults next to it. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_DEVNET_BASE_PORT, MAX_DEVNET_NODES } from '../../src/cli/constants.ts'
import { DEFAULT_CONFIG } from '../../src/node/config.ts'
import { DEVNET_TCP_PORT_OFFSET, devnetPorts } from '../../src/lab/devnet.ts'

void describe('devnet ports', () => {
  void it('a default node (API, TCP, WebSockets, QUIC) and the largest devnet share no port', () => {
    const nodePorts = new Set<number>([DEFAULT_CONFIG.api.port])
    for (const ma of DEFAULT_CONFIG.listen) {
      const m = /\/(?:tcp|udp)\/(\d+)/.exec(ma)
      if (m != null) nodePorts.add(Number(m[1]))
    }
    const devnet = Array.from({ length: MAX_DEVNET_NODES }, (_, i) =>
      devnetPorts(DEFAULT_DEVNET_BASE_PORT, i),
    )
    const clashes = devnet.flatMap((p) => [p.api, p.tcp]).filter((p) => nodePorts.has(p))
    assert.deepEqual(clashes, [])
  })

  void it('node i uses API base+i and TCP base+offset+i', () => {
    assert.deepEqual(devnetPorts(30_000, 3), { api: 30_003, tcp: 30_003 + DEVNET_TCP_PORT_OFFSET })
  })
})
