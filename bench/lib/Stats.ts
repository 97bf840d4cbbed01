/**
 * Small statistics helpers shared by the benchmark parent and its runners.
 *
 * @module
 */

/** Latency percentiles in microseconds, computed from sampled calls. */
export interface Percentiles {
  readonly samples: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

/**
 * The median of a list of numbers (the mean of the two middle values for an even count).
 *
 * Returns `NaN` for an empty list, so a missing figure can never look like a real one.
 *
 * @example
 * ```ts
 * import * as Stats from "./Stats.ts"
 * Stats.median([3, 1, 2]) // 2
 * ```
 */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? at(sorted, mid)
    : (at(sorted, mid - 1) + at(sorted, mid)) / 2
}

/**
 * The `q`-quantile (0..1) of an already sorted array, by the nearest-rank method.
 *
 * @example
 * ```ts
 * import * as Stats from "./Stats.ts"
 * Stats.quantileSorted(Float64Array.of(1, 2, 3, 4), 0.5) // 2
 * ```
 */
export const quantileSorted = (sorted: ArrayLike<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1] ?? Number.NaN
}

/**
 * Percentiles of latency samples given in microseconds.
 *
 * @example
 * ```ts
 * import * as Stats from "./Stats.ts"
 * Stats.percentiles(Float64Array.of(1, 2, 3)).p50 // 2
 * ```
 */
export const percentiles = (samplesUs: Float64Array): Percentiles => {
  const sorted = Float64Array.from(samplesUs).sort()
  return {
    samples: sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p99: quantileSorted(sorted, 0.99),
    p999: quantileSorted(sorted, 0.999),
    max: sorted[sorted.length - 1] ?? Number.NaN
  }
}

const at = (values: ReadonlyArray<number>, index: number): number => values[index] ?? Number.NaN
