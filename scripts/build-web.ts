/**
 * Builds the web dashboard: bundles web/src/main.ts (and the one dependency, uqr, for the QR
 * code) into web/dist/app.js with esbuild, and copies index.html, app.css and favicon.svg beside
 * it. The API server serves web/dist at `/` (src/api/static.ts). `npm start` and `npm test` run
 * this first; the output is git-ignored.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../web/', import.meta.url))
const out = root + 'dist/'

await mkdir(out, { recursive: true })
await build({
  entryPoints: [root + 'src/main.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  outfile: out + 'app.js',
  legalComments: 'none',
  logLevel: 'warning',
})
for (const file of ['index.html', 'app.css', 'favicon.svg']) await copyFile(root + file, out + file)
const bytes = (await stat(out + 'app.js')).size
process.stdout.write(`build:web: web/dist/app.js ${bytes} bytes\n`)
