/**
 * The dashboard's HTTP client for this node's API (same origin). Mutating requests carry the API
 * token as `Authorization: Bearer`, exactly as the CLI's client does; the token lives in this
 * tab's sessionStorage only and is never sent anywhere but this origin. Every non-2xx answer
 * becomes an ApiFailure with the API's `code` and `message`, which the pages show as they are.
 */
import { h } from './dom.ts'

export const API = '/api/v1'
const TOKEN_KEY = 'kith-api-token'

export class ApiFailure extends Error {
  readonly status: number
  readonly code: string

  constructor(status: number, code: string, message: string) {
    super(message)
    this.name = 'ApiFailure'
    this.status = status
    this.code = code
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY)
}

export function setToken(token: string | null): void {
  if (token == null || token === '') sessionStorage.removeItem(TOKEN_KEY)
  else sessionStorage.setItem(TOKEN_KEY, token)
}

/** Read `#token=…` once (what `kith open` prints), keep it, and drop it from the address bar. */
export function takeTokenFromFragment(): void {
  const m = /^#token=([^&]+)(?:&(.*))?$/.exec(location.hash)
  if (m == null) return
  setToken(decodeURIComponent(m[1]!))
  history.replaceState(null, '', location.pathname + (m[2] != null ? `#${m[2]}` : '#/status'))
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken()
  return token == null ? extra : { ...extra, authorization: `Bearer ${token}` }
}

async function failureOf(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } }
    return new ApiFailure(
      res.status,
      body.error?.code ?? `HTTP_${res.status}`,
      body.error?.message ?? res.statusText,
    )
  } catch {
    return new ApiFailure(res.status, `HTTP_${res.status}`, res.statusText)
  }
}

export async function request<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response
  try {
    res = await fetch(API + path, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch (err) {
    throw new ApiFailure(0, 'API_UNREACHABLE', `the node's API did not answer: ${String(err)}`)
  }
  if (!res.ok) throw await failureOf(res)
  return (await res.json()) as T
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path)
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body ?? {})
export const del = <T>(path: string): Promise<T> => request<T>('DELETE', path)

export async function getText(path: string): Promise<string> {
  const res = await fetch(API + path, { headers: headers() })
  if (!res.ok) throw await failureOf(res)
  return await res.text()
}

/** POST a body with XMLHttpRequest, reporting bytes sent (fetch has no upload progress). */
function send(
  path: string,
  body: Blob | FormData,
  contentType: string | null,
  onProgress: (sent: number, total: number) => void,
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', API + path)
    for (const [k, v] of Object.entries(headers(contentType == null ? {} : { 'content-type': contentType })))
      xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total)
    xhr.onerror = () => reject(new ApiFailure(0, 'API_UNREACHABLE', 'the upload did not reach the node'))
    xhr.onload = () => {
      let body: { error?: { code?: string; message?: string } } & Partial<UploadResult> = {}
      try {
        body = JSON.parse(xhr.responseText) as typeof body
      } catch {
        /* not JSON: reported below by status */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as UploadResult)
      else
        reject(
          new ApiFailure(
            xhr.status,
            body.error?.code ?? `HTTP_${xhr.status}`,
            body.error?.message ?? xhr.statusText,
          ),
        )
    }
    xhr.send(body)
  })
}

/** Upload one file as the raw body of POST /content. */
export function upload(file: Blob, onProgress: (sent: number, total: number) => void): Promise<UploadResult> {
  return send('/content', file, 'application/octet-stream', onProgress)
}

/**
 * Upload a folder to POST /content/folder: multipart, one `file` part per file named by its
 * relative path (the browser streams the files from disk and sets the boundary itself).
 */
export function uploadFolder(
  files: { file: Blob; path: string }[],
  onProgress: (sent: number, total: number) => void,
): Promise<UploadResult> {
  const form = new FormData()
  for (const f of files) form.append('file', f.file, f.path)
  return send('/content/folder', form, null, onProgress)
}

export interface UploadResult {
  cid: string
  bytes: number
  files: number
  directories: number
}

/** The box every page shows for a failure: the API's code, then its message. */
export function errorBox(err: unknown): HTMLElement {
  const f =
    err instanceof ApiFailure
      ? err
      : new ApiFailure(0, 'CLIENT_ERROR', err instanceof Error ? err.message : String(err))
  return h(
    'div',
    { class: 'error', role: 'alert', 'data-testid': 'error', 'data-code': f.code },
    h('code', {}, f.code),
    ' ',
    f.message,
    f.code === 'AUTH_REQUIRED' || f.code === 'AUTH_INVALID'
      ? ' — set the token with the "token" button.'
      : '',
  )
}
