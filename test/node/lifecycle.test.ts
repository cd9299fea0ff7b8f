import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { rm } from 'node:fs/promises'
import { silentLogger } from '../../src/core/logger.ts'
import { KithError } from '../../src/core/errors.ts'
import { Lifecycle, type LifecyclePart } from '../../src/node/lifecycle.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import { loopbackConfig } from '../helpers/nodes.ts'

/** Parts that record what ran; `failStart`/`failStop` name the part that throws there. */
function recorder(names: string[], fail: { start?: string; stop?: string } = {}) {
  const log: string[] = []
  const parts: LifecyclePart[] = names.map((name) => ({
    name,
    start: () => {
      log.push(`start ${name}`)
      if (fail.start === name) throw new KithError('TEST_START_FAILED', name)
    },
    stop: () => {
      log.push(`stop ${name}`)
      if (fail.stop === name) throw new KithError('TEST_STOP_FAILED', name)
    },
  }))
  return { log, parts }
}

describe('Lifecycle: one ordered list, forwards then backwards', () => {
  const cases = [
    {
      id: 'start runs forwards, stop backwards',
      fail: {},
      startThrows: undefined,
      log: ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'],
    },
    {
      id: 'a failed start stops the failed part and everything before it, in reverse',
      fail: { start: 'b' },
      startThrows: 'TEST_START_FAILED',
      log: ['start a', 'start b', 'stop b', 'stop a'],
    },
    {
      id: 'a failing stop does not keep the parts before it open',
      fail: { stop: 'b' },
      startThrows: undefined,
      log: ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'],
    },
  ]
  for (const c of cases) {
    it(c.id, async () => {
      const { log, parts } = recorder(['a', 'b', 'c'], c.fail)
      const life = new Lifecycle(parts, { log: silentLogger() })
      if (c.startThrows === undefined) await life.start()
      else await assert.rejects(life.start(), { code: c.startThrows })
      await life.stop()
      await life.stop()
      assert.deepEqual(log, c.log)
    })
  }

  it('parts opened before the list began are closed by stop even if start never ran', async () => {
    const { log, parts } = recorder(['lock', 'db', 'network'])
    const life = new Lifecycle(parts, { opened: 2, log: silentLogger() })
    await life.stop()
    assert.deepEqual(log, ['stop db', 'stop lock'])
  })
})

describe('the node is one start/stop list for both chain modes', () => {
  const nodes: KithNode[] = []
  after(async () => {
    for (const n of nodes) {
      await n.stop()
      await rm(n.dataDir, { recursive: true, force: true })
    }
  })

  const table = [
    {
      id: 'full node',
      chain: {},
      order: [
        'data dir lock',
        'content store',
        'database',
        'network events',
        'chain',
        'network',
        'chain network',
      ],
    },
    {
      id: 'light node',
      chain: { light: true },
      order: [
        'data dir lock',
        'content store',
        'database',
        'network events',
        'chain',
        'network',
        'light chain',
      ],
    },
  ]
  for (const c of table) {
    it(`${c.id}: the chain opens before the network and goes on it after`, async () => {
      const node = await createNode({
        config: await loopbackConfig({ chain: c.chain }),
        logger: silentLogger(),
      })
      nodes.push(node)
      assert.deepEqual(node.startOrder.slice(0, c.order.length), c.order)
      assert.deepEqual(node.startOrder.slice(c.order.length), ['sync events', 'content'])
    })
  }

  it('a port in use fails start with LISTEN_FAILED and releases the data dir for the next node', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const config = await loopbackConfig({ listen: [`/ip4/127.0.0.1/tcp/${port}`] })
      const node = await createNode({ config, logger: silentLogger() })
      await assert.rejects(node.start(), { code: 'LISTEN_FAILED' })
      // The lock was released and the database closed: the same data dir opens again.
      const again = await createNode({
        config: { ...config, listen: ['/ip4/127.0.0.1/tcp/0'] },
        logger: silentLogger(),
      })
      nodes.push(again)
      await again.start()
      assert.equal(again.status().connections, 0)
    } finally {
      blocker.close()
    }
  })
})
