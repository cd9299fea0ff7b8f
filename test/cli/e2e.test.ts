/** The CLI end to end: real `kith` processes on temp data dirs, loopback, port 0. */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import type { ReadyLine } from '../../src/cli/daemon.ts'
import type { PeerSummary, NodeStatus } from '../../src/node/types.ts'
import { createApiClient } from '../../src/api/client.ts'
import { Children, errorCode, freePort } from './helpers.ts'

/** A valid peer id no test node has. */
const NEVER_SEEN_PEER = '12D3KooWCRscMgHgEo3ojm8ovzheydpvTEqsDtq7Vby38cMHrYjt'

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0']

void describe('kith CLI end to end', () => {
  const children = new Children()
  let base: string
  let dirA: string
  let dirB: string
  let initPeerId: string
  let a: { child: ChildProcess; ready: ReadyLine; exit: Promise<number | null> }
  let b: { child: ChildProcess; ready: ReadyLine; exit: Promise<number | null> }

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kith-cli-'))
    dirA = join(base, 'a')
    dirB = join(base, 'b')
  })
  after(async () => {
    children.killAll()
    await rm(base, { recursive: true, force: true })
  })

  void it('kith init creates identity (0600), token and config, and is idempotent', async () => {
    const first = await children.run(['init', '--data-dir', dirA, '--json'])
    assert.equal(first.code, 0, first.stderr)
    const result = JSON.parse(first.stdout) as { peerId: string; created: boolean }
    assert.equal(result.created, true)
    initPeerId = result.peerId
    assert.equal(statSync(join(dirA, 'identity.key')).mode & 0o777, 0o600)
    assert.equal(statSync(join(dirA, 'api-token')).mode & 0o777, 0o600)
    const again = JSON.parse((await children.run(['init', '--data-dir', dirA, '--json'])).stdout) as {
      peerId: string
      created: boolean
    }
    assert.deepEqual(again, { ...result, created: false })
    // Another network on an initialised dir: refused, named, and config.json left as it was.
    const config = readFileSync(join(dirA, 'config.json'), 'utf8')
    const other = await children.run(['init', '--data-dir', dirA, '--network', 'othernet', '--json'])
    assert.equal(other.code, 1, other.stderr)
    assert.equal(errorCode(other.stderr), 'ALREADY_INITIALISED')
    assert.equal(readFileSync(join(dirA, 'config.json'), 'utf8'), config)
  })

  void it('kith start prints a ready line and writes api.json; kith status --json reads it', async () => {
    a = await children.start(['--data-dir', dirA, ...LOOPBACK])
    assert.equal(a.ready.peerId, initPeerId)
    assert.match(a.ready.api!, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(existsSync(join(dirA, 'api.json')))
    const res = await children.run(['status', '--data-dir', dirA, '--json'])
    assert.equal(res.code, 0, res.stderr)
    const status = JSON.parse(res.stdout) as NodeStatus
    assert.equal(status.peerId, initPeerId)
    assert.ok(
      status.listen.some((addr) => /\/tcp\/[1-9]\d*$/.test(addr)),
      `bound port in ${status.listen.join(' ')}`,
    )
  })

  void it('kith connect dials a second node and kith peers lists it', async () => {
    b = await children.start(['--data-dir', dirB, ...LOOPBACK])
    const target = b.ready.announce.find((addr) => addr.includes('/tcp/'))!
    const res = await children.run(['connect', target, '--data-dir', dirA, '--json'])
    assert.equal(res.code, 0, res.stderr)
    assert.equal((JSON.parse(res.stdout) as PeerSummary).peerId, b.ready.peerId)
    const peers = JSON.parse(
      (await children.run(['peers', '--data-dir', dirA, '--json'])).stdout,
    ) as PeerSummary[]
    assert.ok(peers.some((p) => p.peerId === b.ready.peerId))
    const human = await children.run(['peers', '--data-dir', dirA])
    assert.match(human.stdout, new RegExp(b.ready.peerId))
  })

  void it('kith disconnect hangs up (the event stream reports the disconnect)', async () => {
    const ac = new AbortController()
    const events = createApiClient({ url: a.ready.api! }).events(
      AbortSignal.any([ac.signal, AbortSignal.timeout(20_000)]),
    )
    const disconnected = (async () => {
      for await (const e of events)
        if (e.type === 'peer:disconnect' && e.peerId === b.ready.peerId) return true
      return false
    })()
    try {
      const res = await children.run(['disconnect', b.ready.peerId, '--data-dir', dirA])
      assert.equal(res.code, 0, res.stderr)
      assert.equal(res.stdout, `disconnected from ${b.ready.peerId}\n`)
      assert.equal(await disconnected, true)
    } finally {
      ac.abort()
    }
  })

  void it('disconnecting a peer that is not connected is PEER_NOT_CONNECTED, exit 1', async () => {
    const res = await children.run(['disconnect', NEVER_SEEN_PEER, '--data-dir', dirA, '--json'])
    assert.equal(res.code, 1)
    assert.equal(errorCode(res.stderr), 'PEER_NOT_CONNECTED')
  })

  void it('an unreachable peer is DIAL_FAILED, exit 1', async () => {
    const closed = await freePort()
    const res = await children.run([
      'connect',
      `/ip4/127.0.0.1/tcp/${closed}/p2p/${NEVER_SEEN_PEER}`,
      '--data-dir',
      dirA,
      '--json',
    ])
    assert.equal(res.code, 1)
    assert.equal(errorCode(res.stderr), 'DIAL_FAILED')
  })

  void it('a malformed multiaddr is INVALID_MULTIADDR, exit 2', async () => {
    const res = await children.run(['connect', '/not-a-protocol/x', '--data-dir', dirA, '--json'])
    assert.equal(res.code, 2)
    assert.equal(errorCode(res.stderr), 'INVALID_MULTIADDR')
  })

  void it('an API call without the token is refused (401 AUTH_REQUIRED), exit 1', async () => {
    const noToken = join(base, 'no-such-dir')
    const res = await children.run([
      'connect',
      b.ready.announce[0]!,
      '--api',
      a.ready.api!,
      '--data-dir',
      noToken,
      '--json',
    ])
    assert.equal(res.code, 1)
    assert.equal(errorCode(res.stderr), 'AUTH_REQUIRED')
    const raw = await fetch(`${a.ready.api}/api/v1/peers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"multiaddr":"/ip4/127.0.0.1/tcp/1"}',
    })
    assert.equal(raw.status, 401)
  })

  void it('a second node on the same data dir is DATA_DIR_LOCKED, exit 1, and the first keeps running', async () => {
    const res = await children.run(['start', '--data-dir', dirA, '--json', '--no-mdns', ...LOOPBACK])
    assert.equal(res.code, 1)
    assert.equal(errorCode(res.stderr), 'DATA_DIR_LOCKED')
    assert.equal((await children.run(['status', '--data-dir', dirA])).code, 0)
  })

  void it('a libp2p port already in use fails start with exit 1', async () => {
    const taken = a.ready.listen.find((addr) => addr.includes('/tcp/'))!
    const res = await children.run([
      'start',
      '--data-dir',
      join(base, 'c'),
      '--json',
      '--no-mdns',
      '--listen',
      taken,
      '--api',
      'off',
    ])
    assert.equal(res.code, 1, res.stderr)
    assert.equal(errorCode(res.stderr), 'LISTEN_FAILED', res.stderr)
    // What the user reads: the port and the flag that changes it, no library text or stack trace.
    const port = /\/tcp\/(\d+)/.exec(taken)![1]!
    assert.match(res.stderr, new RegExp(`port ${port} is set by --listen`), res.stderr)
    assert.doesNotMatch(res.stderr, /^\s+at /m, res.stderr)
    assert.doesNotMatch(res.stderr, /faultTolerance/, res.stderr)
    assert.ok(!existsSync(join(base, 'c', 'LOCK')), 'the data dir lock is released')
  })

  void it('an API port already in use fails start with API_LISTEN_FAILED, exit 1, lock released', async () => {
    const apiHostPort = a.ready.api!.replace('http://', '')
    const dirC = join(base, 'c2')
    const res = await children.run([
      'start',
      '--data-dir',
      dirC,
      '--json',
      '--no-mdns',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--api',
      apiHostPort,
    ])
    assert.equal(res.code, 1, res.stderr)
    assert.equal(errorCode(res.stderr), 'API_LISTEN_FAILED')
    assert.match(res.stderr, /--api HOST:PORT/, res.stderr)
    assert.ok(!existsSync(join(dirC, 'LOCK')), 'the data dir lock is released')
    assert.ok(!existsSync(join(dirC, 'api.json')))
  })

  void it('SIGTERM stops the node with exit 0 and leaves the data dir intact', async () => {
    a.child.kill('SIGTERM')
    assert.equal(await a.exit, 0)
    for (const file of ['identity.key', 'config.json', 'kith.db', 'api-token'])
      assert.ok(existsSync(join(dirA, file)), file)
    assert.ok(!existsSync(join(dirA, 'api.json')), 'api.json removed')
    assert.ok(!existsSync(join(dirA, 'LOCK')), 'lock released')
    b.child.kill('SIGTERM')
    assert.equal(await b.exit, 0)
    const again = JSON.parse((await children.run(['init', '--data-dir', dirA, '--json'])).stdout) as {
      peerId: string
    }
    assert.equal(again.peerId, initPeerId, 'same identity after restart')
  })

  void it('with no node running, client commands say so (NODE_NOT_RUNNING, exit 1)', async () => {
    const res = await children.run(['status', '--data-dir', dirA, '--json'])
    assert.equal(res.code, 1)
    assert.equal(errorCode(res.stderr), 'NODE_NOT_RUNNING')
    const human = await children.run(['peers', '--data-dir', dirA])
    assert.match(human.stderr, /^error: .*\[NODE_NOT_RUNNING\]$/m)
  })
})

void describe('kith start on a damaged data dir', () => {
  const children = new Children()
  let base: string
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kith-cli-bad-'))
  })
  after(async () => {
    children.killAll()
    await rm(base, { recursive: true, force: true })
  })

  const cases = [
    { id: 'corrupt config.json', file: 'config.json', content: '{"network": ', code: 'CONFIG_CORRUPT' },
    {
      id: 'config.json with an unknown option',
      file: 'config.json',
      content: '{"netwrok":"x"}',
      code: 'INVALID_CONFIG',
      exit: 2,
    },
    { id: 'corrupt identity key', file: 'identity.key', content: 'not a key', code: 'KEY_CORRUPT' },
  ]
  for (const c of cases) {
    void it(`${c.id}: ${c.code}, exit ${c.exit ?? 1}, file left untouched`, async () => {
      const dir = join(base, c.file + c.code)
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, c.file), c.content)
      const res = await children.run(['start', '--data-dir', dir, '--json', '--no-mdns', ...LOOPBACK])
      assert.equal(res.code, c.exit ?? 1, res.stderr)
      assert.equal(errorCode(res.stderr), c.code)
      assert.equal(await readFile(join(dir, c.file), 'utf8'), c.content)
      assert.ok(!existsSync(join(dir, 'LOCK')), 'no lock left behind')
    })
  }
})

void describe('kith CLI as a process', () => {
  const children = new Children()
  after(() => children.killAll())

  void it('an unknown option exits 2 with one line naming it', async () => {
    const res = await children.run(['start', '--bogus'])
    assert.equal(res.code, 2)
    assert.equal(res.stderr, "error: unknown option '--bogus'\n")
  })
})
