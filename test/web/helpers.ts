/**
 * Helpers for the browser tests: where Debian's chromium is (scripts/web-install.sh installs it),
 * building the dashboard bundle when a focused run skipped `npm run build:web`, and where
 * screenshots go (git-ignored).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

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
