/** Progress of a fetch or an import: the one type the DAG walk reports, the node emits as
 * `content:progress`, the API carries and the CLI draws. */
export interface FetchProgress {
  /** Caller-chosen id (a fetch's fetchId, an import's progressId), to match events to a request. */
  fetchId: string | null
  /** Blocks of the target DAG now stored locally (fetched plus already present). */
  blocks: number
  /** Bytes of those blocks. */
  bytes: number
  /** Blocks and bytes of the target DAG received from the network by this fetch. */
  fetchedBlocks: number
  fetchedBytes: number
  /** Estimated total DAG bytes (from the root's link sizes), null when unknown. */
  totalBytes: number | null
  /** Distinct peers that sent us blocks in this fetch. */
  peers: number
  elapsedMs: number
}
