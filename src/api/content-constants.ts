/** Bounds of the content routes and the gateway. docs/LIMITS.md lists them. */

/** Longest `cid/path` accepted in a body or URL: src/content MAX_CONTENT_PATH_LENGTH. */
export const MAX_CONTENT_PATH_CHARS = 4096

/** Longest local filesystem path accepted for import/export. */
export const MAX_FS_PATH_CHARS = 4096

/** Longest caller-chosen progress id. */
export const MAX_PROGRESS_ID_CHARS = 64

/** Bound on an import by path (the node reads the files itself): 64 GiB at ~100 MB/s. */
export const CONTENT_IMPORT_ROUTE_TIMEOUT_MS = 60 * 60 * 1000

/** Bound on a fetch: large content over slow links; the fetch itself fails earlier with
 * NO_PROVIDERS or FETCH_STALLED when nothing arrives. */
export const CONTENT_FETCH_ROUTE_TIMEOUT_MS = 6 * 60 * 60 * 1000

/** Bound on gc (mark and sweep of a full 10 GiB store) and on the providers diagnostic. */
export const CONTENT_GC_ROUTE_TIMEOUT_MS = 10 * 60 * 1000
export const CONTENT_PROVIDERS_ROUTE_TIMEOUT_MS = 2 * 60 * 1000

/** Largest streaming upload (POST /api/v1/content); the store quota applies as well. Overflow: 413. */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024 * 1024

/** Entries shown in a gateway directory listing before "and N more". */
export const MAX_GATEWAY_LISTING_ENTRIES = 10_000

/** Files in one folder upload (POST /api/v1/content/folder). Overflow: UPLOAD_TOO_MANY_FILES (413). */
export const MAX_FOLDER_UPLOAD_FILES = 10_000

/** Headers of one multipart part: a content-disposition with a long path fits many times over. */
export const MAX_MULTIPART_HEADER_BYTES = 16 * 1024

/** Longest relative path in a folder upload: a deep site tree, far below PATH_MAX (4096). */
export const MAX_UPLOAD_PATH_CHARS = 1024

/** Deepest relative path in a folder upload (segments). */
export const MAX_UPLOAD_PATH_DEPTH = 32

/** Longest file or folder name in an upload: ext4's NAME_MAX. */
export const MAX_UPLOAD_SEGMENT_BYTES = 255

/** Folder in the data dir where a folder upload is spooled before import (removed after). */
export const FOLDER_UPLOAD_SPOOL_DIR = 'upload-spool'
