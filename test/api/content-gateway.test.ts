/**
 * The content HTTP surface on a real node: streaming upload, the /ipfs gateway (content type,
 * ranges, listings, raw blocks and CARs a CAR reader verifies), the JSON content routes, and the
 * CLI commands driven in-process against the same API.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CarReader } from '@ipld/car'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { createApiClient, createApiServer, type ApiServer } from '../../src/api/index.ts'
import { nodeEventSchema } from '../../src/api/routes.ts'
import { runCli } from '../../src/cli/main.ts'
import type { CliIo } from '../../src/cli/output.ts'
import { silentLogger } from '../../src/core/logger.ts'
import type { KithNode } from '../../src/node/index.ts'
import type { NodeContent } from '../../src/node/content.ts'
import { removeDirs, startNode, tempDir } from '../helpers/nodes.ts'
import { bytesFor } from '../content/helpers.ts'

const TOKEN = 'c'.repeat(64)
const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

function captureIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env: { KITH_API_TOKEN: TOKEN } as NodeJS.ProcessEnv,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
  }
  return io
}

describe('content over HTTP and the CLI', () => {
  let node: KithNode
  let server: ApiServer
  let work: string
  let folderCid: string
  let fileCid: string
  const text = 'hello gateway, this is a text file with some bytes in it\n'
  const big = bytesFor('gateway-big', 3 * 1024 * 1024 + 17)

  before(async () => {
    node = await startNode()
    server = createApiServer({ node, host: '127.0.0.1', port: 0, token: TOKEN, logger: silentLogger() })
    await server.start()
    work = await tempDir('kith-gw-')
    const folder = join(work, 'site')
    await mkdir(join(folder, 'sub'), { recursive: true })
    await writeFile(join(folder, 'readme.txt'), text)
    await writeFile(join(folder, 'sub', 'big.bin'), big)
    folderCid = (await contentOf(node).addPath(folder)).cid
    fileCid = (await contentOf(node).addPath(join(folder, 'sub', 'big.bin'))).cid
  })
  after(async () => {
    await server.stop()
    await node.stop()
    await removeDirs([work, node.dataDir])
  })

  it('serves a file with its content type, and a byte range', async () => {
    const res = await fetch(`${server.url}/ipfs/${folderCid}/readme.txt`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal(await res.text(), text)

    const ranged = await fetch(`${server.url}/ipfs/${fileCid}`, {
      headers: { range: 'bytes=1048570-1048589' },
    })
    assert.equal(ranged.status, 206)
    assert.equal(ranged.headers.get('content-range'), `bytes 1048570-1048589/${big.length}`)
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), Buffer.from(big.subarray(1048570, 1048590)))

    const bad = await fetch(`${server.url}/ipfs/${fileCid}`, {
      headers: { range: `bytes=${big.length + 5}-` },
    })
    assert.equal(bad.status, 416)
  })

  it('lists a directory', async () => {
    const res = await fetch(`${server.url}/ipfs/${folderCid}`)
    assert.equal(res.status, 200)
    const html = await res.text()
    assert.match(html, /readme\.txt/)
    assert.match(html, /href="\/ipfs\/[^"]+\/sub"/)
  })

  it("redirects a directory URL to its slash form and serves a directory's index.html", async () => {
    const site = join(work, 'www')
    await mkdir(site, { recursive: true })
    await writeFile(join(site, 'index.html'), '<h1>home</h1>')
    await writeFile(join(site, 'style.css'), 'h1 {}')
    const siteCid = (await contentOf(node).addPath(site)).cid
    const bare = await fetch(`${server.url}/ipfs/${siteCid}?x=1`, { redirect: 'manual' })
    assert.equal(bare.status, 301)
    assert.equal(bare.headers.get('location'), `/ipfs/${siteCid}/?x=1`)
    const home = await fetch(`${server.url}/ipfs/${siteCid}/`)
    assert.equal(home.status, 200)
    assert.match(home.headers.get('content-type') ?? '', /^text\/html/)
    assert.equal(await home.text(), '<h1>home</h1>')
    // without an index.html, the slash form is the listing
    const listing = await fetch(`${server.url}/ipfs/${folderCid}/`)
    assert.match(await listing.text(), /Index of/)
  })

  it('answers raw blocks and CARs that verify', async () => {
    const raw = await fetch(`${server.url}/ipfs/${folderCid}?format=raw`)
    assert.equal(raw.headers.get('content-type'), 'application/vnd.ipld.raw')
    const block = new Uint8Array(await raw.arrayBuffer())
    const cid = CID.parse(folderCid)
    assert.deepEqual(createHash('sha256').update(block).digest(), Buffer.from(cid.multihash.digest))

    const car = await fetch(`${server.url}/ipfs/${folderCid}/sub/big.bin`, {
      headers: { accept: 'application/vnd.ipld.car' },
    })
    assert.match(car.headers.get('content-type') ?? '', /^application\/vnd\.ipld\.car/)
    const reader = await CarReader.fromBytes(new Uint8Array(await car.arrayBuffer()))
    const store = new MemoryBlockstore()
    for await (const b of reader.blocks()) {
      assert.deepEqual(
        createHash('sha256').update(b.bytes).digest(),
        Buffer.from(b.cid.multihash.digest),
        `block ${b.cid.toString()} verifies`,
      )
      await store.put(b.cid, b.bytes)
    }
    const entry = await exporter(`${folderCid}/sub/big.bin`, store)
    assert.equal(entry.type, 'file')
    if (entry.type !== 'file') return
    const chunks: Uint8Array[] = []
    for await (const c of entry.content()) chunks.push(c)
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(big))
  })

  it('says where a malformed CID is malformed; a missing path is PATH_NOT_FOUND', async () => {
    const bad = await fetch(`${server.url}/ipfs/bafyb!ad`)
    assert.equal(bad.status, 400)
    const body = (await bad.json()) as { error: { code: string; message: string } }
    assert.equal(body.error.code, 'INVALID_CID')
    assert.match(body.error.message, /position|character|offset/i)

    const missing = await fetch(`${server.url}/ipfs/${folderCid}/nope.txt`)
    assert.equal(missing.status, 404)
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'PATH_NOT_FOUND')
  })

  it('serves every gateway answer sandboxed away from the dashboard origin', async () => {
    for (const url of [
      `/ipfs/${folderCid}/readme.txt`,
      `/ipfs/${folderCid}/`,
      `/ipfs/${folderCid}`,
      '/ipfs/bafyb!ad',
    ]) {
      const res = await fetch(`${server.url}${url}`, { redirect: 'manual' })
      await res.arrayBuffer()
      const csp = res.headers.get('content-security-policy') ?? ''
      assert.match(csp, /^sandbox;/, `${url} answered without the sandbox CSP`)
      assert.match(csp, /script-src 'none'/)
    }
  })

  const folderForm = (files: [string, string][]): FormData => {
    const form = new FormData()
    for (const [path, body] of files) form.append('file', new Blob([body]), path)
    return form
  }
  const postFolder = (body: FormData | string, token: string | null = TOKEN, type?: string) =>
    fetch(`${server.url}/api/v1/content/folder`, {
      method: 'POST',
      headers: {
        ...(token == null ? {} : { authorization: `Bearer ${token}` }),
        ...(type == null ? {} : { 'content-type': type }),
      },
      body,
    })
  const errorCode = async (res: Response): Promise<string> =>
    ((await res.json()) as { error: { code: string } }).error.code

  it('takes a folder upload (multipart, relative paths) and serves it by path', async () => {
    const big = bytesFor('folder-big', 300_000).toString()
    const res = await postFolder(
      folderForm([
        ['site/index.txt', 'home\n'],
        ['site/css/a b.css', 'h1 {}'],
        ['site/.well-known/x', 'dot'],
        ['site/data/deep/big.txt', big],
      ]),
    )
    assert.equal(res.status, 200)
    const added = (await res.json()) as { cid: string; files: number; directories: number }
    assert.equal(added.files, 4)
    // The picked folder ("site") is the root.
    assert.equal(await (await fetch(`${server.url}/ipfs/${added.cid}/index.txt`)).text(), 'home\n')
    assert.equal(await (await fetch(`${server.url}/ipfs/${added.cid}/css/a%20b.css`)).text(), 'h1 {}')
    assert.equal(await (await fetch(`${server.url}/ipfs/${added.cid}/.well-known/x`)).text(), 'dot')
    assert.equal(await (await fetch(`${server.url}/ipfs/${added.cid}/data/deep/big.txt`)).text(), big)
    const pins = (await (await fetch(`${server.url}/api/v1/content/pins`)).json()) as {
      pins: { cid: string }[]
    }
    assert.ok(pins.pins.some((p) => p.cid === added.cid))

    // Top-level files of different names stay wrapped in one folder.
    const loose = await postFolder(
      folderForm([
        ['a.txt', 'a'],
        ['b.txt', 'b'],
      ]),
    )
    const { cid } = (await loose.json()) as { cid: string }
    assert.equal(await (await fetch(`${server.url}/ipfs/${cid}/b.txt`)).text(), 'b')
  })

  it('refuses bad folder uploads with their codes and leaves no spool behind', async () => {
    assert.equal(await errorCode(await postFolder(folderForm([['a/b', 'x']]), null)), 'AUTH_REQUIRED')
    const cases: { id: string; body: FormData | string; type?: string; status: number; code: string }[] = [
      {
        id: 'dot-dot',
        body: folderForm([['site/../../etc/x', 'x']]),
        status: 400,
        code: 'INVALID_UPLOAD_PATH',
      },
      { id: 'absolute', body: folderForm([['/etc/x', 'x']]), status: 400, code: 'INVALID_UPLOAD_PATH' },
      { id: 'backslash', body: folderForm([['a\\b', 'x']]), status: 400, code: 'INVALID_UPLOAD_PATH' },
      {
        id: 'twice',
        body: folderForm([
          ['d/a', 'x'],
          ['d/a', 'y'],
        ]),
        status: 409,
        code: 'DUPLICATE_UPLOAD_PATH',
      },
      {
        id: 'file-and-dir',
        body: folderForm([
          ['d/a', 'x'],
          ['d/a/b', 'y'],
        ]),
        status: 409,
        code: 'DUPLICATE_UPLOAD_PATH',
      },
      { id: 'empty', body: new FormData(), status: 400, code: 'EMPTY_UPLOAD' },
      { id: 'not-multipart', body: 'x', type: 'multipart/form-data', status: 400, code: 'INVALID_MULTIPART' },
      {
        id: 'truncated',
        body: '--zz\r\ncontent-disposition: form-data; name="file"; filename="a/b"\r\n\r\nabc',
        type: 'multipart/form-data; boundary=zz',
        status: 400,
        code: 'INVALID_MULTIPART',
      },
    ]
    for (const c of cases) {
      const res = await postFolder(c.body, TOKEN, c.type)
      assert.equal(res.status, c.status, c.id)
      assert.equal(await errorCode(res), c.code, c.id)
    }
    assert.deepEqual(await readdir(join(node.dataDir, 'upload-spool')), [])
  })

  it('takes a streaming upload with the token, refuses one without', async () => {
    const bytes = bytesFor('upload', 200_000)
    const denied = await fetch(`${server.url}/api/v1/content`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    })
    assert.equal(denied.status, 401)
    const res = await fetch(`${server.url}/api/v1/content?profile=unixfs-v0-2015`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${TOKEN}` },
      body: bytes,
    })
    assert.equal(res.status, 200)
    const { cid } = (await res.json()) as { cid: string }
    assert.match(cid, /^Qm/, 'the v0 profile gives a CIDv0')
    const back = await fetch(`${server.url}/ipfs/${cid}`)
    assert.deepEqual(Buffer.from(await back.arrayBuffer()), Buffer.from(bytes))
  })

  it('streams content events that match the shared event schema (added, progress, removed)', async () => {
    const client = createApiClient({ url: server.url, token: TOKEN })
    const ac = new AbortController()
    // Once the headers arrive the server has subscribed this stream to the node's events.
    const res = await fetch(`${server.url}/api/v1/events`, { signal: ac.signal })
    const seen: string[] = []
    const following = (async () => {
      let buffer = ''
      try {
        for await (const chunk of res.body!) {
          buffer += Buffer.from(chunk).toString()
          let nl: number
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl)
            buffer = buffer.slice(nl + 1)
            if (!line.startsWith('data:')) continue
            const event = nodeEventSchema.parse(JSON.parse(line.slice(5)))
            seen.push(event.type)
            if (event.type === 'content:removed') ac.abort()
          }
        }
      } catch (err) {
        if (!ac.signal.aborted) throw err
      }
    })()
    const file = join(work, 'events.bin')
    await writeFile(file, bytesFor('events', 2 * 1024 * 1024))
    const added = await client.call('importContent', { params: {}, body: { path: file, progressId: 'p1' } })
    await client.call('removePin', { params: { cid: added.cid }, body: undefined })
    await following
    assert.ok(seen.includes('content:added'), seen.join(','))
    assert.ok(seen.includes('content:progress'), seen.join(','))
    assert.ok(seen.includes('content:removed'), seen.join(','))
  })

  it('CLI: put, ls, cat, get, pin ls/rm, gc, content status', async () => {
    const api = ['--api', server.url]
    const run = async (...args: string[]): Promise<ReturnType<typeof captureIo> & { code: number }> => {
      const io = captureIo()
      const code = await runCli([...args, ...api], io)
      return Object.assign(io, { code })
    }
    const file = join(work, 'note.txt')
    await writeFile(file, 'a note\n')
    const put = await run('put', file)
    assert.equal(put.code, 0, put.err)
    const cid = put.out.trim()
    assert.match(cid, /^bafk/)
    // this node has no peers: put says at once that nobody was told, in text and in JSON
    assert.match(put.err, /NOT announced.*\[NO_PEERS\]/)
    const putJson = await run('put', file, '--json')
    const [added] = JSON.parse(putJson.out) as Array<{ announce: { status: string; code: string } }>
    assert.equal(added?.announce.status, 'failed')
    assert.equal(added.announce.code, 'NO_PEERS')

    const ls = await run('ls', folderCid)
    assert.match(ls.out, /readme\.txt/)
    assert.match(ls.out, /sub\//)

    const cat = await run('cat', `${folderCid}/readme.txt`)
    assert.equal(cat.out, text)
    const catDir = await run('cat', folderCid, '--json')
    assert.equal(catDir.code, 2, 'a directory is bad usage of cat')
    assert.equal((JSON.parse(catDir.err) as { error: { code: string } }).error.code, 'NOT_A_FILE')
    assert.equal(catDir.out, '', 'no HTML page on stdout')

    const out = join(work, 'got-site')
    const get = await run('get', folderCid, '-o', out)
    assert.equal(get.code, 0, get.err)
    assert.match(get.err, /looking for providers/, 'get says what it waits for before the first block')
    assert.equal(await readFile(join(out, 'readme.txt'), 'utf8'), text)
    const again = await run('get', folderCid, '-o', out)
    assert.notEqual(again.code, 0)
    assert.match(again.err, /\[OUTPUT_EXISTS\]/)
    assert.equal((await run('get', folderCid, '-o', out, '--force')).code, 0)

    assert.match((await run('pin', 'ls')).out, new RegExp(cid))
    assert.equal((await run('pin', 'rm', cid)).code, 0)
    assert.doesNotMatch((await run('pin', 'ls')).out, new RegExp(cid))
    const gc = await run('gc', '--json')
    assert.ok((JSON.parse(gc.out) as { removedBlocks: number }).removedBlocks >= 1)

    const status = await run('content', 'status')
    assert.match(status.out, /provider records/)
    assert.match(status.out, new RegExp(folderCid))
    const providers = await run('providers', folderCid)
    assert.equal(providers.code, 0, providers.err)
    assert.match(providers.out, /announces this CID: yes/)
    assert.match(providers.out, /only private\/loopback addresses announced/)
    const badCid = await run('get', 'bafy!x')
    assert.equal(badCid.code, 2)
  })
})
