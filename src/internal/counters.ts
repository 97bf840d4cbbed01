/**
 * The counters a pipeline's stages report to (documented as `Pipeline.Counters` and
 * `Pipeline.makeCounters`; not API here).
 *
 * Callers: the worker (`internal/engine/worker.ts`) makes one per engine and provides it to the
 * pipeline it runs; stages read it through {@link Counters}; tests make their own.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type { CountersShape } from "../Pipeline.ts"

/** A counters object plus a read-out of what it has counted. */
export const makeCounters = (): {
  readonly counters: CountersShape
  readonly snapshot: () => { readonly dropped: Readonly<Record<string, number>>; readonly absorbed: number }
} => {
  const dropped: Record<string, number> = {}
  let absorbed = 0
  return {
    counters: {
      dropped: (reason, count) => {
        dropped[reason] = (dropped[reason] ?? 0) + count
      },
      absorbed: (count) => {
        absorbed += count
      }
    },
    snapshot: () => ({ dropped: { ...dropped }, absorbed })
  }
}

/** The counters of the worker running the current pipeline (a fresh, unobserved one outside). */
export const Counters: Context.Reference<CountersShape> = Context.Reference<CountersShape>(
  "effect-fapilog/Pipeline/Counters",
  { defaultValue: () => makeCounters().counters }
)
