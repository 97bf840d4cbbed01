/**
 * The worker: the composition of the engine's components (batching, runner, delivery, accounting,
 * metrics, supervision and lifecycle), each in this folder with its contract (not API; the public
 * `Worker` module documents the options, the snapshot and the running worker's interface).
 *
 * Callers: the `Loggers` instance (`internal/loggers.ts`) starts one per engine; tests start them
 * directly. What the engine needs of the public modules — building a `Sink.Batch` (which encodes
 * with `Encoder.json`) — is handed in as `makeBatch`, not imported.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import type { LogEvent } from "../../LogEvent.ts"
import type { Batch, Writer } from "../../Sink.ts"
import type { Options, Snapshot, Worker } from "../../Worker.ts"
import * as Counters from "../counters.ts"
import * as Event from "../event.ts"
import { EventQueue } from "../queue.ts"
import { Ledger } from "./accounting.ts"
import { makeBatcher } from "./batching.ts"
import { makeConsumers, makeSyncPath } from "./consumers.ts"
import { makeDelivery, Reporter } from "./delivery.ts"
import { lifecycle, type State } from "./lifecycle.ts"
import * as Metrics from "./metrics.ts"
import { makePublisher } from "./metrics.ts"
import { makeOffers } from "./offers.ts"
import { Runner } from "./runner.ts"

/**
 * Starts a worker that writes to `writers` (already opened sinks, one writer per sink so that one
 * failing sink is counted on its own), building its batches with `makeBatch` (`Sink.makeBatch`).
 * Scoped: closing the scope drains the queue.
 */
export const make = (
  options: Options,
  writers: ReadonlyArray<{ readonly name: string; readonly writer: Writer }>,
  makeBatch: (events: ReadonlyArray<LogEvent>) => Batch
): Effect.Effect<Worker, PipelineNotSynchronous, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    // the pipeline's scope is made before the release finalizer, so it closes after the drain
    const scope = yield* Scope.fork(yield* Effect.scope)
    const { counters, snapshot: pipelineSnapshot } = Counters.makeCounters()
    // every effect the worker runs, runs with the layer's context (Clock, Random, services)
    const context = Context.add(yield* Effect.context<never>(), Counters.Counters, counters)
    const q = new EventQueue(options.capacity)
    const ledger = new Ledger(options.name)
    ledger.now = () => clock.currentTimeMillisUnsafe()
    ledger.pipeline = pipelineSnapshot
    const reporter = new Reporter()
    const delivery = makeDelivery(options.name, writers, ledger, context, reporter)
    const batcher = makeBatcher(q, ledger, options)
    const runner = new Runner(options.pipeline, context, scope, batcher.next)
    const state: State = { mode: options.mode, fiber: undefined, pendingFlushes: new Set<() => void>(), armExit: undefined }
    const publish = makePublisher(ledger, () => q.ordinary)
    const consumers = makeConsumers(options, ledger, delivery, clock, state.pendingFlushes, batcher, publish, makeBatch)
    const sync = makeSyncPath(options, ledger, runner, consumers.sync, batcher, reporter, context, state.pendingFlushes, delivery.flush)

    if (options.mode === "sync") {
      // a stage that cannot run synchronously is reported now, not found out per call
      const probe = runner.driveUnsafe([], consumers.sync)
      if (probe._tag !== "Done") {
        return yield* Effect.fail(new PipelineNotSynchronous({ logger: options.name, reason: probe._tag === "Failed" ? Cause.pretty(probe.cause) : "a stage suspends" }))
      }
    }
    const offers = makeOffers(options, q, ledger, state, sync, reporter, clock, Event.flushMarker)
    yield* lifecycle(options, { q, ledger, runner, delivery, batcher, consumers, publish, sync, state, reporter, clock, makeBatch })
    return {
      name: options.name,
      ...offers,
      metrics: Effect.sync(() => snapshotOf()),
      metricsUnsafe: () => snapshotOf()
    }
    function snapshotOf(): Snapshot {
      return Metrics.snapshot(ledger, {
        mode: () => state.mode,
        configuredMode: options.mode,
        capacity: options.capacity,
        queueDepth: () => q.ordinary,
        windowMillis: Duration.toMillis(options.dropSummaryInterval),
        sinkNames: writers.map((w) => w.name),
        fiber: () => state.fiber
      })
    }
  })

/** A sync-mode worker whose pipeline cannot run synchronously (documented as `Worker.PipelineNotSynchronous`). */
export class PipelineNotSynchronous extends Data.TaggedError("PipelineNotSynchronous")<{
  readonly logger: string
  readonly reason: string
}> {
  override get message(): string {
    return `logger "${this.logger}" has mode "sync" but its pipeline cannot run synchronously: ${this.reason}`
  }
}
