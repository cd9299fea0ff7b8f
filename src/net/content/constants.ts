/** Bounds of the network side of content (the storage and fetch ones are in src/content/constants.ts). */

/** Time allowed to dial one provider in the `providers` diagnostic. */
export const PROVIDER_DIAL_TIMEOUT_MS = 10_000
