/** The link shaper and bounds live in the lab (src/lab/link/shaper.ts); re-exported for the benches. */
export { edgeKey, hops, LinkShaper, linkLatencies, lowerBounds } from '../../src/lab/link/shaper.ts'
