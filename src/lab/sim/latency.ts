/**
 * Inter-city round-trip times, embedded as data.
 *
 * Source: Paul Reinheimer, "Miles per Millisecond: A Look at the WonderProxy Network",
 * WonderProxy blog, 9 Feb 2011, table "Pings Between Cities" (https://wonderproxy.com/blog/miles-per-milisecond/).
 * Values are ping RTTs in ms measured from the row city to the column city. The table is
 * asymmetric; we use the mean of both directions where both were published, else the one
 * direction. Zurich is left out: its own row is not published in the post, and Sydney–Zurich is
 * missing in both directions. Figures are kept as published, including oddities such as
 * Baltimore–New York at about 175 ms (an indirect route in 2011).
 */
import { INTRA_CITY_RTT_MS } from './constants.ts'

export const CITIES = [
  'Baltimore',
  'Brisbane',
  'Dallas',
  'Fremont',
  'Milan',
  'Moscow',
  'New York',
  'Paris',
  'Sydney',
] as const

/** Published RTT rows (ms), row city -> column city, in CITIES order; NaN = not published. */
const PUBLISHED: readonly (readonly number[])[] = [
  [0, 239.38, 35.64, 79.68, 104.7, 141.15, 174.71, 97.71, 251.07],
  [238.32, 0, 221.6, 174.38, 350.12, 357.21, 245.89, 335.79, 33.45],
  [34.53, 220.14, 0, 44.0, 140.0, 168.0, 36.8, 130.94, 221.72],
  [79.39, 176.07, 44.57, 0, 167.85, 214.59, 78.43, 176.22, 184.91],
  [104.84, 339.54, 139.86, 170.73, 0, 67.08, 112.17, 21.61, 344.7],
  [140.82, 366.42, 169.04, 209.0, 67.07, 0, 131.29, 56.74, 387.09],
  [174.61, 246.87, 39.46, 77.49, 111.6, 131.34, 0, 78.33, 319.33],
  [97.75, 337.47, 131.79, 175.19, 21.29, 56.13, 77.31, 0, 348.84],
  // Sydney's row is cut after Fremont in the published copy we hold.
  [262.5, 42.98, 222.25, 191.96, NaN, NaN, NaN, NaN, 0],
]

function symmetric(): Float64Array {
  const n = CITIES.length
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) {
        out[i * n + j] = INTRA_CITY_RTT_MS
        continue
      }
      const a = PUBLISHED[i]![j]!
      const b = PUBLISHED[j]![i]!
      out[i * n + j] = Number.isNaN(a) ? b : Number.isNaN(b) ? a : (a + b) / 2
    }
  return out
}

const RTT = symmetric()

/** Round-trip time in ms between two cities (indices into CITIES). */
export function cityRttMs(a: number, b: number): number {
  return RTT[a * CITIES.length + b]!
}
