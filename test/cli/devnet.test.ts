/** `kith devnet`: N node processes wired through node 0, stopped cleanly by a signal. */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { ChildProcess } from 'node:child_process'
import { createApiClient } from '../../src/api/client.ts'
import { DEVNET_TCP_PORT_OFFSET, type DevnetNode } from '../../src/lab/devnet.ts'
import { Children, freePortRange, isAlive } from './helpers.ts'

const NODES = 3

/** Resolve once `url`'s node is connected to `peerId`: watch events first, then check, so nothing is missed. */
async function waitConnected(url: string, peerId: string, signal: AbortSignal): Promise<void> {
  const client = createApiClient({ url })
  const ac = new AbortController()
  const events = client.events(AbortSignal.any([signal, ac.signal]))
  const first = events.next() // opens the stream
  try {
    if ((await client.peers(signal)).some((p) => p.peerId === peerId)) return
    let next = await first
    while (next.done !== true) {
      if (next.value.type === 'peer:connect' && next.value.peerId === peerId) return
      next = await events.next()
    }
    throw new Error(`event stream of ${url} ended before ${peerId} connected`)
  } finally {
    ac.abort()
  }
}

/** Read the devnet's JSON node lines until `n` arrived. */
async function readNodes(child: ChildProcess, n: number): Promise<DevnetNode[]> {
  const nodes: DevnetNode[] = []
  return await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      nodes.push(JSON.parse(line) as DevnetNode)
      if (nodes.length === n) resolve(nodes)
    })
    child.once('exit', (code) =>
      reject(new Error(`devnet exited with ${String(code)} after ${nodes.length} nodes`)),
    )
  })
}

void describe('kith devnet', () => {
  const children = new Children()
  const devnetPids: number[] = []
  let base: string
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kith-devnet-'))
  })
  after(async () => {
    children.killAll()
    for (const pid of devnetPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await rm(base, { recursive: true, force: true })
  })

  void it(`starts ${NODES} nodes wired through node 0 and stops them all on SIGTERM (exit 0)`, async () => {
    const port = await freePortRange(NODES, DEVNET_TCP_PORT_OFFSET)
    const child = children.spawn([
      'devnet',
      '--nodes',
      String(NODES),
      '--base-dir',
      join(base, 'ok'),
      '--base-port',
      String(port),
      '--json',
    ])
    const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    const nodes = await readNodes(child, NODES)
    devnetPids.push(...nodes.map((n) => n.pid))
    assert.deepEqual(
      nodes.map((n) => n.api),
      Array.from({ length: NODES }, (_, i) => `http://127.0.0.1:${port + i}`),
    )
    assert.equal(new Set(nodes.map((n) => n.peerId)).size, NODES)
    const signal = AbortSignal.timeout(30_000)
    await Promise.all(nodes.slice(1).map((n) => waitConnected(n.api!, nodes[0]!.peerId, signal)))
    child.kill('SIGTERM')
    assert.equal(await exit, 0)
    for (const n of nodes) assert.equal(isAlive(n.pid), false, `node ${n.index} stopped`)
  })

  void it('a node that dies takes the devnet down with exit 1, stopping the others', async () => {
    const port = await freePortRange(2, DEVNET_TCP_PORT_OFFSET)
    const child = children.spawn([
      'devnet',
      '--nodes',
      '2',
      '--base-dir',
      join(base, 'die'),
      '--base-port',
      String(port),
      '--json',
      '--log-level',
      'info',
    ])
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    const nodes = await readNodes(child, 2)
    devnetPids.push(...nodes.map((n) => n.pid))
    process.kill(nodes[1]!.pid, 'SIGKILL')
    assert.equal(await exit, 1)
    assert.match(stderr, /node 1 exited unexpectedly.*\[DEVNET_NODE_EXITED\]/)
    // The nodes' logs are forwarded formatted (time, level, message), not as raw JSON.
    const forwarded = stderr.split('\n').filter((l) => l.startsWith('[node '))
    assert.ok(forwarded.length > 0, `node logs forwarded: ${stderr}`)
    assert.deepEqual(
      forwarded.filter((l) => /^\[node \d+\] \{/.test(l)),
      [],
      'no raw JSON log line',
    )
    assert.ok(forwarded.some((l) => /^\[node \d+\] \d\d:\d\d:\d\d\.\d{3} (INFO|WARN) /.test(l)))
    assert.equal(isAlive(nodes[0]!.pid), false)
  })

  void it('a node that cannot start (port taken) fails the devnet with DEVNET_NODE_FAILED, exit 1', async () => {
    const port = await freePortRange(1, DEVNET_TCP_PORT_OFFSET)
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(port + DEVNET_TCP_PORT_OFFSET, '127.0.0.1', resolve))
    try {
      const res = await children.run([
        'devnet',
        '--nodes',
        '1',
        '--base-dir',
        join(base, 'taken'),
        '--base-port',
        String(port),
      ])
      assert.equal(res.code, 1)
      assert.match(
        res.stderr,
        /^error: node 0 exited with code 1 before it was ready: .*LISTEN_FAILED.*\[DEVNET_NODE_FAILED\]$/m,
      )
    } finally {
      blocker.close()
    }
  })
})
