/**
 * The one queue-draining engine behind every facade: its options, its metrics and its interface.
 *
 * Workers are started by the `Loggers` instance of a layer (`Fapilog.layer`), one per engine.
 *
 * A worker is scoped: acquiring it creates a bounded queue and forks the draining fiber into the
 * scope; releasing it ends the queue and waits (up to `drainTimeout`) until every queued event
 * has gone through the pipeline into the sinks. An idle worker is a fiber suspended on the queue.
 *
 * The caller's fiber pays for building the event and one `offer`; batching (by size and by time
 * read from `Clock`), the pipeline (a `Stream` transformation), sink writes with timeout and
 * retry, drop accounting and metrics all happen on the worker fiber.
 *
 * Every mode is a use of one mechanism: ONE instance of the pipeline per worker, kept for its
 * life, that the draining fiber drives batch by batch and that synchronous callers (`mode:
 * "sync"`, the `block` policy's inline write, the fallback after restarts, the process's `exit`)
 * drive synchronously — so stateful stages keep their state in every mode. A worker is the
 * composition (`internal/engine/worker.ts`) of the components in `internal/engine/` (batching,
 * runner, delivery, accounting, metrics, supervision and lifecycle), each with its contract.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { ExitHooks } from "./internal/engine/exit.ts"
import { PipelineNotSynchronous } from "./internal/engine/worker.ts"
import type * as LogEvent from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"

/**
 * What happens to an event offered to a full queue.
 *
 * - `"dropOldest"` (default): the oldest queued event is dropped and counted.
 * - `"dropNewest"`: the new event is dropped and counted.
 * - `"block"`: nothing is lost. Facade calls suspend until there is room; the synchronous
 *   `Effect.log` path, which cannot suspend, writes the event inline instead.
 *
 * @example An audit log that waits rather than drops
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
 * handlers that may be frozen right after a call). Sync mode drives the worker's one pipeline
 * synchronously: a stage that cannot run synchronously makes `make` fail with
 * {@link PipelineNotSynchronous}; an aggregate whose window closed is emitted by the next call,
 * `flush` or the release (no fiber wakes at its deadline).
 *
 * @example Writing inline in a serverless handler
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
 * @example The defaults with a few changes
 * ```ts
 * import * as Worker from "effect-fapilog/Worker"
 *
 * const options: Worker.Options = { ...Worker.defaults, name: "audit", policy: "block", batchSize: 64 }
 * console.log(options.name, options.policy, options.batchSize, options.capacity) // => audit block 64 10000
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
  /**
   * Where the worker registers its `process.once("exit")` hook (see {@link ExitHooks}); one
   * registry shared by the workers of a layer keeps one listener per layer. Default: its own.
   */
  readonly exitHooks?: ExitHooks | undefined
}

/**
 * Hooks run on the process's `exit` event behind one listener: share one between the workers of
 * a layer so that many named loggers add one listener, not one each.
 *
 * @example One exit listener for several workers
 * ```ts
 * import * as Worker from "effect-fapilog/Worker"
 *
 * const exitHooks = new Worker.ExitHooks()
 * const options: Worker.Options = { ...Worker.defaults, name: "audit", exitHooks }
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export { ExitHooks }

/**
 * A point-in-time view of a worker's counters.
 *
 * `dropped` is keyed by reason: `"queue full"`, `"sink failure"` (no sink got the event),
 * `"worker failure"`, `"drain timeout"`, and whatever pipeline operators report (`"sampled out"`,
 * …). Once drained, `eventsIn` = `written` (less the aggregate and summary lines, which stand for
 * no offered event) + `droppedTotal` + `absorbed`.
 *
 * @example A one-line summary of a worker
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const describe = (m: Worker.Snapshot): string =>
 *   `${m.logger}: ${m.written}/${m.eventsIn} written, ${m.droppedTotal} dropped, queue ${m.queueDepth}/${m.queueCapacity}`
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("payments")
 *   yield* log.info("charge created")
 *   yield* log.flush
 *   return describe(yield* log.metrics)
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * // "payments" has no sinks or pipeline of its own: it writes through the root's worker
 * console.log(await Effect.runPromise(Effect.provide(program, layer))) // => root: 1/1 written, 0 dropped, queue 0/10000
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
  /**
   * Per sink, the events it failed to write (errors after retries, or lost after acceptance).
   * They are not counted in `dropped` when another sink got them: an event is written if at
   * least one sink got it.
   */
  readonly sinkFailedEvents: Readonly<Record<string, number>>
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
 * @example Whether logging needs attention
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const needsAttention = (health: Worker.Health): boolean => health !== "healthy"
 * const program = Effect.map(Logger.health, (report) => needsAttention(report.status))
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(program, layer))) // => false
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Health = "healthy" | "degraded" | "failing"

/**
 * What a worker knows about one of its sinks.
 *
 * @example The sinks that are failing
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const failing = (sinks: Readonly<Record<string, Worker.SinkHealth>>): Array<string> =>
 *   Object.entries(sinks).filter(([, s]) => s.status === "failing").map(([name, s]) => `${name}: ${s.lastError}`)
 * const program = Effect.gen(function*() {
 *   const root = yield* Logger.root
 *   return failing((yield* root.metrics).sinks)
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(program, layer))) // => []
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
 * @example The queue depth of every worker
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 * import type * as Worker from "effect-fapilog/Worker"
 *
 * const queueDepths = Effect.gen(function*() {
 *   const loggers = yield* Logger.Loggers
 *   const workers: ReadonlyArray<Worker.Worker> = loggers.workers()
 *   return workers.map((w) => [w.name, w.metricsUnsafe().queueDepth] as const)
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(queueDepths, layer))) // => [ [ 'root', 0 ] ]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Worker {
  readonly name: string
  /** Offers from a synchronous context (Effect's `Logger.log`); never suspends. */
  readonly offerUnsafe: (event: LogEvent.LogEvent) => void
  /** Offers from an effect, when it runs; suspends under the `block` policy when the queue is full. */
  readonly offer: (event: LogEvent.LogEvent) => Effect.Effect<void>
  /**
   * Offers at once — call it only from inside a running effect (`Effect.withFiber`), never while
   * building one — and returns `Effect.void`, or under `block` with a full queue the effect that
   * waits for room. The facades' hot path (one effect fewer per call than `offer`).
   */
  readonly offerNowUnsafe: (event: LogEvent.LogEvent) => Effect.Effect<void>
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
 * The defaults: capacity 10,000, `dropOldest`, batches of 256 or 50 ms (a backlog of whole batches
 * is taken up to 4 batches at a time), 5 s drain timeout, a drop summary at most every 5 s, 5
 * restarts from 100 ms.
 *
 * @example A small, quick worker
 * ```ts
 * import * as Worker from "effect-fapilog/Worker"
 *
 * console.log(Worker.defaults.capacity, Worker.defaults.policy, Worker.defaults.batchSize) // => 10000 dropOldest 256
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
 * A `mode: "sync"` worker whose pipeline has a stage that cannot run synchronously (it suspends,
 * or waits for more input than one call has, such as a grouping stage). Raised when the worker
 * is built, so that sync mode never silently degrades: the layer then fails to build, with this
 * error as its defect.
 *
 * @example Explaining the defect a layer failed with
 * ```ts
 * import * as Worker from "effect-fapilog/Worker"
 *
 * const explain = (defect: unknown): string =>
 *   defect instanceof Worker.PipelineNotSynchronous ? `logger ${defect.logger}: ${defect.reason}` : String(defect)
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export { PipelineNotSynchronous }
