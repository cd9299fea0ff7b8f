/**
 * The web dashboard's files, served at `/` by the API server: the bundle `npm run build:web`
 * writes to web/dist. Only the files named below are served (no path from the request ever
 * reaches the filesystem), each with its content type and headers that keep the page in its own
 * origin: a strict Content-Security-Policy (scripts, styles and connections only from this
 * origin), no framing, no referrer. Missing bundle: 503 DASHBOARD_NOT_BUILT naming the command.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { MAX_DASHBOARD_ASSET_BYTES } from './constants.ts'

/** Where `npm run build:web` puts the bundle (git-ignored). */
export const DASHBOARD_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url))

/** URL path -> file in DASHBOARD_DIST_DIR and its content type. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
}

/**
 * `img-src data:` carries the QR code; `blob:` previews a picked file before upload; the
 * gateway (/ipfs/) is this origin, so `'self'` covers content previews.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

export interface StaticOptions {
  /** @default DASHBOARD_DIST_DIR */
  dir?: string
}

export function registerDashboard(app: FastifyInstance, options: StaticOptions = {}): void {
  const dir = options.dir ?? DASHBOARD_DIST_DIR
  for (const [url, asset] of Object.entries(ASSETS)) {
    app.get(url, async (_request, reply) => serveAsset(reply, dir, asset.file, asset.type))
  }
}

async function serveAsset(reply: FastifyReply, dir: string, file: string, type: string): Promise<void> {
  let body: Buffer
  try {
    body = await readFile(dir + file)
  } catch {
    await reply
      .code(503)
      .type('application/json; charset=utf-8')
      .send({
        error: {
          code: 'DASHBOARD_NOT_BUILT',
          message: `the dashboard is not built (no ${file} in ${dir}): run "npm run build:web"`,
        },
      })
    return
  }
  if (body.length > MAX_DASHBOARD_ASSET_BYTES) {
    await reply
      .code(500)
      .type('application/json; charset=utf-8')
      .send({
        error: {
          code: 'DASHBOARD_ASSET_TOO_LARGE',
          message: `${file} is ${body.length} bytes; at most ${MAX_DASHBOARD_ASSET_BYTES} are served`,
        },
      })
    return
  }
  await reply
    .type(type)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', DASHBOARD_CSP)
    .send(body)
}
