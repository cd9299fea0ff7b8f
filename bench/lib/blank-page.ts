/**
 * The dashboard benches' baseline: a blank page served by the same API server (an empty
 * `index.html`, `app.js` and `app.css` in a temporary dist dir). Returns the dir; remove it after.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export async function writeBlankDashboard(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>blank</title><body></body>')
  await writeFile(join(dir, 'app.js'), '')
  await writeFile(join(dir, 'app.css'), '')
  return dir
}
