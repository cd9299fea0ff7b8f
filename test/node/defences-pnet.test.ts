/**
 * Issue 11: a private network. Nodes holding the same swarm key (libp2p pnet) connect; a node
 * without it, or with another key, cannot, on a PoA genesis. `kith init --swarm-key` creates
 * the key and turns the option on; a second node joins by copying it.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli } from '../../src/cli/main.ts'
import type { CliIo } from '../../src/cli/output.ts'
import { generateSwarmKey } from '../../src/net/peers/swarm-key.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { genesisFile } from '../chain/helpers.ts'
import { loopbackConfig, removeDirs, startNode, stopAll, tcpAddr, tempDir } from '../helpers/nodes.ts'

const io = (): CliIo & { out: string } => {
  const o = { out: '', env: {}, stdout: (s: string) => void (o.out += s), stderr: () => {} }
  return o
}

async function poaDir(swarmKey: string | null): Promise<string> {
  const dir = await tempDir('kith-pnet-')
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisFile({ engine: 'poa' })))
  if (swarmKey != null) await writeFile(join(dir, 'swarm.key'), swarmKey, { mode: 0o600 })
  return dir
}

describe('defences: private network (pnet swarm key)', () => {
  const nodes: KithNode[] = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs(dirs)
  })

  it('only holders of the swarm key can connect', async () => {
    // `kith init --swarm-key` makes the key; the second holder copies it with `--swarm-key <file>`.
    const dirA = await poaDir(null)
    const cli = io()
    assert.equal(await runCli(['init', '--data-dir', dirA, '--network', 'testnet', '--swarm-key'], cli), 0)
    const key = await readFile(join(dirA, 'swarm.key'), 'utf8')
    const dirB = await poaDir(null)
    assert.equal(
      await runCli(
        ['init', '--data-dir', dirB, '--network', 'testnet', '--swarm-key', join(dirA, 'swarm.key')],
        io(),
      ),
      0,
    )
    const configA = JSON.parse(await readFile(join(dirA, 'config.json'), 'utf8')) as {
      privateNetwork?: boolean
    }
    assert.equal(configA.privateNetwork, true)

    const a = await startNode({ dataDir: dirA, network: 'testnet', privateNetwork: true })
    const b = await startNode({ dataDir: dirB, network: 'testnet', privateNetwork: true })
    const outsider = await startNode({ dataDir: await poaDir(null), network: 'testnet' })
    const otherKey = await startNode({
      dataDir: await poaDir(generateSwarmKey()),
      network: 'testnet',
      privateNetwork: true,
    })
    nodes.push(a, b, outsider, otherKey)
    for (const n of nodes) dirs.push(n.dataDir)
    assert.equal(
      a.network.network,
      outsider.network.network,
      'same genesis, same network id: only the key differs',
    )
    assert.equal(await readFile(join(dirB, 'swarm.key'), 'utf8'), key)

    const peer = await b.connect(tcpAddr(a))
    assert.equal(peer.peerId, a.peerId)
    await assert.rejects(outsider.connect(tcpAddr(a)), { code: 'DIAL_FAILED' })
    await assert.rejects(otherKey.connect(tcpAddr(a)), { code: 'DIAL_FAILED' })
    await assert.rejects(a.connect(tcpAddr(outsider)), { code: 'DIAL_FAILED' })
    assert.deepEqual(
      a.peers().map((p) => p.peerId),
      [b.peerId],
    )
  })

  it('refuses to start with privateNetwork on and no swarm key, naming the file', async () => {
    const config = await loopbackConfig({
      dataDir: await poaDir(null),
      network: 'testnet',
      privateNetwork: true,
    })
    dirs.push(config.dataDir)
    await assert.rejects(createNode({ config, logger: silentLogger() }), { code: 'SWARM_KEY_MISSING' })
    await writeFile(join(config.dataDir, 'swarm.key'), 'not a key')
    await assert.rejects(createNode({ config, logger: silentLogger() }), { code: 'SWARM_KEY_INVALID' })
  })
})
