/** The CLI in-process against the API server over a fake node: output formats, exit codes, usage errors. */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import { createApiServer, ApiError, type ApiServer } from '../../src/api/index.ts'
import { runCli, startFlagsToConfig } from '../../src/cli/main.ts'
import { formatBlock } from '../../src/cli/commands/chain.ts'
import { exitCodeFor, printError } from '../../src/cli/output.ts'
import { DataDirError, InvalidInputError, KithError } from '../../src/core/errors.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { writeApiEndpoint } from '../../src/node/datadir.ts'
import { fakeNode, PEER, PEER_B, STATUS, type FakeNode } from '../api/fake-node.ts'
import { captureIo } from './helpers.ts'

function errorCode(stderr: string): string | undefined {
  return (JSON.parse(stderr) as { error: { code: string } }).error.code
}

const TOKEN = 'c'.repeat(64)

void describe('client commands against a fake node', () => {
  let node: FakeNode
  let server: ApiServer
  let dataDir: string
  before(async () => {
    node = fakeNode()
    server = createApiServer({ node, host: '127.0.0.1', port: 0, token: TOKEN, logger: silentLogger() })
    await server.start()
    dataDir = await mkdtemp(join(tmpdir(), 'kith-cli-fake-'))
  })
  after(async () => {
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  void it('status --json prints the node status', async () => {
    const io = captureIo()
    assert.equal(await runCli(['status', '--api', server.url, '--json'], io), 0)
    assert.deepEqual(JSON.parse(io.out), STATUS)
  })

  void it('status prints a readable summary', async () => {
    const io = captureIo()
    assert.equal(await runCli(['status', '--api', server.url], io), 0)
    assert.match(io.out, new RegExp(`^peer id +${STATUS.peerId}$`, 'm'))
    assert.match(io.out, /^uptime +5s$/m)
    assert.match(io.out, /^data dir +\/var\/lib\/kith-test$/m)
    assert.match(io.out, /^listen +\/ip4\/127\.0\.0\.1\/tcp\/7421$/m)
  })

  void it('sync --json counts the connected peers next to the ones synced from', async () => {
    const io = captureIo()
    assert.equal(await runCli(['sync', '--api', server.url, '--json'], io), 0, io.err)
    const sync = JSON.parse(io.out) as { peers: number; connectedPeers: number }
    assert.equal(sync.connectedPeers, STATUS.peers)
  })

  void it('the node is found through api.json in the data dir, HOST:PORT works for --api', async () => {
    await writeApiEndpoint(dataDir, { url: server.url, pid: process.pid })
    const viaDir = captureIo()
    assert.equal(await runCli(['peers', '--data-dir', dataDir, '--json'], viaDir), 0)
    assert.deepEqual(JSON.parse(viaDir.out), [PEER])
    const viaEnv = captureIo({ KITH_DATA_DIR: dataDir })
    assert.equal(await runCli(['peers'], viaEnv), 0)
    assert.match(viaEnv.out, /^PEER ID +DIR +RTT +NETGROUP +TRUST +RELAY +RELAYS +SCORE +ADDRESS$/m)
    assert.match(viaEnv.out, / direct +all +0\.0 /, 'a full-relay direct peer')
    assert.match(viaEnv.out, /^1 peer$/m)
    const bare = captureIo()
    assert.equal(await runCli(['status', '--api', server.url.replace('http://', ''), '--json'], bare), 0)
  })

  void it('connect and disconnect send the token from KITH_API_TOKEN', async () => {
    const io = captureIo({ KITH_API_TOKEN: TOKEN })
    assert.equal(
      await runCli(['connect', `/ip4/127.0.0.1/tcp/9/p2p/${PEER_B}`, '--api', server.url], io),
      0,
      io.err,
    )
    assert.match(io.out, new RegExp(`^connected to ${PEER_B}`))
    assert.equal(await runCli(['disconnect', PEER_B, '--api', server.url], io), 0, io.err)
    assert.deepEqual(node.calls.disconnect, [PEER_B])
  })

  void it('connect without a token exits 1 with AUTH_REQUIRED', async () => {
    const io = captureIo()
    assert.equal(
      await runCli(
        [
          'connect',
          '/ip4/127.0.0.1/tcp/9',
          '--api',
          server.url,
          '--data-dir',
          join(dataDir, 'none'),
          '--json',
        ],
        io,
      ),
      1,
    )
    assert.equal(errorCode(io.err), 'AUTH_REQUIRED')
  })

  void it('a bad peer id is a usage error (exit 2, INVALID_PEER_ID)', async () => {
    const io = captureIo({ KITH_API_TOKEN: TOKEN })
    assert.equal(await runCli(['disconnect', 'bad id!', '--api', server.url, '--json'], io), 2)
    assert.equal(errorCode(io.err), 'INVALID_PEER_ID')
  })

  void it('no node running: NODE_NOT_RUNNING, exit 1; unreachable --api: NODE_UNREACHABLE', async () => {
    const io = captureIo()
    assert.equal(await runCli(['status', '--data-dir', join(dataDir, 'empty'), '--json'], io), 1)
    assert.equal(errorCode(io.err), 'NODE_NOT_RUNNING')
    const gone = captureIo()
    assert.equal(await runCli(['status', '--api', 'http://127.0.0.1:1', '--json'], gone), 1)
    assert.equal(errorCode(gone.err), 'NODE_UNREACHABLE')
  })
})

void describe('a node that goes away', () => {
  void it('ends `kith events` with exit 1 and NODE_GONE', async () => {
    const node = fakeNode()
    const server = createApiServer({ node, host: '127.0.0.1', port: 0, logger: silentLogger(), token: null })
    await server.start()
    const io = captureIo()
    const running = runCli(['events', '--api', server.url, '--json'], io)
    await node.listenerCount(1)
    await server.stop()
    assert.equal(await running, 1)
    assert.equal(errorCode(io.err), 'NODE_GONE')
  })
})

void describe('kith stop', () => {
  void it('asks the node to shut down through the API (token) and waits until it is gone', async () => {
    const node = fakeNode()
    let stopping!: () => void
    const stopped = new Promise<void>((r) => (stopping = r))
    const server = createApiServer({
      node,
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger(),
      token: TOKEN,
      onShutdown: () => stopping(),
    })
    await server.start()
    try {
      const noToken = captureIo()
      assert.equal(await runCli(['stop', '--api', server.url, '--json', '--data-dir', tmpdir()], noToken), 1)
      assert.equal(errorCode(noToken.err), 'AUTH_REQUIRED')
      // The fake node lives in this process, which does not exit: a zero wait times out at once.
      const io = captureIo({ KITH_API_TOKEN: TOKEN })
      assert.equal(await runCli(['stop', '--api', server.url, '--json', '--wait-ms', '0'], io), 1)
      assert.equal(errorCode(io.err), 'STOP_TIMEOUT')
      await stopped
    } finally {
      await server.stop()
    }
  })
})

void describe('kith block', () => {
  const header = {
    parent: 'bafyparent',
    height: 7,
    timestampMs: 1_700_000_000_000,
    txRoot: 'bafytxroot',
    stateRoot: 'bafystate',
    miner: 'kith1miner',
    consensus: { engine: 'pow' as const, bits: 1, nonce: 2 },
  }
  void it('on a light node says the body is not stored instead of "txs 0"', () => {
    const out = formatBlock({
      id: 'bafyblock',
      main: true,
      confirmations: 1,
      header,
      transactions: [],
      headerOnly: true,
    })
    assert.doesNotMatch(out, /^txs +0$/m)
    assert.match(out, /^txs +not stored/m)
  })
  void it('on a full node counts the transactions', () => {
    const out = formatBlock({ id: 'bafyblock', main: true, confirmations: 1, header, transactions: [] })
    assert.match(out, /^txs +0$/m)
  })
})

void describe('usage errors exit 2 with one line', () => {
  const cases = [
    { id: 'unknown option', args: ['start', '--bogus'], code: 2, stderr: /unknown option '--bogus'/ },
    { id: 'unknown command', args: ['frobnicate'], code: 2, stderr: /unknown command/ },
    {
      id: 'bad --api value',
      args: ['start', '--api', 'nowhere', '--json'],
      code: 2,
      errorCode: 'INVALID_CONFIG',
    },
    { id: 'bad --log-level', args: ['start', '--log-level', 'loud'], code: 2, stderr: /Allowed choices/ },
    {
      id: 'bad --network',
      args: ['start', '--network', 'NOT OK', '--data-dir', join(tmpdir(), 'kith-never-created'), '--json'],
      code: 2,
      errorCode: 'INVALID_CONFIG',
    },
    { id: 'connect without argument', args: ['connect'], code: 2, stderr: /missing required argument/ },
    { id: 'devnet with 0 nodes', args: ['devnet', '--nodes', '0'], code: 2, stderr: /1 to 50/ },
    { id: 'devnet with a bad port', args: ['devnet', '--base-port', 'x'], code: 2, stderr: /port number/ },
    {
      id: 'bad client --api URL',
      args: ['status', '--api', 'ftp://x', '--json'],
      code: 2,
      errorCode: 'INVALID_API_URL',
    },
    { id: '--help', args: ['--help'], code: 0, stdout: /Usage: kith/ },
    { id: '--version', args: ['--version'], code: 0, stdout: /^\d+\.\d+\.\d+\n$/ },
  ]
  for (const c of cases) {
    void it(`${c.id} -> exit ${c.code}`, async () => {
      const io = captureIo()
      assert.equal(await runCli(c.args, io), c.code, io.err)
      if (c.stderr) assert.match(io.err, c.stderr)
      if (c.stdout) assert.match(io.out, c.stdout)
      if (c.errorCode) assert.equal(errorCode(io.err), c.errorCode)
      if (c.code !== 0) assert.equal(io.err.trim().split('\n').length, 1, `one line: ${io.err}`)
    })
  }
})

void describe('exit codes and flag mapping', () => {
  const table = [
    { id: 'commander usage', err: new CommanderError(1, 'commander.unknownOption', 'x'), code: 2 },
    { id: 'commander help', err: new CommanderError(0, 'commander.helpDisplayed', 'x'), code: 0 },
    { id: 'API 400', err: new ApiError(400, 'INVALID_MULTIADDR', 'x'), code: 2 },
    { id: 'API 401', err: new ApiError(401, 'AUTH_REQUIRED', 'x'), code: 1 },
    { id: 'API 502', err: new ApiError(502, 'DIAL_FAILED', 'x'), code: 1 },
    { id: 'invalid option', err: new InvalidInputError('INVALID_CONFIG', 'x'), code: 2 },
    { id: 'corrupt config file', err: new InvalidInputError('CONFIG_CORRUPT', 'x'), code: 1 },
    { id: 'locked data dir', err: new DataDirError('DATA_DIR_LOCKED', 'x'), code: 1 },
    { id: 'other kith error', err: new KithError('LISTEN_FAILED', 'x'), code: 1 },
    { id: 'plain error', err: new Error('x'), code: 1 },
    // The README's table: a well-formed command the state of things refused is a runtime failure.
    { id: 'wrong passphrase', err: new InvalidInputError('WRONG_PASSPHRASE', 'x'), code: 1 },
    { id: 'insufficient balance (API 400)', err: new ApiError(400, 'TX_INSUFFICIENT_BALANCE', 'x'), code: 1 },
    { id: 'nonce already used (API 400)', err: new ApiError(400, 'TX_NONCE_TOO_LOW', 'x'), code: 1 },
    // A flag value the CLI refused is bad usage, whichever class carries it.
    { id: 'bad --cid-profile', err: new ApiError(0, 'INVALID_PROFILE', 'x'), code: 2 },
  ]
  for (const c of table) {
    void it(`${c.id} -> ${c.code}`, () => assert.equal(exitCodeFor(c.err), c.code))
  }

  void it('an existing output names the --force flag on the command line', () => {
    const io = captureIo()
    printError(io, new ApiError(409, 'OUTPUT_EXISTS', '/tmp/x exists; pass force to overwrite it'), false)
    assert.match(io.err, /pass --force/)
    const local = captureIo()
    printError(local, new KithError('OUTPUT_EXISTS', 'x', { path: '/tmp/y' }), false)
    assert.match(local.err, /\/tmp\/y exists; pass --force/)
  })

  void it('only flags actually given override the config', () => {
    assert.deepEqual(startFlagsToConfig({}, false), {})
    assert.deepEqual(startFlagsToConfig({ mdns: false }, true), { mdns: false })
    assert.deepEqual(startFlagsToConfig({ api: '127.0.0.1:0', apiNoAuth: true }, false), {
      api: { enabled: true, host: '127.0.0.1', port: 0, auth: false },
    })
    assert.deepEqual(startFlagsToConfig({ api: 'off' }, false), { api: { enabled: false } })
    assert.deepEqual(startFlagsToConfig({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] }, false), {
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
    })
  })
})
