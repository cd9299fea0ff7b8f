/**
 * mDNS discovery. Multicast must not leave the machine, so the two nodes run in a network
 * namespace of this test's own whose only interface is loopback (with multicast routed to it).
 * Needs root and iproute2; otherwise the test skips and says which is missing.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

const run = promisify(execFile)
const ns = `kithmdns${process.pid}`
const fixture = fileURLToPath(new URL('./fixtures/mdns-pair.ts', import.meta.url))

async function missing(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'root (network namespaces)'
  try {
    await run('ip', ['-V'])
  } catch {
    return 'the ip command (Debian package iproute2; bash scripts/lab-install.sh installs it)'
  }
  return null
}

describe('mDNS', () => {
  let skip: string | null = null
  before(async () => {
    skip = await missing()
    if (skip != null) return
    await run('ip', ['netns', 'add', ns])
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'multicast', 'on'])
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lo'])
  })
  after(async () => {
    if (skip == null) await run('ip', ['netns', 'del', ns]).catch(() => {})
  })

  it('lets two nodes on one LAN find each other with no bootstrap list', async (t) => {
    if (skip != null) {
      t.skip(`needs ${skip}`)
      return
    }
    const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, fixture], { timeout: 60_000 })
    assert.match(stdout, /connected/)
  })
})
