/**
 * What is done with the pipeline's output, and the synchronous path into the pipeline.
 *
 * Who calls it: the runner hands each chunk that comes out of the pipeline to a consumer (`async`
 * from the draining fiber, `sync` from a synchronous drive); the worker's offer paths call the
 * sync path (sync mode, the `block` policy's inline write, the fallback, flush in sync mode).
 * Must never: release a flush barrier before what preceded it was handed to the sinks (and, for
 * the async consumer, before write-behind sinks reached the OS), or write a control event.
 * Invariant: every line of a chunk is delivered once, in order; a pipeline that dies in a
 * synchronous drive is counted (`worker failure`) and replaced before anyone learns of it.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { LogEvent } from "../../LogEvent.ts"
import type { Batch } from "../../Sink.ts"
import type { Options } from "../../Worker.ts"
import type { Ledger } from "./accounting.ts"
import type { Batcher } from "./batching.ts"
import type { Delivery, Reporter } from "./delivery.ts"
import type { Consume, Runner, SyncOutcome } from "./runner.ts"

export type Consumers = ReturnType<typeof makeConsumers>
export type SyncPath = ReturnType<typeof makeSyncPath>

/**
 * What is done with the pipeline's output: split each chunk into lines and flush barriers, add
 * a due drop summary, deliver (asynchronously from the draining fiber, synchronously from a
 * synchronous drive, or to synchronous sinks only at the process's exit), then release barriers.
 */
export const makeConsumers = (
  options: Options,
  ledger: Ledger,
  delivery: Delivery,
  clock: Clock.Clock,
  pendingFlushes: Set<() => void>,
  batcher: Batcher,
  publish: Effect.Effect<void>,
  makeBatch: (events: ReadonlyArray<LogEvent>) => Batch
) => {
  const summaryEvery = Duration.toMillis(options.dropSummaryInterval)
  const split = (chunk: ReadonlyArray<LogEvent>) => {
    let events: Array<LogEvent> | undefined
    let barriers: Array<() => void> | undefined
    let synthetic = 0
    let plain = true
    for (let i = 0; i < chunk.length; i++) {
      const e = chunk[i]!
      if (e.control !== undefined) plain = false
      // an aggregate stands for events the aggregator counted as absorbed (its first included)
      else if (e.aggregate !== undefined) synthetic++
    }
    if (plain) events = chunk as Array<LogEvent>
    else {
      for (let i = 0; i < chunk.length; i++) {
        const e = chunk[i]!
        if (e.control === undefined) (events ??= []).push(e)
        else if (e.control._tag === "Flush") (barriers ??= []).push(e.control.done)
      }
    }
    const summary = ledger.summaryDue(clock.currentTimeMillisUnsafe(), summaryEvery)
    if (summary !== undefined) {
      synthetic++
      events = events === undefined ? [summary] : [...events, summary]
    }
    return { events, barriers, synthetic }
  }
  const release = (barriers: ReadonlyArray<() => void>) => {
    for (const f of barriers) {
      pendingFlushes.delete(f)
      batcher.barrierDone(f)
      f()
    }
  }
  const async: Consume = (chunk) => {
    const { barriers, events, synthetic } = split(chunk)
    const write = events === undefined ? Effect.void : delivery.write(makeBatch(events), synthetic)
    if (barriers === undefined) return Effect.andThen(write, publish)
    return Effect.andThen(Effect.andThen(Effect.andThen(write, delivery.flush), publish), Effect.sync(() => release(barriers)))
  }
  const sync: Consume = (chunk) =>
    Effect.sync(() => {
      const { barriers, events, synthetic } = split(chunk)
      if (events !== undefined) delivery.writeUnsafe(makeBatch(events), synthetic)
      if (barriers !== undefined) release(barriers)
    })
  return { async, sync, split }
}

/**
 * The synchronous path: sync mode, the `block` policy's inline write, the fallback after
 * restarts. Each call is a synchronous drive of the worker's one pipeline; a pipeline that dies
 * in it is counted (`worker failure`) and rebuilt.
 */
export const makeSyncPath = (
  options: Options,
  ledger: Ledger,
  runner: Runner,
  consume: Consume,
  batcher: Batcher,
  reporter: Reporter,
  context: Context.Context<never>,
  pendingFlushes: Set<() => void>,
  flushSinks: Effect.Effect<void>
) => {
  const outcome = (o: SyncOutcome): void => {
    if (o._tag === "Async") {
      reporter.once(
        `effect-fapilog: a pipeline stage of logger "${options.name}" suspended during a synchronous call; ` +
          `its events are written when it resumes\n`
      )
    } else if (o._tag === "Failed") {
      ledger.lostInFlight("worker failure")
      reporter.once(`effect-fapilog: pipeline of logger "${options.name}" failed: ${Cause.pretty(o.cause)}\n`)
      Effect.runSyncExitWith(context)(runner.rebuild())
      batcher.releaseBarriers((f) => {
        pendingFlushes.delete(f)
        f()
      })
    }
  }
  const writeUnsafe = (events: ReadonlyArray<LogEvent>): void => {
    batcher.taken(events)
    outcome(runner.driveUnsafe(events, consume))
  }
  const finishUnsafe = (): void => outcome(runner.finishUnsafe(consume))
  return { writeUnsafe, finishUnsafe, busy: () => runner.busy, flushSinks }
}
