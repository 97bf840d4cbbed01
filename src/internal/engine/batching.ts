/**
 * The event source of the draining fiber: batches taken from the worker's queue by size and by
 * time (read from `Clock`).
 *
 * Who calls it: the draining fiber, between two drives of the pipeline (so that the pipeline is
 * free while it waits), and the runner when a stage pulls past the end of a batch.
 * Must never: take from the queue while a drive is under way on another caller's behalf (the
 * runner's `busy` is checked by the inline path, which takes from the same queue), or keep a
 * blocked caller waiting for more than one batch.
 * Invariant: events leave the queue in order, each once; every ordinary event taken is counted
 * in `ledger.taken`, and every flush barrier taken is remembered until it is done.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { LogEvent } from "../../LogEvent.ts"
import type { EventQueue } from "../queue.ts"
import type { Ledger } from "./accounting.ts"

export const makeBatcher = (
  q: EventQueue,
  ledger: Ledger,
  options: { readonly batchSize: number; readonly batchWait: Duration.Input; readonly capacity: number }
) => {
  const batchSize = Math.max(1, options.batchSize)
  const batchWait = Duration.fromInputUnsafe(options.batchWait)
  const waitForBatch = Duration.toMillis(batchWait) > 0
  /** Flush barriers taken and not yet done: what a dead pipeline took with it. */
  const barriersInFlight = new Set<() => void>()
  let wasBlocking = false

  /** Counts what leaves the queue (also for the inline path, which takes the queue itself). */
  const taken = (events: ReadonlyArray<LogEvent>): void => {
    let ordinary = 0
    for (let i = 0; i < events.length; i++) {
      const c = events[i]!.control
      if (c === undefined) ordinary++
      else if (c._tag === "Flush") barriersInFlight.add(c.done)
    }
    ledger.taken += ordinary
  }

  const take: Effect.Effect<ReadonlyArray<LogEvent> | undefined> = Effect.suspend(() => {
    // an inline write may have taken everything meanwhile
    if (q.size === 0) return next
    wasBlocking = q.hasWaiters
    const batch = q.take(batchSize)
    taken(batch)
    return Effect.succeed(batch)
  })

  /** The next batch, or `undefined` once the queue has ended and is empty. */
  const next: Effect.Effect<ReadonlyArray<LogEvent> | undefined> = Effect.suspend(() => {
    // a caller blocked for room was woken by the previous take: let it run before the next
    // batch, so that it waits for one batch, not for the whole queue to drain
    if (wasBlocking) {
      wasBlocking = false
      return Effect.andThen(Effect.yieldNow, next)
    }
    if (q.size === 0) {
      if (q.ended) return Effect.succeed(undefined)
      return Effect.andThen(q.awaitAtLeast(1), next)
    }
    if (q.size < batchSize && waitForBatch && !q.ended && q.flushes === 0) {
      // wait for the batch to fill (or the queue, when it holds fewer than a batch)
      return Effect.andThen(Effect.race(q.awaitAtLeast(Math.min(batchSize, options.capacity)), Effect.sleep(batchWait)), take)
    }
    return take
  })

  /** Releases the barriers a dead pipeline took: what they waited for is written or counted. */
  const releaseBarriers = (release: (done: () => void) => void): void => {
    for (const f of barriersInFlight) release(f)
    barriersInFlight.clear()
  }

  return { next, taken, batchSize, barrierDone: (f: () => void) => barriersInFlight.delete(f), releaseBarriers }
}

export type Batcher = ReturnType<typeof makeBatcher>
