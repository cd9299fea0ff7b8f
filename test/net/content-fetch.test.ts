/**
 * Content over the network with real nodes on loopback: DHT discovery through a third node,
 * byte-identical files and folders, a seeder vanishing mid-transfer, unknown CIDs, resume.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, after } from 'node:test'
import { DEFAULT_CONFIG, type KithNode, type NodeEvent } from '../../src/node/index.ts'
import type { NodeContent } from '../../src/node/content.ts'
import { removeDirs, startNode, stopAll, tcpAddr, tempDir, until, type TestConfig } from '../helpers/nodes.ts'
import { bytesFor } from '../content/helpers.ts'

// eslint-disable-next-line @typescript-eslint/require-await
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

/** Lookup timeout of fetches that should succeed: shorter than the default, long enough for a
 * DHT walk on a loaded 2-core machine (1.5 s was not: NO_PROVIDERS in about 1 of 10 runs). */
const LOOKUP_TIMEOUT_MS = 10_000
/** Lookup timeout where an unknown CID must fail: it fails in about this long. */
const UNKNOWN_LOOKUP_TIMEOUT_MS = 1500

function cfg(extra: TestConfig = {}, lookupMs = LOOKUP_TIMEOUT_MS): TestConfig {
  return {
    content: { ...DEFAULT_CONFIG.content, providerLookupTimeoutMs: lookupMs },
    ...extra,
  }
}

async function connected(a: KithNode, b: KithNode): Promise<void> {
  await a.connect(tcpAddr(b))
  const kad = (n: KithNode, other: KithNode): boolean =>
    n.peers().some((p) => p.peerId === other.peerId && p.protocols.some((x) => x.includes('/kad/')))
  await until('identify both ways', () => kad(a, b) && kad(b, a), { nodes: [a, b] })
}

const dhtTableSize = (n: KithNode): number =>
  (n as unknown as { network: { host: { services: { dht: { routingTable: { size: number } } } } } }).network
    .host.services.dht.routingTable.size

async function announced(node: KithNode, cid: string): Promise<void> {
  await until(
    `provider record for ${cid}`,
    () =>
      contentOf(node)
        .status()
        .provides.some((p) => p.cid === cid && p.lastProvidedMs != null),
    { nodes: [node] },
  )
}

async function treeBytes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const abs = join(d, e.name)
      if (e.isDirectory()) await walk(abs, `${rel}${e.name}/`)
      else out[`${rel}${e.name}`] = (await readFile(abs)).toString('base64')
    }
  }
  await walk(dir, '')
  return out
}

describe('content over the network', () => {
  const nodes: KithNode[] = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs([...dirs, ...nodes.map((n) => n.dataDir)])
  })

  it('C, connected only to B, finds A through the DHT and fetches a 20 MB file and a nested folder', async () => {
    const [a, b] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(a, b)
    await connected(a, b)
    // An add before B is in A's routing table fails NO_DHT_PEERS and is retried only at the next
    // provide round (a minute away): wait for the table, as a user would see `put` warn otherwise.
    await until("B in A's DHT routing table", () => dhtTableSize(a) > 0, { nodes: [a, b] })

    const work = await tempDir('kith-content-net-')
    dirs.push(work)
    const file = join(work, 'big.bin')
    await writeFile(file, bytesFor('twenty', 20 * 1024 * 1024))
    const folder = join(work, 'photos')
    await mkdir(join(folder, 'trip', 'day1'), { recursive: true })
    await writeFile(join(folder, 'readme.txt'), 'hello from A\n')
    await writeFile(join(folder, 'trip', 'day1', 'a.jpg'), bytesFor('a.jpg', 300_000))
    await writeFile(join(folder, 'trip', 'notes.md'), '# notes\n')

    const fileAdded = await contentOf(a).addPath(file)
    const folderAdded = await contentOf(a).addPath(folder)
    await announced(a, fileAdded.cid)
    await announced(a, folderAdded.cid)
    // C joins later and is told only about B.
    const c = await startNode(cfg())
    nodes.push(c)
    await connected(c, b)
    // the DHT adds B to C's routing table a moment after identify; until then C cannot ask it
    await until("B in C's DHT routing table", () => dhtTableSize(c) > 0, { nodes: [b, c] })
    // DHT maintenance may have dialled A already; hang up so the fetch has to find A itself.
    if (c.peers().some((p) => p.peerId === a.peerId)) await c.disconnect(a.peerId)
    assert.equal(
      c.peers().some((p) => p.peerId === a.peerId),
      false,
      'C is not connected to A before the fetch',
    )

    const events: NodeEvent[] = []
    c.subscribe((e) => events.push(e))
    const outFile = join(work, 'fetched.bin')
    const got = await contentOf(c).fetch(fileAdded.cid, { out: outFile })
    assert.ok(events.some((e) => e.type === 'content:fetched' && e.cid === fileAdded.cid))
    assert.deepEqual(await readFile(outFile), await readFile(file))
    assert.ok(got.peers.includes(a.peerId), 'the blocks came from A')
    assert.equal(got.fetchedBytes > 20 * 1024 * 1024, true)

    const outFolder = join(work, 'fetched-photos')
    await contentOf(c).fetch(folderAdded.cid, { out: outFolder })
    assert.deepEqual(await treeBytes(outFolder), await treeBytes(folder))

    // Fetched content is pinned and announced by C too.
    assert.ok(
      contentOf(c)
        .pins()
        .some((p) => p.cid === folderAdded.cid),
    )
    // A path inside the folder, into a target that exists: refused without force.
    await assert.rejects(contentOf(c).fetch(`${folderAdded.cid}/trip/notes.md`, { out: outFolder }), {
      code: 'OUTPUT_EXISTS',
    })
    await assert.rejects(
      contentOf(c).fetch(`${folderAdded.cid}/trip/missing.md`),
      (err: Error & { code?: string; meta?: { segment?: string } }) => {
        assert.equal(err.code, 'PATH_NOT_FOUND')
        assert.equal(err.meta?.segment, 'missing.md')
        return true
      },
    )
  })

  it('an unknown CID fails with NO_PROVIDERS after the lookup timeout, naming the time spent', async () => {
    const [x, y] = await Promise.all([
      startNode(cfg({}, UNKNOWN_LOOKUP_TIMEOUT_MS)),
      startNode(cfg({}, UNKNOWN_LOOKUP_TIMEOUT_MS)),
    ])
    nodes.push(x, y)
    await connected(x, y)
    const nobody = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    await assert.rejects(
      contentOf(x).fetch(nobody),
      (err: Error & { code?: string; meta?: { elapsedMs?: number } }) => {
        assert.equal(err.code, 'NO_PROVIDERS')
        // It names the time spent: at least the lookup timeout (the code gives up only after it).
        assert.ok((err.meta?.elapsedMs ?? 0) >= UNKNOWN_LOOKUP_TIMEOUT_MS, String(err.meta?.elapsedMs))
        return true
      },
    )
    await assert.rejects(contentOf(x).fetch('bafy!notacid'), { code: 'INVALID_CID' })
  })

  it('two seeders hold a 50 MB file; one stops mid-transfer and the fetch completes from the other', async () => {
    const [s1, s2, f] = await Promise.all([startNode(cfg()), startNode(cfg()), startNode(cfg())])
    nodes.push(s1, s2, f)
    const bytes = bytesFor('fifty', 50 * 1024 * 1024)
    const cid1 = (await contentOf(s1).addStream(once(bytes))).cid
    const cid2 = (await contentOf(s2).addStream(once(bytes))).cid
    assert.equal(cid1, cid2)
    await connected(f, s1)
    await connected(f, s2)

    const seeder: { stopped: Promise<void> | null } = { stopped: null }
    const got = await contentOf(f).fetch(cid1, {
      onProgress: (p) => {
        if (seeder.stopped == null && p.fetchedBytes > 10 * 1024 * 1024) seeder.stopped = s1.stop()
      },
    })
    assert.ok(seeder.stopped != null, 'the first seeder was stopped during the transfer')
    await seeder.stopped
    assert.equal(got.cid, cid1)
    const chunks: Uint8Array[] = []
    for await (const chunk of contentOf(f).cat(cid1)) chunks.push(chunk)
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(bytes))
    assert.ok(got.peers.includes(s2.peerId), 'the second seeder served blocks')
    assert.ok(
      got.peers.includes(s1.peerId),
      'both seeders served blocks (downloads from several peers at once)',
    )
  })

  it('fetches the same content again from the same peer after gc removed it', async () => {
    const [s, f] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(s, f)
    const { cid } = await contentOf(s).addStream(once(bytesFor('again', 2 * 1024 * 1024)))
    await connected(f, s)
    await contentOf(f).fetch(cid)
    await contentOf(f).pinRm(cid)
    assert.ok((await contentOf(f).gc()).removedBlocks >= 3)
    const second = await contentOf(f).fetch(cid)
    assert.equal(second.fetchedBlocks, second.blocks, 'every block came over the network again')
  })

  it('a fetch that would pass the storage quota fails with QUOTA_EXCEEDED and pins nothing', async () => {
    const quotaBytes = 1024 * 1024
    const [s, f] = await Promise.all([
      startNode(cfg()),
      startNode({
        content: { ...DEFAULT_CONFIG.content, quotaBytes, providerLookupTimeoutMs: LOOKUP_TIMEOUT_MS },
      }),
    ])
    nodes.push(s, f)
    const { cid } = await contentOf(s).addStream(once(bytesFor('quota', 3 * 1024 * 1024)))
    await connected(f, s)
    await assert.rejects(contentOf(f).fetch(cid), { code: 'QUOTA_EXCEEDED' })
    assert.deepEqual(contentOf(f).pins(), [])
    assert.ok(contentOf(f).repo.blocks.stats().bytesUsed <= quotaBytes)
  })

  it('a node that stops ends its running fetch with an error instead of leaving it hanging', async () => {
    const [s, f] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(s, f)
    const { cid } = await contentOf(s).addStream(once(bytesFor('stopping', 8 * 1024 * 1024)))
    await connected(f, s)
    const stopping: { done: Promise<void> | null } = { done: null }
    await assert.rejects(
      contentOf(f).fetch(cid, {
        onProgress: () => {
          stopping.done ??= f.stop()
        },
      }),
    )
    await stopping.done
  })

  it('an interrupted fetch resumes without fetching the blocks it already stored', async () => {
    const [s, f] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(s, f)
    const bytes = bytesFor('resume', 8 * 1024 * 1024)
    const { cid } = await contentOf(s).addStream(once(bytes))
    await connected(f, s)

    const interrupt = new AbortController()
    await assert.rejects(
      contentOf(f).fetch(cid, {
        signal: interrupt.signal,
        // progress is reported at most every 250 ms: stop at the first report
        onProgress: (p) => {
          if (p.fetchedBlocks >= 1) interrupt.abort()
        },
      }),
    )
    const stored = contentOf(f).repo.blocks.stats().blocks
    assert.ok(stored >= 1, 'some blocks were stored before the interruption')
    const total = await contentOf(f).fetch(cid)
    assert.equal(total.blocks, total.fetchedBlocks + stored, 'stored blocks were read, not fetched again')
    assert.ok(total.fetchedBlocks < total.blocks)
  })
  it('a read retried at once after an aborted read of the same block gets the block', async () => {
    // The resume stall's mechanism, without its timing: a want made while bitswap still held the
    // aborted want's cancelled entry joined that entry and was never sent to any peer.
    const [s, f] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(s, f)
    const { cid } = await contentOf(s).addStream(once(bytesFor('retry', 4096)))
    await connected(f, s)
    const aborted = new AbortController()
    aborted.abort()
    await assert.rejects(contentOf(f).block(cid, aborted.signal))
    assert.ok((await contentOf(f).block(cid)).byteLength > 0)
  })
  it('aborting one of two reads of the same block leaves the other to complete', async () => {
    const [s, f] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(s, f)
    const { cid } = await contentOf(s).addStream(once(bytesFor('shared-want', 4096)))
    await connected(f, s)
    const leaving = new AbortController()
    const staying = contentOf(f).block(cid)
    const left = contentOf(f).block(cid, leaving.signal)
    leaving.abort()
    await assert.rejects(left)
    assert.ok((await staying).byteLength > 0)
  })
  it('a path inside a folder counts only the target as fetched: never more than its own bytes', async () => {
    const [s, f] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(s, f)
    const work = await tempDir('kith-content-path-')
    dirs.push(work)
    await mkdir(join(work, 'site', 'deep'), { recursive: true })
    await writeFile(join(work, 'site', 'deep', 'file.bin'), bytesFor('path-target', 200_000))
    await writeFile(join(work, 'site', 'other.txt'), 'x'.repeat(5000))
    const { cid } = await contentOf(s).addPath(join(work, 'site'))
    await connected(f, s)
    const got = await contentOf(f).fetch(`${cid}/deep/file.bin`)
    // nothing was local: every byte of the target came over the network, and "already here"
    // (bytes - fetchedBytes) is zero, not the size of the directories above it, negated
    assert.equal(got.fetchedBytes, got.bytes)
    assert.equal(got.fetchedBlocks, got.blocks)
  })
  it('ls, stat, cat and raw blocks of content the node lacks come from the network, unpinned', async () => {
    const [s, f] = await Promise.all([startNode(cfg()), startNode(cfg())])
    nodes.push(s, f)
    const work = await tempDir('kith-content-read-')
    dirs.push(work)
    await mkdir(join(work, 'site', 'sub'), { recursive: true })
    await writeFile(join(work, 'site', 'index.html'), '<h1>remote</h1>')
    await writeFile(join(work, 'site', 'sub', 'data.bin'), bytesFor('remote-read', 1_500_000))
    const { cid } = await contentOf(s).addPath(join(work, 'site'))
    await connected(f, s)
    const reader = contentOf(f)
    const names = (await reader.ls(cid)).map((e) => e.name).sort()
    assert.deepEqual(names, ['index.html', 'sub'])
    assert.equal((await reader.stat(`${cid}/sub/data.bin`)).size, 1_500_000)
    const chunks: Uint8Array[] = []
    for await (const c of reader.cat(`${cid}/sub/data.bin`)) chunks.push(c)
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(bytesFor('remote-read', 1_500_000)))
    assert.ok((await reader.block(cid)).byteLength > 0)
    assert.deepEqual(reader.pins(), [], 'reads pin nothing')
    // a CID nobody has still ends, with NO_PROVIDERS
    const nobody = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    await assert.rejects(reader.stat(nobody), { code: 'NO_PROVIDERS' })
  })
})
