/**
 * Content: upload files (picker or drag and drop, with progress), fetch by CID from the network
 * (progress from the node's `content:progress` events), pins, store usage, and a preview of
 * images and text through this node's gateway (/ipfs/<cid>). HTML is never rendered, only shown
 * as text: the gateway shares this page's origin.
 */
import { del, get, post, upload } from '../api.ts'
import { fill, h, kv, link, progressBar, table } from '../dom.ts'
import { bytes, short, time } from '../format.ts'
import { Page, attempt } from '../page.ts'
import type { ContentStatus, FetchResult, Pins } from '../types.ts'

/** Bytes of a text file shown in a preview. */
const PREVIEW_TEXT_BYTES = 4096

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
    const drop = h('div', { class: 'drop', 'data-testid': 'drop-zone' }, 'Drop files here, or ', picker)
    drop.addEventListener('dragover', (e) => {
      e.preventDefault()
      drop.classList.add('over')
    })
    drop.addEventListener('dragleave', () => drop.classList.remove('over'))
    drop.addEventListener('drop', (e) => {
      e.preventDefault()
      drop.classList.remove('over')
      for (const f of e.dataTransfer?.files ?? []) void this.#upload(f)
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
        void this.#refresh()
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

  async #upload(file: File): Promise<void> {
    const bar = h('div', {}, progressBar(0))
    const row = h(
      'div',
      { class: 'card', 'data-testid': 'upload' },
      h('div', {}, file.name, ' ', h('span', { class: 'muted' }, bytes(file.size))),
      bar,
    )
    this.#uploads.prepend(row)
    const result = await attempt(bar, () =>
      upload(file, (sent, total) =>
        fill(bar, progressBar(total === 0 ? 1 : sent / total), `${bytes(sent)} sent`),
      ),
    )
    if (result == null) return
    fill(
      bar,
      progressBar(1),
      h('span', { class: 'mono', 'data-testid': 'upload-cid' }, result.cid),
      ' ',
      link(`/ipfs/${result.cid}`, 'gateway', ''),
    )
    void this.#showPreview(result.cid, file.name)
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

  async #showPreview(cid: string, name = ''): Promise<void> {
    const res = await fetch(`/ipfs/${cid}`, { headers: { range: `bytes=0-${PREVIEW_TEXT_BYTES - 1}` } })
    if (!this.alive) return
    const type = res.headers.get('content-type') ?? ''
    const head = h(
      'p',
      {},
      link(`/ipfs/${cid}`, short(cid, 16)),
      ' ',
      h('span', { class: 'muted' }, `${type}${name === '' ? '' : ` · ${name}`}`),
    )
    if (!res.ok)
      return fill(this.#preview, head, h('p', { class: 'error' }, `gateway answered ${res.status}`))
    if (type.startsWith('image/')) {
      await res.body?.cancel()
      return fill(this.#preview, head, h('img', { class: 'preview', src: `/ipfs/${cid}`, alt: name || cid }))
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
