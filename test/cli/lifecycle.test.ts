/**
 * A node's life from the command line as a newcomer meets it: `--genesis` to join a chain,
 * `--log-file`, `kith stop`, Ctrl-C with the output piped into a reader that died first, and
 * the launcher (bin/kith.js) passing a signal on to the node it runs.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ReadyLine } from '../../src/cli/daemon.ts'
import { makeGenesisFile, parseGenesisJson } from '../../src/chain/genesis.ts'
import { serializeGenesis } from '../../src/chain/service/genesis-file.ts'
import { Children, CLI_MAIN, cleanEnv, errorCode } from './helpers.ts'

const LAUNCHER = fileURLToPath(new URL('../../bin/kith.js', import.meta.url))
const SYSTEM_NODE = '/usr/bin/node'
const NODE_FLAGS = ['--json', '--no-mdns', '--no-port-mapping', '--listen', '/ip4/127.0.0.1/tcp/0']

/** Resolve with the ready line printed on `child`'s stdout; reject if it exits first. */
function readyOf(child: ChildProcess, exit: Promise<number | null>): Promise<ReadyLine> {
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise<ReadyLine>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{"event":"ready"')) resolve(JSON.parse(line) as ReadyLine)
    })
    void exit.then((code) => reject(new Error(`exited with ${String(code)} before ready: ${stderr}`)))
  })
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

function assertStoppedCleanly(dataDir: string): void {
  assert.ok(!existsSync(join(dataDir, 'LOCK')), 'lock released')
  assert.ok(!existsSync(join(dataDir, 'api.json')), 'api.json removed')
  assert.ok(!existsSync(join(dataDir, 'kith.db-wal')), 'WAL checkpointed and removed')
}

void describe('a node from start to stop', () => {
  const children = new Children()
  const spawned: ChildProcess[] = []
  let base: string
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kith-life-'))
  })
  after(async () => {
    children.killAll()
    for (const c of spawned) c.kill('SIGKILL')
    await rm(base, { recursive: true, force: true })
  })

  void it('--genesis joins that chain (network from the file), --log-file gets the logs, kith stop stops it', async () => {
    const genesisFile = join(base, 'devnet-genesis.json')
    const text = serializeGenesis(
      makeGenesisFile({ network: 'joinnet', timestampMs: 1_767_225_600_000, allocations: [] }),
    )
    await writeFile(genesisFile, text)
    const dataDir = join(base, 'joiner')
    const logFile = join(base, 'logs', 'node.log')
    const node = await children.start([
      '--data-dir',
      dataDir,
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--api',
      '127.0.0.1:0',
      '--genesis',
      genesisFile,
      '--log-file',
      logFile,
    ])
    assert.equal(node.ready.network, parseGenesisJson(text).params.networkId)
    assert.equal(await readFile(join(dataDir, 'genesis.json'), 'utf8'), text)

    const stop = await children.run(['stop', '--data-dir', dataDir, '--json'])
    assert.equal(stop.code, 0, stop.stderr)
    assert.equal(await node.exit, 0)
    assertStoppedCleanly(dataDir)
    const lines = (await readFile(logFile, 'utf8')).trim().split('\n')
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg)
    assert.ok(msgs.includes('stopping'), msgs.join(' | '))

    // Another chain's genesis on the same data dir is refused: the dir follows the first one.
    const other = join(base, 'other-genesis.json')
    await writeFile(
      other,
      serializeGenesis(
        makeGenesisFile({ network: 'joinnet', timestampMs: 1_767_225_600_001, allocations: [] }),
      ),
    )
    const refused = await children.run([
      'start',
      ...NODE_FLAGS,
      '--data-dir',
      dataDir,
      '--api',
      'off',
      '--genesis',
      other,
    ])
    assert.equal(refused.code, 1, refused.stderr)
    assert.equal(errorCode(refused.stderr), 'GENESIS_CONFLICT')
  })

  void it('kith stop with no node running exits 1 with NODE_NOT_RUNNING', async () => {
    const res = await children.run(['stop', '--data-dir', join(base, 'nothing'), '--json'])
    assert.equal(res.code, 1)
    assert.equal(errorCode(res.stderr), 'NODE_NOT_RUNNING')
  })

  void it('Ctrl-C after the reader of its output died (kith start | tee, EPIPE) still shuts down cleanly', async () => {
    const dataDir = join(base, 'piped')
    const child = spawn(
      process.execPath,
      [CLI_MAIN, 'start', ...NODE_FLAGS, '--data-dir', dataDir, '--api', '127.0.0.1:0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv({ KITH_LOG_LEVEL: 'info' }),
      },
    )
    spawned.push(child)
    const exit = exitOf(child)
    await readyOf(child, exit)
    // The reader goes away: every later write of the node to stdout or stderr meets EPIPE.
    child.stdout.destroy()
    child.stderr.destroy()
    child.kill('SIGINT')
    assert.equal(await exit, 0)
    assertStoppedCleanly(dataDir)
  })

  void it('the launcher passes a SIGINT sent to it alone on to the node', async (t) => {
    const probe = spawnSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' })
    const major = Number(/^v(\d+)/.exec(probe.stdout ?? '')?.[1] ?? NaN)
    // On Node 24 the launcher runs the CLI in its own process: there is no child to forward to.
    if (!(major < 24))
      return t.skip(`needs a system Node older than 24 at ${SYSTEM_NODE} (found: ${probe.stdout || 'none'})`)
    const dataDir = join(base, 'launched')
    // Its own process group, as a background job is: the signal reaches the launcher only.
    const launcher = spawn(
      SYSTEM_NODE,
      [LAUNCHER, 'start', ...NODE_FLAGS, '--data-dir', dataDir, '--api', '127.0.0.1:0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv(),
        detached: true,
      },
    )
    spawned.push(launcher)
    const exit = exitOf(launcher)
    const ready = await readyOf(launcher, exit)
    assert.notEqual(ready.pid, launcher.pid, 'the node runs in a child of the launcher')
    process.kill(launcher.pid!, 'SIGINT')
    assert.equal(await exit, 0)
    assertStoppedCleanly(dataDir)
  })
})
