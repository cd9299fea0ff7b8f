/**
 * Issue 11, scenario 5: how often a spy holding 20% of the nodes names a transaction's true
 * origin with the first-spy estimator, with private broadcast (the stem) and without (the
 * baseline, measured in the same run over the same graphs, spies and origins). In-memory network
 * running the real stem decisions (src/lab/stem-sim.ts); real libp2p nodes are not used here.
 * Prints one JSON object.
 *
 *   ./node_modules/.bin/node bench/private-broadcast.bench.ts
 */
import { simulateFirstSpy } from '../src/lab/stem-sim.ts'
import { STEM_FORWARD_PROBABILITY } from '../src/net/stem/constants.ts'
import { log, ratio, round } from './lib/stats.ts'

const NODES = 30
/** Random neighbours each node picks: an average degree of about 8, like TARGET_OUTBOUND_PEERS. */
const PICKS = 4
const SPY_FRACTION = 0.2
const SEEDS = 50
const TRIALS_PER_SEED = 200

function measure(stem: boolean): { precision: number; trials: number; meanStemHops: number } {
  let hits = 0
  let trials = 0
  let hops = 0
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = simulateFirstSpy({
      nodes: NODES,
      picks: PICKS,
      spyFraction: SPY_FRACTION,
      trials: TRIALS_PER_SEED,
      seed,
      stem,
    })
    hits += r.hits
    trials += r.trials
    hops += r.meanStemHops * r.trials
  }
  return { precision: hits / trials, trials, meanStemHops: hops / trials }
}

log('private-broadcast: simulating without and with the stem')
const without = measure(false)
const withStem = measure(true)
console.log(
  JSON.stringify({
    bench: 'private-broadcast',
    nodes: NODES,
    spy_fraction: SPY_FRACTION,
    seeds: SEEDS,
    trials: without.trials,
    forward_probability: STEM_FORWARD_PROBABILITY,
    without_stem: { spy_precision: round(without.precision, 4) },
    with_stem: {
      spy_precision: round(withStem.precision, 4),
      mean_stem_hops: round(withStem.meanStemHops, 2),
    },
    ratio_precision_with_vs_without: ratio(withStem.precision, without.precision),
  }),
)
