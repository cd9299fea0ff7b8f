/**
 * The content repo in a data dir: blockstore + pins + gc wired together, with imports that pin
 * their root under the gc lock and an automatic gc when usage passes the high-water mark.
 */
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { errorMessage } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { SqliteBlockstore, type SqliteBlockstoreInit } from './blockstore.ts'
import { gc, type GcOptions, type GcResult } from './gc.ts'
import { importBytes, importPath, importStream, type ImportOptions, type ImportResult } from './importer.ts'
import { PinStore } from './pins.ts'

export interface ContentRepoInit extends Omit<SqliteBlockstoreInit, 'onHighWater'> {
  /** Run gc on its own when usage passes the high-water mark. @default true */
  autoGc?: boolean
  /** Told about automatic gc runs and their failures. */
  log?: Pick<Logger, 'info' | 'warn'>
  /** Time source for pin timestamps. @default Date.now */
  nowMs?: () => number
}

export interface AddOptions extends ImportOptions {
  /** Pin the root so gc keeps it. @default true */
  pin?: boolean
}

export class ContentRepo {
  readonly blocks: SqliteBlockstore
  readonly pins: PinStore
  private readonly nowMs: () => number
  private readonly log: Pick<Logger, 'info' | 'warn'> | undefined
  private autoGcRun: Promise<void> | null = null

  /** Open `<dataDir>/content/blocks.db`. */
  constructor(dataDir: string, init: ContentRepoInit = {}) {
    this.nowMs = init.nowMs ?? Date.now
    this.log = init.log
    const autoGc = init.autoGc ?? true
    this.blocks = new SqliteBlockstore(join(dataDir, 'content', 'blocks.db'), {
      ...init,
      onHighWater: autoGc ? () => this.scheduleGc() : undefined,
    })
    this.pins = new PinStore(this.blocks)
  }

  /** Import a file or folder and pin its root, atomically with respect to gc. */
  async addPath(path: string, options: AddOptions = {}): Promise<ImportResult> {
    return await this.pinned(async () => await importPath(this.blocks, path, options), options)
  }

  async addStream(source: AsyncIterable<Uint8Array>, options: AddOptions = {}): Promise<ImportResult> {
    return await this.pinned(async () => await importStream(this.blocks, source, options), options)
  }

  async addBytes(bytes: Uint8Array, options: AddOptions = {}): Promise<CID> {
    const result = await this.pinned(
      async () => ({ cid: await importBytes(this.blocks, bytes, options) }),
      options,
    )
    return result.cid
  }

  private async pinned<T extends { cid: CID }>(run: () => Promise<T>, options: AddOptions): Promise<T> {
    return await this.blocks.gcLock.shared(async () => {
      const result = await run()
      if (options.pin !== false) this.pins.add(result.cid, this.nowMs())
      return result
    }, options.signal)
  }

  async gc(options: GcOptions = {}): Promise<GcResult> {
    return await gc(this.blocks, this.pins, options)
  }

  /** Resolves when the automatic gc started by the high-water mark (if any) has finished. */
  async idle(): Promise<void> {
    await this.autoGcRun
  }

  private scheduleGc(): void {
    if (this.autoGcRun != null) return
    // Runs once the current imports release the gc lock; never overlaps itself.
    this.autoGcRun = this.gc()
      .then((result) => this.log?.info({ ...result }, 'automatic gc at the high-water mark'))
      .catch((err: unknown) => this.log?.warn({ err: errorMessage(err) }, 'automatic gc failed'))
      .finally(() => {
        this.autoGcRun = null
      })
  }

  async close(): Promise<void> {
    await this.autoGcRun
    this.blocks.close()
  }
}
