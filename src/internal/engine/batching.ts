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
  /** When the batch being driven was taken (NaN once measured), and whether the last one was heavy. */
  let takenAt = Number.NaN
  let takenCount = 0
  let heavy = false

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
    const batch = q.take(wasBlocking || heavy ? batchSize : backlogBatch(q.size, batchSize))
    takenAt = ledger.now()
    takenCount = batch.length
    taken(batch)
    return Effect.succeed(batch)
  })

  /** The next batch, or `undefined` once the queue has ended and is empty. */
  const next: Effect.Effect<ReadonlyArray<LogEvent> | undefined> = Effect.suspend(() => {
    // the previous batch's drive has just ended: how long it took per event
    if (!Number.isNaN(takenAt)) {
      heavy = (ledger.now() - takenAt) * 1000 >= HEAVY_MICROS_PER_EVENT * takenCount
      takenAt = Number.NaN
    }
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

/**
 * How many events one batch takes: `batchSize`, or, when whole batches are already queued (a
 * backlog: the draining fiber would run them back to back anyway), up to `BACKLOG_BATCHES` of
 * them at once, whole batches only (a partial batch still waits to fill or for `batchWait`). When
 * to start a batch does not change, so a trickle is written as before. The caller above takes
 * `batchSize` instead when a caller is blocked for room (it waits for one ordinary batch) and when
 * events are heavy: the previous batch's drive took `HEAVY_MICROS_PER_EVENT` or more per event
 * (by `Clock`) — deep objects, whose batches are big texts already (0.91× with backlog batches for
 * every shape: `bench/runners/matrix.ts --workload deep`); 2,000-character messages (~9 µs) are
 * not heavy by this rule.
 * The price: a pipeline stage that throws loses what it had taken, up to
 * `BACKLOG_BATCHES × batchSize` events (counted "worker failure").
 *
 * Why: every batch pays the pipeline's pull, delivery and accounting once, and evicts the
 * encoder's code from the CPU's caches. `node bench/engine.ts --encode` (CPU ns per event, passes
 * 2–4): batches of 256 185–215, of 1,024 165–181 (the code before the engine rewrite: 155–195).
 */
const backlogBatch = (queued: number, batchSize: number): number =>
  queued < 2 * batchSize ? batchSize : Math.min(queued - (queued % batchSize), BACKLOG_BATCHES * batchSize)

const BACKLOG_BATCHES = 4

/**
 * Per-event drive time from which events count as heavy: flat events take ~1–3 µs, a deep object
 * ~100 µs; high enough that a GC pause in one drive of flat events does not count (the `Clock` is
 * read in milliseconds).
 */
const HEAVY_MICROS_PER_EVENT = 20
