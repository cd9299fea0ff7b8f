/**
 * Folders from the browser: the files under a dropped folder (DataTransferItem.webkitGetAsEntry,
 * walked with the File and Directory Entries API) or a folder picked with `<input webkitdirectory>`
 * (each File's webkitRelativePath), as relative paths for POST /content/folder. Bounded: a folder
 * of more than MAX_FOLDER_FILES files is refused here, as the node would refuse it.
 */

/** The node's MAX_FOLDER_UPLOAD_FILES (src/api/content-constants.ts). */
export const MAX_FOLDER_FILES = 10_000

export interface FolderFile {
  file: File
  /** Relative to the folder's parent: `site/css/a.css`. */
  path: string
}

export class FolderTooLarge extends Error {
  constructor() {
    super(`a folder upload holds at most ${MAX_FOLDER_FILES} files`)
    this.name = 'FolderTooLarge'
  }
}

const fileOf = (entry: FileSystemFileEntry): Promise<File> =>
  new Promise((resolve, reject) => entry.file(resolve, reject))

/** One batch of a directory's entries; an empty batch means the end (readEntries pages by ~100). */
const batchOf = (reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> =>
  new Promise((resolve, reject) => reader.readEntries(resolve, reject))

/** Every file under `root`, depth first, with its path from `root`'s name. */
export async function walkEntry(root: FileSystemEntry): Promise<FolderFile[]> {
  const out: FolderFile[] = []
  const stack: { entry: FileSystemEntry; path: string }[] = [{ entry: root, path: root.name }]
  while (stack.length > 0) {
    const { entry, path } = stack.pop()!
    if (entry.isFile) {
      if (out.length >= MAX_FOLDER_FILES) throw new FolderTooLarge()
      out.push({ file: await fileOf(entry as FileSystemFileEntry), path })
      continue
    }
    if (!entry.isDirectory) continue
    const reader = (entry as FileSystemDirectoryEntry).createReader()
    for (let batch = await batchOf(reader); batch.length > 0; batch = await batchOf(reader)) {
      for (const child of batch) stack.push({ entry: child, path: `${path}/${child.name}` })
      if (stack.length > MAX_FOLDER_FILES) throw new FolderTooLarge()
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** A picked folder (`<input webkitdirectory>`): each file knows its relative path. */
export function pickedFolder(files: FileList): FolderFile[] {
  if (files.length > MAX_FOLDER_FILES) throw new FolderTooLarge()
  return [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }))
}

/** What was dropped: folders (walked) and loose files, in drop order. */
export async function dropped(
  data: DataTransfer,
): Promise<{ folders: { name: string; files: FolderFile[] }[]; files: File[] }> {
  const folders: { name: string; files: FolderFile[] }[] = []
  const files: File[] = []
  // Entries and files must be taken before the first await: the DataTransfer empties after the event.
  const items = [...data.items]
    .filter((i) => i.kind === 'file')
    .map((i) => ({ entry: i.webkitGetAsEntry(), file: i.getAsFile() }))
  for (const { entry, file } of items) {
    if (entry?.isDirectory === true) folders.push({ name: entry.name, files: await walkEntry(entry) })
    else if (file != null) files.push(file)
  }
  return { folders, files }
}
