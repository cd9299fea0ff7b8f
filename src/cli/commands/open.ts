/**
 * `kith open`: print the dashboard's URL for a running node, with its API token in the URL
 * fragment (`#token=…`). A fragment never leaves the browser (it is not sent in the request), and
 * the page moves it into this tab's sessionStorage and drops it from the address bar.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { KithError } from '../../core/errors.ts'
import { DEFAULT_CONFIG } from '../../node/config.ts'
import { readApiEndpoint, readApiToken } from '../../node/datadir.ts'
import { printJson, type CliIo } from '../output.ts'
import { parseApiUrl, type RemoteOptions } from '../remote.ts'

/** The dashboard URL for a node API URL and token (no token: the page asks for it when needed). */
export function dashboardUrl(apiUrl: string, token: string | null): string {
  const base = apiUrl.replace(/\/+$/, '')
  return token == null ? `${base}/` : `${base}/#token=${encodeURIComponent(token)}`
}

export function registerOpenCommand(program: Command, io: CliIo): void {
  program
    .command('open')
    .description("print the URL of the node's web dashboard, carrying its API token")
    .option('--api <url>', 'API URL of the node (default: from the data dir api.json)')
    .option('--data-dir <dir>', 'data directory of the node (default ./.kith or KITH_DATA_DIR)')
    .option('--json', 'print JSON')
    .action(async (o: RemoteOptions) => {
      const fromEnv =
        io.env.KITH_DATA_DIR != null && io.env.KITH_DATA_DIR !== '' ? io.env.KITH_DATA_DIR : undefined
      const dataDir = resolve(o.dataDir ?? fromEnv ?? DEFAULT_CONFIG.dataDir)
      let api: string
      if (o.api != null) api = parseApiUrl(o.api)
      else {
        const endpoint = await readApiEndpoint(dataDir)
        if (endpoint == null)
          throw new KithError(
            'NODE_NOT_RUNNING',
            `no running Kith node found for data dir ${dataDir} (start one with "kith start", or pass --api URL)`,
            { dataDir },
          )
        api = endpoint.url
      }
      const envToken = io.env.KITH_API_TOKEN
      const token = envToken != null && envToken !== '' ? envToken : await readApiToken(dataDir)
      const url = dashboardUrl(api, token)
      if (o.json === true) return printJson(io, { url })
      io.stdout(`${url}\n`)
    })
}
