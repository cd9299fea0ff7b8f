/**
 * Content: upload files and folders (pickers or drag and drop, with progress; a folder goes to
 * POST /content/folder as one UnixFS directory), fetch by CID from the network
 * (progress from the node's `content:progress` events), pins, store usage, and a preview of
 * images and text through this node's gateway (/ipfs/<cid>). HTML is never rendered, only shown
 * as text: the gateway shares this page's origin.
 */
import { del, errorBox, get, post, upload, uploadFolder, type UploadResult } from '../api.ts'
import { dropped, pickedFolder, type FolderFile } from '../folder.ts'
import { fill, h, kv, link, progressBar, table } from '../dom.ts'
import { bytes, short, time } from '../format.ts'
import { Page, attempt } from '../page.ts'
import type { ContentStatus, FetchResult, Pins } from '../types.ts'

/** Bytes of a text file shown in a preview. */
const PREVIEW_TEXT_BYTES = 4096
/** Upload rows kept on the page (newest first); older ones are dropped. */
const MAX_UPLOAD_ROWS = 20
/** Entries of a folder shown in its preview. */
const MAX_LISTING_ROWS = 200

interface LsEntry {
  name: string
  cid: string
  type: string
  size: number
}

export class ContentPage extends Page {
  #uploads = h('div', { 'data-testid': 'uploads' })
  #fetch = h('div', { 'data-testid': 'fetch-result' })
  #preview = h('div', { 'data-testid': 'preview' })
  #pins = h('div', {})
  #store = h('div', {})
  #fetchId: string | null = null
  #fetchBar: HTMLElement | null = null

  protected async render(): Promise<void> {
    const picker = h('input', { type: 'file', multiple: true, 'data-testid': 'upload-input' })
    picker.addEventListener('change', () => {
      for (const f of picker.files ?? []) void this.#upload(f)
      picker.value = ''
    })
    const folderPicker = h('input', {
      type: 'file',
      webkitdirectory: true,
      'data-testid': 'upload-folder-input',
    })
    folderPicker.addEventListener('change', () => {
      const files = folderPicker.files
      if (files != null && files.length > 0) {
        try {
          const list = pickedFolder(files)
          void this.#uploadFolder(list[0]!.path.split('/')[0] ?? 'folder', list)
        } catch (err) {
          this.#uploads.prepend(errorBox(err))
        }
      }
      folderPicker.value = ''
    })
    const drop = h(
      'div',
      { class: 'drop', 'data-testid': 'drop-zone' },
      'Drop files or folders here, or pick files ',
      picker,
      ' or a folder ',
      folderPicker,
    )
    drop.addEventListener('dragover', (e) => {
      e.preventDefault()
      drop.classList.add('over')
    })
    drop.addEventListener('dragleave', () => drop.classList.remove('over'))
    drop.addEventListener('drop', (e) => {
      e.preventDefault()
      drop.classList.remove('over')
      if (e.dataTransfer == null) return
      dropped(e.dataTransfer).then(
        ({ folders, files }) => {
          for (const f of folders) void this.#uploadFolder(f.name, f.files)
          for (const f of files) void this.#upload(f)
        },
        (err: unknown) => this.#uploads.prepend(errorBox(err)),
      )
    })
    const cid = h('input', {
      name: 'cid',
      size: 64,
      placeholder: 'bafy… or Qm… (optionally /path)',
      required: true,
      'data-testid': 'fetch-input',
    })
    const fetchForm = h(
      'form',
      { class: 'row', 'data-testid': 'fetch-form' },
      cid,
      h('button', { type: 'submit', class: 'primary' }, 'Fetch'),
    )
    fetchForm.addEventListener('submit', (e) => {
      e.preventDefault()
      void this.#fetchCid(cid.value.trim())
    })
    this.replaceChildren(
      h('h1', {}, 'Content'),
      h(
        'div',
        { class: 'grid' },
        this.section('Upload', h('div', {}, drop, this.#uploads), 'content-upload'),
        this.section('Fetch by CID', h('div', {}, fetchForm, this.#fetch), 'content-fetch'),
        this.section('Preview', this.#preview, 'content-preview'),
        this.section('Store', this.#store, 'content-store'),
      ),
      h('h2', {}, 'Pins'),
      this.#pins,
    )
    await this.#refresh()
    const refresh = this.coalesced(() => this.#refresh())
    this.listen((e) => {
      if (
        e.type === 'content:progress' &&
        e.fetchId != null &&
        e.fetchId === this.#fetchId &&
        this.#fetchBar != null
      )
        fill(
          this.#fetchBar,
          progressBar(e.totalBytes == null || e.totalBytes === 0 ? 0 : e.bytes / e.totalBytes),
          `${bytes(e.bytes)}${e.totalBytes == null ? '' : ` of ${bytes(e.totalBytes)}`} from ${e.peers} peers`,
        )
      if (e.type === 'content:added' || e.type === 'content:removed' || e.type === 'content:fetched')
        refresh()
    })
  }

  async #refresh(): Promise<void> {
    const [pins, status] = await Promise.all([
      get<Pins>('/content/pins'),
      get<ContentStatus>('/content/status'),
    ])
    if (!this.alive) return
    const st = status.store
    fill(
      this.#store,
      progressBar(st.quotaBytes === 0 ? 0 : st.bytesUsed / st.quotaBytes),
      kv([
        ['used', `${bytes(st.bytesUsed)} of ${bytes(st.quotaBytes)}`],
        ['blocks', String(st.blocks)],
        ['pins', String(status.pins)],
        ['fetches', String(status.activeFetches)],
      ]),
    )
    fill(
      this.#pins,
      pins.pins.length === 0
        ? h('p', { class: 'muted' }, 'nothing pinned')
        : table(
            ['cid', 'pinned', ''],
            pins.pins.map((p) => [
              h(
                'a',
                {
                  href: '#',
                  class: 'mono',
                  onclick: (e: Event) => (e.preventDefault(), void this.#showPreview(p.cid)),
                },
                p.cid,
              ),
              time(p.addedMs),
              h(
                'button',
                {
                  type: 'button',
                  onclick: () =>
                    void attempt(this.#fetch, () => del(`/content/pins/${encodeURIComponent(p.cid)}`)).then(
                      () => this.#refresh(),
                    ),
                },
                'Unpin',
              ),
            ]),
            'pins-table',
          ),
    )
  }

  /** A row with a progress bar for one upload, newest first, at most MAX_UPLOAD_ROWS kept. */
  async #track(label: string, size: number, run: (bar: HTMLElement) => Promise<UploadResult>) {
    const bar = h('div', {}, progressBar(0))
    const row = h(
      'div',
      { class: 'card', 'data-testid': 'upload' },
      h('div', {}, label, ' ', h('span', { class: 'muted' }, bytes(size))),
      bar,
    )
    this.#uploads.prepend(row)
    while (this.#uploads.childElementCount > MAX_UPLOAD_ROWS) this.#uploads.lastElementChild?.remove()
    const result = await attempt(bar, () => run(bar))
    if (result == null) return null
    fill(
      bar,
      progressBar(1),
      h('span', { class: 'mono', 'data-testid': 'upload-cid' }, result.cid),
      ' ',
      link(`/ipfs/${result.cid}`, 'gateway', ''),
    )
    return result
  }

  async #upload(file: File): Promise<void> {
    const result = await this.#track(file.name, file.size, (bar) =>
      upload(file, (sent, total) =>
        fill(bar, progressBar(total === 0 ? 1 : sent / total), `${bytes(sent)} sent`),
      ),
    )
    if (result != null) void this.#showPreview(result.cid, file.name)
  }

  async #uploadFolder(name: string, files: FolderFile[]): Promise<void> {
    const size = files.reduce((n, f) => n + f.file.size, 0)
    const result = await this.#track(`${name}/ (${files.length} files)`, size, (bar) =>
      uploadFolder(files, (sent, total) =>
        fill(
          bar,
          progressBar(total === 0 ? 1 : sent / total),
          `${bytes(sent)} of ${bytes(total)} sent`,
          h('span', { 'data-testid': 'upload-progress', 'data-fraction': total === 0 ? 1 : sent / total }),
        ),
      ),
    )
    if (result != null) void this.#showPreview(result.cid, `${name}/`)
  }

  async #fetchCid(path: string): Promise<void> {
    this.#fetchId = `web-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`
    this.#fetchBar = h('div', {}, progressBar(0), 'asking the network…')
    fill(this.#fetch, this.#fetchBar)
    const errors = h('div', {})
    this.#fetch.append(errors)
    const r = await attempt(errors, () =>
      post<FetchResult>('/content/fetch', { path, pin: true, fetchId: this.#fetchId! }),
    )
    this.#fetchId = null
    if (r == null || !this.alive) return
    fill(
      this.#fetch,
      progressBar(1),
      kv([
        ['cid', h('span', { class: 'mono', 'data-testid': 'fetched-cid' }, r.cid)],
        ['size', `${bytes(r.bytes)} in ${r.blocks} blocks`],
        [
          'from the network',
          `${bytes(r.fetchedBytes)} (${r.fetchedBlocks} blocks) from ${r.peers.length} peers`,
        ],
        ['took', `${r.elapsedMs} ms`],
      ]),
    )
    await this.#showPreview(r.cid)
  }

  /** Preview `cid[/path]`: an image, the start of a text file, or a folder's entries. */
  async #showPreview(cid: string, name = ''): Promise<void> {
    const url = `/ipfs/${cid.split('/').map(encodeURIComponent).join('/')}`
    const res = await fetch(url, { headers: { range: `bytes=0-${PREVIEW_TEXT_BYTES - 1}` } })
    if (!this.alive) return
    const type = res.headers.get('content-type') ?? ''
    const head = h(
      'p',
      {},
      link(url, short(cid, 16)),
      ' ',
      h('span', { class: 'muted' }, `${type}${name === '' ? '' : ` · ${name}`}`),
    )
    if (!res.ok)
      return fill(this.#preview, head, h('p', { class: 'error' }, `gateway answered ${res.status}`))
    if (res.redirected || res.url.endsWith('/')) {
      // A directory (the gateway sends its slash form): list its entries from the API.
      await res.body?.cancel()
      const errors = h('div', {})
      fill(this.#preview, head, errors)
      const ls = await attempt(errors, () => post<{ entries: LsEntry[] }>('/content/ls', { path: cid }))
      if (ls == null || !this.alive) return
      return fill(
        this.#preview,
        head,
        table(
          ['name', 'type', 'size', 'cid'],
          ls.entries.slice(0, MAX_LISTING_ROWS).map((e) => [
            h(
              'a',
              {
                href: '#',
                onclick: (ev: Event) => (
                  ev.preventDefault(),
                  void this.#showPreview(`${cid}/${e.name}`, e.name)
                ),
              },
              e.name,
            ),
            e.type,
            bytes(e.size),
            h('span', { class: 'mono' }, short(e.cid, 10)),
          ]),
          'folder-listing',
        ),
        ls.entries.length > MAX_LISTING_ROWS
          ? h('p', { class: 'muted' }, `and ${ls.entries.length - MAX_LISTING_ROWS} more`)
          : '',
      )
    }
    if (type.startsWith('image/')) {
      await res.body?.cancel()
      return fill(this.#preview, head, h('img', { class: 'preview', src: url, alt: name || cid }))
    }
    if (type.startsWith('text/') || type.startsWith('application/json')) {
      return fill(
        this.#preview,
        head,
        h('pre', { class: 'preview', 'data-testid': 'preview-text' }, await res.text()),
      )
    }
    await res.body?.cancel()
    fill(
      this.#preview,
      head,
      h('p', { class: 'muted' }, 'no preview for this type; open it through the gateway'),
    )
  }
}
