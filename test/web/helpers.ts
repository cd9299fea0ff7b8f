/**
 * Helpers for the browser tests: where Debian's chromium is (scripts/web-install.sh installs it),
 * building the dashboard bundle when a focused run skipped `npm run build:web`, where
 * screenshots go (git-ignored), and a light node joined to the devnet.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { GENESIS_FILE_NAME } from '../../src/chain/service/index.ts'
import { ensureDataDir, readConfigFile, writeConfigFile } from '../../src/node/datadir.ts'

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser']
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SCREENSHOT_DIR = ROOT + 'test-output/screenshots/'
export const SKIP_NO_CHROMIUM = 'chromium not installed: run scripts/web-install.sh as root'

export function findChromium(): string | null {
  const fromEnv = process.env.KITH_CHROMIUM
  if (fromEnv != null && fromEnv !== '' && existsSync(fromEnv)) return fromEnv
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null
}

/** Build web/dist (esbuild, well under a second) so the API server has a page to serve. */
export function buildDashboard(): void {
  const r = spawnSync(process.execPath, [ROOT + 'scripts/build-web.ts'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`build:web failed: ${r.stderr}`)
}

export async function screenshotDir(): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  return SCREENSHOT_DIR
}

/** Chromium's flags: root in CI cannot use the setuid sandbox; no GPU on these machines. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']

export interface LightNode {
  api: string
  peerId: string
  dataDir: string
  stop(): Promise<void>
}

/**
 * A light node (headers only; balances and inclusion from proofs) joined to a running devnet:
 * node 0's config and genesis with its own ports, `chain.light`, no mining and no trading.
 * Resolves on its ready line; the caller stops it.
 */
export async function startLightNode(
  baseDir: string,
  seed: { dataDir: string; peerId: string; listen: string[] },
  ports: { api: number; tcp: number },
): Promise<LightNode> {
  const dataDir = await ensureDataDir(join(baseDir, 'light'))
  await copyFile(join(seed.dataDir, GENESIS_FILE_NAME), join(dataDir, GENESIS_FILE_NAME))
  const config = await readConfigFile(seed.dataDir)
  await writeConfigFile(dataDir, {
    ...config,
    listen: [`/ip4/127.0.0.1/tcp/${ports.tcp}`],
    bootstrap: seed.listen.map((a) => `${a}/p2p/${seed.peerId}`),
    api: { enabled: true, host: '127.0.0.1', port: ports.api, auth: true },
    chain: { mine: false, minerAddress: '', light: true },
    trade: { ...(config.trade as object), enabled: false },
  })
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KITH_')))
  const proc = spawn(process.execPath, [ROOT + 'src/cli/main.ts', 'start', '--data-dir', dataDir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  })
  const stderr: string[] = []
  createInterface({ input: proc.stderr }).on('line', (l) => stderr.length < 50 && stderr.push(l))
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  const stop = async (): Promise<void> => {
    if (proc.exitCode == null && proc.signalCode == null) proc.kill('SIGTERM')
    await exited
  }
  const ready = await Promise.race([
    new Promise<{ api: string; peerId: string }>((resolve) =>
      createInterface({ input: proc.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return
        const v = JSON.parse(line) as { event?: string; api?: string; peerId?: string }
        if (v.event === 'ready' && v.api != null && v.peerId != null)
          resolve({ api: v.api, peerId: v.peerId })
      }),
    ),
    exited.then((code) => {
      throw new Error(`light node exited with ${String(code)} before it was ready: ${stderr.join('\n')}`)
    }),
  ])
  return { ...ready, dataDir, stop }
}
