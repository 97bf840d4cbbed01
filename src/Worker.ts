/**
 * The one queue-draining engine behind every facade.
 *
 * `Worker.make` is scoped: acquiring it creates a bounded queue and forks the draining fiber into
 * the scope; releasing it ends the queue and waits (up to `drainTimeout`) until every queued event
 * has gone through the pipeline into the sinks. An idle worker is a fiber suspended on the queue.
 *
 * The caller's fiber pays for building the event and one `offer`; batching (by size and by time
 * read from `Clock`), the pipeline (a `Stream` transformation), sink writes with timeout and
 * retry, drop accounting and metrics all happen on the worker fiber.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { EventQueue } from "./internal/queue.ts"
import * as LogEvent from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"
import * as Sink from "./Sink.ts"

/**
 * What happens to an event offered to a full queue.
 *
 * - `"dropOldest"` (default): the oldest queued event is dropped and counted.
 * - `"dropNewest"`: the new event is dropped and counted.
 * - `"block"`: nothing is lost. Facade calls suspend until there is room; the synchronous
 *   `Effect.log` path, which cannot suspend, writes the event inline instead.
 *
 * @example
 * ```ts
 * import { Fapilog } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * // an audit log must not lose events: callers wait while the queue is full
 * const policy: Worker.Policy = "block"
 * const layer = Fapilog.layer({ queue: { capacity: 1_000, policy } })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Policy = "dropOldest" | "dropNewest" | "block"

/**
 * `"async"` (default): queue and worker fiber. `"sync"`: no queue and no fiber; every event goes
 * through the pipeline, encoder and sinks inline in the caller (for scripts and serverless
 * handlers that may be frozen right after a call).
 *
 * @example
 * ```ts
 * import { Fapilog } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * // a serverless handler may be frozen right after it returns: write inline
 * const mode: Worker.Mode = "sync"
 * const layer = Fapilog.layer({ mode })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "async" | "sync"

/**
 * Worker options (all resolved; see {@link defaults}).
 *
 * @example
 * ```ts
 * import * as Worker from "effect-fapilog/Worker"
 *
 * const options: Worker.Options = { ...Worker.defaults, name: "audit", policy: "block", batchSize: 64 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly name: string
  readonly mode: Mode
  readonly capacity: number
  readonly policy: Policy
  readonly batchSize: number
  readonly batchWait: Duration.Input
  readonly pipeline: Pipeline.Pipeline
  readonly drainTimeout: Duration.Input
  readonly dropSummaryInterval: Duration.Input
  readonly maxRestarts: number
  readonly restartBase: Duration.Input
}

/**
 * A point-in-time view of a worker's counters.
 *
 * `dropped` is keyed by reason: `"queue full"`, `"sink failure"`, `"worker failure"`,
 * `"drain timeout"`, and whatever pipeline operators report (`"sampled out"`, …).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const describe = (m: Worker.Snapshot): string =>
 *   `${m.logger}: ${m.written}/${m.eventsIn} written, ${m.droppedTotal} dropped, queue ${m.queueDepth}/${m.queueCapacity}`
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("payments")
 *   yield* Effect.logInfo(describe(yield* log.metrics))
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly logger: string
  readonly mode: Mode
  readonly eventsIn: number
  readonly written: number
  readonly dropped: Readonly<Record<string, number>>
  readonly droppedTotal: number
  readonly absorbed: number
  readonly queueDepth: number
  readonly queueCapacity: number
  readonly batches: number
  readonly lastBatchSize: number
  readonly sinkErrors: number
  readonly restarts: number
  readonly flushes: number
  readonly lastFlushMillis: number
  /** 1 while the draining fiber is alive (0 in sync mode or after the drain). */
  readonly workerFibers: number
  /** Per sink: healthy, degraded (failed within the last drop-summary interval) or failing. */
  readonly sinks: Readonly<Record<string, SinkHealth>>
  /** The worst of the sinks, also degraded when the queue is 80% full or events were lost recently. */
  readonly health: Health
}

/**
 * Health of a worker or a sink.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const needsAttention = (health: Worker.Health): boolean => health !== "healthy"
 * const program = Effect.map(Logger.health, (report) => needsAttention(report.status))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Health = "healthy" | "degraded" | "failing"

/**
 * What a worker knows about one of its sinks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const failing = (sinks: Readonly<Record<string, Worker.SinkHealth>>): Array<string> =>
 *   Object.entries(sinks).filter(([, s]) => s.status === "failing").map(([name, s]) => `${name}: ${s.lastError}`)
 * const program = Effect.gen(function*() {
 *   const root = yield* Logger.root
 *   return failing((yield* root.metrics).sinks)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SinkHealth {
  readonly status: Health
  readonly errors: number
  readonly lastError: string | undefined
}

/**
 * A running worker.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const queueDepths = Effect.gen(function*() {
 *   const loggers = yield* Logger.Loggers
 *   const workers: ReadonlyArray<Worker.Worker> = loggers.workers()
 *   return workers.map((w) => [w.name, w.metricsUnsafe().queueDepth] as const)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Worker {
  readonly name: string
  /** Offers from a synchronous context (Effect's `Logger.log`); never suspends. */
  readonly offerUnsafe: (event: LogEvent.LogEvent) => void
  /** Offers from an effect; suspends under the `block` policy when the queue is full. */
  readonly offer: (event: LogEvent.LogEvent) => Effect.Effect<void>
  /** Offers several events at once, in order. */
  readonly offerAll: (events: ReadonlyArray<LogEvent.LogEvent>) => Effect.Effect<void>
  /** Sends a control event (never dropped). */
  readonly signalUnsafe: (event: LogEvent.LogEvent) => void
  /** Returns once every event offered before it has been written or deliberately dropped. */
  readonly flush: Effect.Effect<void>
  readonly metrics: Effect.Effect<Snapshot>
  readonly metricsUnsafe: () => Snapshot
}

/**
 * The defaults: capacity 10,000, `dropOldest`, batches of 256 or 50 ms, 5 s drain timeout, a drop
 * summary at most every 5 s, 5 restarts from 100 ms.
 *
 * @example
 * ```ts
 * import * as Worker from "effect-fapilog/Worker"
 *
 * Worker.defaults.capacity // 10000
 * const small: Worker.Options = { ...Worker.defaults, name: "jobs", capacity: 100, batchWait: "10 millis" }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults: Omit<Options, "name"> = {
  mode: "async",
  capacity: 10_000,
  policy: "dropOldest",
  batchSize: 256,
  batchWait: "50 millis",
  pipeline: Pipeline.identity,
  drainTimeout: "5 seconds",
  dropSummaryInterval: "5 seconds",
  maxRestarts: 5,
  restartBase: "100 millis"
}

/**
 * Starts a worker that writes to `writers` (already opened sinks, one writer per sink so that one
 * failing sink is counted on its own). Scoped: closing the scope drains the queue.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Worker from "effect-fapilog/Worker"
 * import * as Sink from "effect-fapilog/Sink"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const memory = Sink.memory()
 *   const writer = yield* memory.open
 *   const worker = yield* Worker.make({ ...Worker.defaults, name: "app" }, [{ name: memory.name, writer }])
 *   yield* worker.offer(LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" }))
 *   yield* worker.flush
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options,
  writers: ReadonlyArray<{ readonly name: string; readonly writer: Sink.Writer }>
): Effect.Effect<Worker, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const q = new EventQueue(options.capacity)
    const stats = new Stats(options, q)
    stats.now = () => clock.currentTimeMillisUnsafe()
    stats.sinkNames = writers.map((w) => w.name)
    const { counters, snapshot: pipelineSnapshot } = Pipeline.makeCounters()
    stats.pipeline = pipelineSnapshot
    const batchSize = Math.max(1, options.batchSize)
    const batchWait = Duration.fromInputUnsafe(options.batchWait)
    const waitForBatch = Duration.toMillis(batchWait) > 0
    const summaryEvery = Duration.toMillis(options.dropSummaryInterval)
    const pendingFlushes = new Set<() => void>()
    let metricsCache: WorkerMetrics | undefined
    const metrics = (): WorkerMetrics => metricsCache ??= metricsFor(options.name)

    // -- writing --------------------------------------------------------------------------------

    /** Writes one batch to one sink; any failure (an error, a throw, a defect) stays with that sink. */
    const writeOne = (w: { readonly name: string; readonly writer: Sink.Writer }, batch: Sink.Batch): Effect.Effect<boolean> =>
      Effect.map(Effect.exit(Effect.suspend(() => w.writer.write(batch))), (exit) => {
        const now = clock.currentTimeMillisUnsafe()
        const lost = w.writer.takeLost?.() ?? 0
        if (lost > 0) stats.sinkFailed(w.name, lost, "events lost after a write was accepted", now)
        if (Exit.isFailure(exit)) {
          const message = failureMessage(exit.cause)
          // counted here; reported by the WARN drop summary (and once on stderr per distinct error)
          stats.sinkFailed(w.name, batch.events.length, message, now)
          stderrOnce(`effect-fapilog: sink ${w.name} of logger "${options.name}" failed: ${message}\n`)
          return false
        }
        if (lost === 0) stats.sinkOk(w.name)
        return true
      })

    const writeBatch = (batch: Sink.Batch): Effect.Effect<void> => {
      stats.batches++
      stats.lastBatchSize = batch.events.length
      const n = batch.events.length
      if (writers.length === 1) return Effect.map(writeOne(writers[0]!, batch), (ok) => stats.delivered(n, ok))
      return Effect.map(
        Effect.forEach(writers, (w) => writeOne(w, batch), { concurrency: "unbounded" }),
        (oks) => stats.delivered(n, oks.length === 0 || oks.some((ok) => ok))
      )
    }

    /** Writes of sinks without a synchronous path, started from the inline path: one chain per sink keeps their order. */
    const detached = new Map<string, Fiber.Fiber<unknown>>()

    const writeBatchUnsafe = (batch: Sink.Batch): void => {
      stats.batches++
      stats.lastBatchSize = batch.events.length
      let ok = writers.length === 0
      for (const w of writers) {
        if (w.writer.writeUnsafe !== undefined) {
          try {
            w.writer.writeUnsafe(batch)
            ok = true
          } catch (cause) {
            const message = cause instanceof Error ? cause.message : String(cause)
            stats.sinkFailed(w.name, batch.events.length, message, clock.currentTimeMillisUnsafe())
            stderrOnce(`effect-fapilog: sink ${w.name} of logger "${options.name}" failed: ${message}\n`)
          }
        } else {
          ok = true
          const previous = detached.get(w.name)
          const write = writeOne(w, batch)
          detached.set(w.name, Effect.runFork(previous === undefined ? write : Effect.andThen(Fiber.await(previous), write)))
        }
      }
      stats.delivered(batch.events.length, ok)
    }

    /** Waits for write-behind writers to reach the OS; what they lost is counted. */
    const flushWriters: Effect.Effect<void> = Effect.suspend(() => Effect.andThen(
      Effect.forEach(Array.from(detached.values()), (f) => Fiber.await(f), { discard: true }),
      Effect.forEach(
      writers.filter((w) => w.writer.flush !== undefined),
      (w) =>
        Effect.flatMap(Effect.result(Effect.suspend(() => w.writer.flush!)), (r) => {
          const lost = w.writer.takeLost?.() ?? 0
          if (lost > 0) stats.sinkFailed(w.name, lost, r._tag === "Failure" ? r.failure.message : "events lost", clock.currentTimeMillisUnsafe())
          if (r._tag === "Failure") {
            stderrOnce(`effect-fapilog: sink ${w.name} of logger "${options.name}" failed: ${r.failure.message}\n`)
          }
          return Effect.void
        }),
      { discard: true, concurrency: "unbounded" }
    )))

    /** Splits a pipeline chunk into a batch to write and the flush barriers it carries. */
    const consume = (chunk: ReadonlyArray<LogEvent.LogEvent>): Effect.Effect<void> => {
      let events: Array<LogEvent.LogEvent> | undefined
      let barriers: Array<() => void> | undefined
      let plain = true
      for (let i = 0; i < chunk.length; i++) {
        const e = chunk[i]!
        if (e.control !== undefined) plain = false
        // aggregate lines stand for events already counted as absorbed (see Stats.lostInFlight)
        else if (e.fields !== undefined && isAggregate(e.fields)) stats.synthetic++
      }
      if (plain) {
        events = chunk as Array<LogEvent.LogEvent>
      } else {
        for (let i = 0; i < chunk.length; i++) {
          const e = chunk[i]!
          if (e.control === undefined) (events ??= []).push(e)
          else if (e.control._tag === "Flush") (barriers ??= []).push(e.control.done)
        }
      }
      const summary = stats.summaryDue(clock.currentTimeMillisUnsafe(), summaryEvery)
      if (summary !== undefined) {
        stats.synthetic++
        events = events === undefined ? [summary] : [...events, summary]
      }
      const write = events === undefined ? Effect.void : writeBatch(Sink.makeBatch(events))
      const publish = Effect.suspend(() => stats.publish(metrics()))
      if (barriers === undefined) return Effect.andThen(write, publish)
      const done = barriers
      return Effect.andThen(Effect.andThen(Effect.andThen(write, flushWriters), publish), Effect.sync(() => {
        for (const f of done) {
          pendingFlushes.delete(f)
          barriersInFlight.delete(f)
          f()
        }
      }))
    }

    // -- the source: batches by size and time -------------------------------------------------

    /** Flush barriers taken from the queue and not yet done: what a dead pipeline took with it. */
    const barriersInFlight = new Set<() => void>()
    let wasBlocking = false
    /** Whether a batch taken by the worker is still going through the pipeline. */
    let processing = false
    const noteBarriers = (events: ReadonlyArray<LogEvent.LogEvent>): void => {
      for (let i = 0; i < events.length; i++) {
        const c = events[i]!.control
        if (c !== undefined && c._tag === "Flush") barriersInFlight.add(c.done)
      }
    }

    type Batch = readonly [LogEvent.LogEvent, ...Array<LogEvent.LogEvent>]
    const pull: Effect.Effect<Batch, Cause.Done> = Effect.suspend(() => {
      // the stream asks for the next batch once the previous one went through the pipeline
      processing = false
      // a caller blocked for room was woken by the previous take: let it run before the next
      // batch, so that it waits for one batch, not for the whole queue to drain
      if (wasBlocking) {
        wasBlocking = false
        return Effect.andThen(Effect.yieldNow, pull)
      }
      if (q.size === 0) {
        if (q.ended) return Cause.done()
        return Effect.andThen(q.awaitAtLeast(1), pull)
      }
      if (q.size < batchSize && waitForBatch && !q.ended && q.flushes === 0) {
        // wait for the batch to fill (or the queue, when it holds fewer than a batch) with the
        // events still queued, so that an inline write under `block` takes them all, in order
        return Effect.andThen(Effect.race(q.awaitAtLeast(Math.min(batchSize, options.capacity)), Effect.sleep(batchWait)), takeBatch)
      }
      return takeBatch
    })
    const takeBatch: Effect.Effect<Batch, Cause.Done> = Effect.suspend(() => {
      // an inline write may have taken everything meanwhile
      if (q.size === 0) return pull
      wasBlocking = q.hasWaiters
      const batch = q.take(batchSize)
      stats.taken += countOrdinary(batch)
      noteBarriers(batch)
      processing = true
      return Effect.succeed(batch as unknown as Batch)
    })

    // built when the worker starts (at its first event), not per idle facade
    const runOnce = Effect.suspend(() =>
      Stream.runForEachArray(options.pipeline(Stream.fromPull(Effect.succeed(pull))), consume).pipe(
        Effect.provideService(Pipeline.Counters, counters)
      )
    )

    // -- supervision -----------------------------------------------------------------------------

    const supervise = (attempt: number): Effect.Effect<void> =>
      Effect.catchCause(runOnce, (cause) => {
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
        // the dead pipeline holds no batch any more: `Effect.log` under `block` may write inline
        // again while the restart waits
        processing = false
        stats.restarts++
        stats.lostInFlight("worker failure")
        const releaseFlushes = () => {
          // barriers the dead pipeline took with it: what they waited for is written or counted;
          // barriers still queued are handled by the restarted pipeline
          for (const f of barriersInFlight) {
            pendingFlushes.delete(f)
            f()
          }
          barriersInFlight.clear()
        }
        if (attempt >= options.maxRestarts) {
          stats.mode = "sync"
          releaseFlushes()
          stderrOnce(
            `effect-fapilog: worker of logger "${options.name}" died ${attempt + 1} times; ` +
              `falling back to synchronous writing. Last failure: ${Cause.pretty(cause)}\n`
          )
          return Effect.sync(() => drainInlineUnsafe())
        }
        releaseFlushes()
        const delay = Duration.times(Duration.fromInputUnsafe(options.restartBase), 2 ** attempt)
        return Effect.andThen(Effect.sleep(delay), supervise(attempt + 1))
      })

    // -- inline (sync) path ----------------------------------------------------------------------

    const runInline = (events: ReadonlyArray<LogEvent.LogEvent>): Effect.Effect<void> =>
      Stream.runForEachArray(options.pipeline(Stream.fromArray(events)), (chunk) =>
        Effect.sync(() => {
          const ordinary = chunk.filter((e) => e.control === undefined)
          for (const e of chunk) if (e.control?._tag === "Flush") e.control.done()
          if (ordinary.length > 0) writeBatchUnsafe(Sink.makeBatch(ordinary))
        })).pipe(
          Effect.provideService(Pipeline.Counters, counters),
          Effect.provideService(Clock.Clock, clock),
          Effect.catchCause((cause) =>
            Effect.sync(() => {
              stats.drop("worker failure", events.length)
              stderrOnce(`effect-fapilog: pipeline of logger "${options.name}" failed: ${Cause.pretty(cause)}\n`)
            })
          )
        )

    const writeInlineUnsafe = (events: ReadonlyArray<LogEvent.LogEvent>): void => {
      stats.taken += countOrdinary(events)
      // an asynchronous step makes runSyncExit return early, but that run goes on and finishes
      // on its own fiber: nothing is redone (runInline handles every failure itself)
      Effect.runSyncExit(runInline(events))
    }

    const drainInlineUnsafe = (): void => {
      while (q.size > 0) writeInlineUnsafe(q.take(batchSize))
    }

    // -- offering --------------------------------------------------------------------------------

    const released = () => {
      stats.drop("logger released", 1)
      stderrOnce(
        `effect-fapilog: logger "${options.name}" was used after it was released (scope closed, cache ` +
          `cleared or idle TTL); its events are dropped and counted. Look the logger up again instead of keeping it.\n`
      )
    }

    const offerUnsafe = (event: LogEvent.LogEvent): void => {
      stats.eventsIn++
      if (stats.mode === "sync") return writeInlineUnsafe([event])
      if (q.ended) return released()
      if (q.ordinary >= options.capacity) {
        switch (options.policy) {
          case "dropNewest":
            return stats.drop("queue full", 1)
          case "dropOldest":
            if (q.dropOldest()) stats.drop("queue full", 1)
            break
          case "block": {
            // Effect.log cannot suspend. While the worker has a batch in the pipeline, writing
            // inline would put these events before it: queue past capacity instead (bounded by
            // what this fiber logs before the scheduler runs the worker again)
            if (processing) break
            // otherwise write what is queued and this event inline, in order, as one batch
            // (amortised), instead of dropping anything
            const queued = q.take(q.size)
            queued.push(event)
            return writeInlineUnsafe(queued)
          }
        }
      }
      q.push(event)
    }

    const offerBlocking = (event: LogEvent.LogEvent): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (q.ended) return Effect.sync(released)
        if (stats.mode === "sync") return Effect.sync(() => writeInlineUnsafe([event]))
        if (q.ordinary < options.capacity) {
          q.push(event)
          return Effect.void
        }
        return Effect.andThen(q.awaitRoom(), offerBlocking(event))
      })

    const offer = (event: LogEvent.LogEvent): Effect.Effect<void> => {
      if (options.mode === "sync") {
        stats.eventsIn++
        return runInline([event])
      }
      if (options.policy === "block" && q.ordinary >= options.capacity) {
        stats.eventsIn++
        return offerBlocking(event)
      }
      offerUnsafe(event)
      return Effect.void
    }

    const offerAll = (events: ReadonlyArray<LogEvent.LogEvent>): Effect.Effect<void> => {
      if (options.mode === "sync") {
        stats.eventsIn += events.length
        return runInline(events)
      }
      return Effect.forEach(events, offer, { discard: true })
    }

    const signalUnsafe = (event: LogEvent.LogEvent): void => {
      if (stats.mode === "sync") return writeInlineUnsafe([event])
      q.push(event)
    }

    const flush: Effect.Effect<void> = Effect.suspend(() => {
      if (stats.mode === "sync" || q.ended) return Effect.void
      const start = clock.currentTimeMillisUnsafe()
      return Effect.callback<void>((resume) => {
        const done = () => {
          stats.flushes++
          stats.lastFlushMillis = clock.currentTimeMillisUnsafe() - start
          resume(Effect.void)
        }
        pendingFlushes.add(done)
        q.push(LogEvent.flushMarker(done, start))
      })
    })

    // -- lifecycle -------------------------------------------------------------------------------

    if (options.mode === "async") {
      // the stream machinery is built when the first event arrives: an idle facade is one
      // suspended fiber and a few closures
      const fiber = yield* Effect.forkScoped(Effect.andThen(q.awaitAtLeast(1), supervise(0)))
      stats.fiber = fiber
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          q.end()
          const result = yield* Effect.timeoutOption(
            // drained: write-behind sinks reach the OS (and report what they lost) before the summary
            Effect.andThen(Fiber.await(fiber), flushWriters),
            options.drainTimeout
          )
          if (Option.isNone(result)) {
            yield* Fiber.interrupt(fiber)
            const queued = q.ordinary
            stats.drop("drain timeout", queued)
            // what the worker had taken but not delivered when it was stopped
            const inFlight = stats.lostInFlight("drain timeout")
            const after = `effect-fapilog: draining logger "${options.name}" timed out after ` +
              Duration.format(Duration.fromInputUnsafe(options.drainTimeout))
            process.stderr.write(
              queued + inFlight > 0
                ? `${after}; ${queued + inFlight} events lost (${queued} queued, ${inFlight} in flight)\n`
                : `${after} waiting for its sinks to flush; what they still hold is reported by each sink\n`
            )
          }
          // nothing can wait for a barrier of a closed logger
          for (const f of pendingFlushes) f()
          pendingFlushes.clear()
          const summary = stats.summaryDue(clock.currentTimeMillisUnsafe(), 0)
          if (summary !== undefined) writeBatchUnsafe(Sink.makeBatch([summary]))
          yield* stats.publish(metrics())
        })
      )
    }

    return {
      name: options.name,
      offerUnsafe,
      offer,
      offerAll,
      signalUnsafe,
      flush,
      metrics: Effect.sync(() => stats.snapshot()),
      metricsUnsafe: () => stats.snapshot()
    }
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const healthRank: Record<Health, number> = { healthy: 0, degraded: 1, failing: 2 }
const healthNames: ReadonlyArray<Health> = ["healthy", "degraded", "failing"]

/** Reasons that mean an event was lost, not removed on purpose; they trigger the WARN summary. */
const lossReasons = new Set(["queue full", "sink failure", "worker failure", "drain timeout", "logger released"])

class Stats {
  readonly options: Options
  readonly q: EventQueue
  mode: Mode
  eventsIn = 0
  /** events delivered to at least one sink */
  written = 0
  /** events whose batch failed on every sink */
  failedAll = 0
  /** events taken from the queue and found lost in flight (worker failure, drain timeout) */
  lostTaken = 0
  synthetic = 0
  taken = 0
  batches = 0
  lastBatchSize = 0
  sinkErrors = 0
  restarts = 0
  flushes = 0
  lastFlushMillis = 0
  dropped: Record<string, number> = {}
  pipeline: () => { readonly dropped: Readonly<Record<string, number>>; readonly absorbed: number } = () => ({
    dropped: {},
    absorbed: 0
  })
  private lost = 0
  private lostReported = 0
  private lastLossAt = -Infinity
  readonly sinks = new Map<string, { errors: number; failing: boolean; lastFailureAt: number; lastError: string | undefined }>()
  sinkNames: ReadonlyArray<string> = []
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  now: () => number = () => 0
  private lastSummaryAt = -Infinity
  private published = { eventsIn: 0, written: 0, dropped: {} as Record<string, number>, sinkErrors: 0, restarts: 0 }

  constructor(options: Options, q: EventQueue) {
    this.options = options
    this.q = q
    this.mode = options.mode
  }

  drop(reason: string, n: number): void {
    if (n <= 0) return
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n
    if (lossReasons.has(reason)) {
      this.lost += n
      this.lastLossAt = this.now()
    }
  }

  /** A batch of `n` events reached at least one sink (`ok`), or none of them. */
  delivered(n: number, ok: boolean): void {
    if (ok) this.written += n
    else this.failedAll += n
  }

  sinkFailed(sink: string, n: number, message: string, now: number): void {
    this.sinkErrors++
    this.drop("sink failure", n)
    const h = this.sinkState(sink)
    h.errors++
    h.failing = true
    h.lastFailureAt = now
    h.lastError = message
    this.lastLossAt = now
  }

  sinkOk(sink: string): void {
    const h = this.sinks.get(sink)
    if (h !== undefined) h.failing = false
  }

  private sinkState(sink: string) {
    let h = this.sinks.get(sink)
    if (h === undefined) {
      h = { errors: 0, failing: false, lastFailureAt: -Infinity, lastError: undefined as string | undefined }
      this.sinks.set(sink, h)
    }
    return h
  }

  /** Events taken from the queue that neither reached a sink nor were accounted by the pipeline. */
  lostInFlight(reason: string): number {
    const p = this.pipeline()
    let pipelineDropped = 0
    for (const k in p.dropped) pipelineDropped += p.dropped[k]!
    // lines written that came from no queued event (drop summaries, aggregate lines, whose
    // events are counted in `absorbed` instead) must not hide events lost in flight
    const accounted = this.written - this.synthetic + this.failedAll + pipelineDropped + p.absorbed + this.lostTaken
    const lost = this.taken - accounted
    if (lost <= 0) return 0
    this.lostTaken += lost
    this.drop(reason, lost)
    return lost
  }

  /** A WARN event summarising losses since the last one, if any happened and one is due. */
  summaryDue(now: number, every: number): LogEvent.LogEvent | undefined {
    if (this.lost === this.lostReported || now - this.lastSummaryAt < every) return undefined
    const n = this.lost - this.lostReported
    this.lostReported = this.lost
    this.lastSummaryAt = now
    const reasons: Array<string> = []
    for (const k in this.dropped) if (lossReasons.has(k)) reasons.push(`${k}: ${this.dropped[k]}`)
    return LogEvent.make({
      timestamp: now,
      level: "Warn",
      message: `dropped ${n} events: ${reasons.join(", ")}`,
      logger: this.options.name,
      fields: { _dropped: n, _dropped_total: { ...this.dropped } }
    })
  }

  snapshot(): Snapshot {
    const p = this.pipeline()
    const dropped: Record<string, number> = { ...this.dropped }
    for (const k in p.dropped) dropped[k] = (dropped[k] ?? 0) + p.dropped[k]!
    let droppedTotal = 0
    for (const k in dropped) droppedTotal += dropped[k]!
    return {
      logger: this.options.name,
      mode: this.mode,
      eventsIn: this.eventsIn,
      written: this.written,
      dropped,
      droppedTotal,
      absorbed: p.absorbed,
      queueDepth: this.q.ordinary,
      queueCapacity: this.options.capacity,
      batches: this.batches,
      lastBatchSize: this.lastBatchSize,
      sinkErrors: this.sinkErrors,
      restarts: this.restarts,
      flushes: this.flushes,
      lastFlushMillis: this.lastFlushMillis,
      ...this.healthView()
    }
  }

  private healthView(): Pick<Snapshot, "workerFibers" | "sinks" | "health"> {
    const now = this.now()
    const window = Duration.toMillis(this.options.dropSummaryInterval)
    const sinks: Record<string, SinkHealth> = {}
    let worst = 0
    for (const name of this.sinkNames) {
      const h = this.sinks.get(name)
      const status: Health = h === undefined
        ? "healthy"
        : h.failing
        ? "failing"
        : now - h.lastFailureAt < window
        ? "degraded"
        : "healthy"
      worst = Math.max(worst, healthRank[status])
      sinks[name] = { status, errors: h?.errors ?? 0, lastError: h?.lastError }
    }
    if (this.q.ordinary >= this.options.capacity * 0.8 || now - this.lastLossAt < window || this.mode !== this.options.mode) {
      worst = Math.max(worst, 1)
    }
    const fiber = this.fiber
    return {
      workerFibers: fiber !== undefined && fiber.pollUnsafe() === undefined ? 1 : 0,
      sinks,
      health: healthNames[worst]!
    }
  }

  /** Pushes the deltas since the last call into Effect `Metric`s. */
  publish(m: WorkerMetrics): Effect.Effect<void> {
    const pub = this.published
    const dIn = this.eventsIn - pub.eventsIn
    const dWritten = this.written - pub.written
    const dErrors = this.sinkErrors - pub.sinkErrors
    const dRestarts = this.restarts - pub.restarts
    pub.eventsIn = this.eventsIn
    pub.written = this.written
    pub.sinkErrors = this.sinkErrors
    pub.restarts = this.restarts
    const updates: Array<Effect.Effect<void>> = [
      Metric.update(m.queueDepth, this.q.ordinary),
      Metric.update(m.batchSize, this.lastBatchSize)
    ]
    if (dIn > 0) updates.push(Metric.update(m.eventsIn, dIn))
    if (dWritten > 0) updates.push(Metric.update(m.written, dWritten))
    const publishDrops = (dropped: Readonly<Record<string, number>>) => {
      for (const reason in dropped) {
        const delta = dropped[reason]! - (pub.dropped[reason] ?? 0)
        if (delta <= 0) continue
        pub.dropped[reason] = dropped[reason]!
        updates.push(Metric.update(m.dropped(reason), delta))
      }
    }
    publishDrops(this.dropped)
    publishDrops(this.pipeline().dropped)
    if (dErrors > 0) updates.push(Metric.update(m.sinkErrors, dErrors))
    if (dRestarts > 0) updates.push(Metric.update(m.restarts, dRestarts))
    if (this.lastFlushMillis > 0) updates.push(Metric.update(m.flushLatency, this.lastFlushMillis))
    return Effect.all(updates, { discard: true })
  }
}

interface WorkerMetrics {
  readonly eventsIn: Metric.Counter<number>
  readonly written: Metric.Counter<number>
  readonly dropped: (reason: string) => Metric.Counter<number>
  readonly sinkErrors: Metric.Counter<number>
  readonly restarts: Metric.Counter<number>
  readonly queueDepth: Metric.Gauge<number>
  readonly batchSize: Metric.Gauge<number>
  readonly flushLatency: Metric.Gauge<number>
}

const metricsFor = (logger: string): WorkerMetrics => {
  const attributes = { logger }
  const dropped = new Map<string, Metric.Counter<number>>()
  return {
    eventsIn: Metric.counter("fapilog_events_in", { attributes, incremental: true }),
    written: Metric.counter("fapilog_events_written", { attributes, incremental: true }),
    dropped: (reason) => {
      let counter = dropped.get(reason)
      if (counter === undefined) {
        counter = Metric.counter("fapilog_events_dropped", { attributes: { logger, reason }, incremental: true })
        dropped.set(reason, counter)
      }
      return counter
    },
    sinkErrors: Metric.counter("fapilog_sink_errors", { attributes, incremental: true }),
    restarts: Metric.counter("fapilog_worker_restarts", { attributes, incremental: true }),
    queueDepth: Metric.gauge("fapilog_queue_depth", { attributes }),
    batchSize: Metric.gauge("fapilog_batch_size", { attributes }),
    flushLatency: Metric.gauge("fapilog_flush_latency_ms", { attributes })
  }
}

const isAggregate = (fields: Readonly<Record<string, unknown>>): boolean => {
  try {
    return fields._aggregated === true
  } catch {
    return false
  }
}

const failureMessage = (cause: Cause.Cause<unknown>): string => {
  for (const reason of cause.reasons) {
    const error = reason._tag === "Fail" ? reason.error : reason._tag === "Die" ? reason.defect : undefined
    if (error !== undefined) {
      if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") return error.message
      return String(error)
    }
  }
  return "interrupted"
}

const countOrdinary = (events: ReadonlyArray<LogEvent.LogEvent>): number => {
  let n = 0
  for (let i = 0; i < events.length; i++) if (events[i]!.control === undefined) n++
  return n
}

const reportedErrors = new Set<string>()
const stderrOnce = (message: string): void => {
  if (reportedErrors.has(message)) return
  reportedErrors.add(message)
  process.stderr.write(message)
}
