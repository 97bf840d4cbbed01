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
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { isAggregateLine, Ledger } from "./internal/engine/accounting.ts"
import { makeBatcher } from "./internal/engine/batching.ts"
import { type Delivery, makeDelivery, Reporter } from "./internal/engine/delivery.ts"
import { ExitHooks } from "./internal/engine/exit.ts"
import * as Metrics from "./internal/engine/metrics.ts"
import { makePublisher } from "./internal/engine/metrics.ts"
import { type Consume, Runner, type SyncOutcome } from "./internal/engine/runner.ts"
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
 * @example
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
): Effect.Effect<Worker, PipelineNotSynchronous, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    // the pipeline's scope is made before the release finalizer, so it closes after the drain
    const scope = yield* Scope.fork(yield* Effect.scope)
    const { counters, snapshot: pipelineSnapshot } = Pipeline.makeCounters()
    // every effect the worker runs, runs with the layer's context (Clock, Random, services)
    const context = Context.add(yield* Effect.context<never>(), Pipeline.Counters, counters)
    const q = new EventQueue(options.capacity)
    const ledger = new Ledger(options.name)
    ledger.now = () => clock.currentTimeMillisUnsafe()
    ledger.pipeline = pipelineSnapshot
    const reporter = new Reporter()
    const delivery = makeDelivery(options.name, writers, ledger, context, reporter)
    const batcher = makeBatcher(q, ledger, options)
    const runner = new Runner(options.pipeline, context, scope, batcher.next)
    const state = { mode: options.mode, fiber: undefined as Fiber.Fiber<unknown, unknown> | undefined, pendingFlushes: new Set<() => void>() }
    const publish = makePublisher(ledger, () => q.ordinary)
    const consumers = makeConsumers(options, ledger, delivery, clock, state.pendingFlushes, batcher, publish)
    const sync = makeSyncPath(options, ledger, runner, consumers.sync, batcher, reporter, context, state.pendingFlushes, delivery.flush)

    if (options.mode === "sync") {
      // a stage that cannot run synchronously is reported now, not found out per call
      const probe = runner.driveUnsafe([], consumers.sync)
      if (probe._tag !== "Done") {
        return yield* Effect.fail(new PipelineNotSynchronous({ logger: options.name, reason: probe._tag === "Failed" ? Cause.pretty(probe.cause) : "a stage suspends" }))
      }
    }
    const offers = makeOffers(options, q, ledger, state, sync, reporter, clock)
    yield* lifecycle(options, { q, ledger, runner, delivery, batcher, consumers, publish, sync, state, reporter, clock })
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

/**
 * A `mode: "sync"` worker whose pipeline has a stage that cannot run synchronously (it suspends,
 * or waits for more input than one call has, such as a grouping stage). Raised when the worker
 * is built, so that sync mode never silently degrades.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Worker from "effect-fapilog/Worker"
 *
 * const program = Effect.catchTag(
 *   Effect.scoped(Worker.make({ ...Worker.defaults, name: "app", mode: "sync" }, [])),
 *   "PipelineNotSynchronous",
 *   (e) => Effect.logWarning(e.message)
 * )
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class PipelineNotSynchronous extends Data.TaggedError("PipelineNotSynchronous")<{
  readonly logger: string
  readonly reason: string
}> {
  override get message(): string {
    return `logger "${this.logger}" has mode "sync" but its pipeline cannot run synchronously: ${this.reason}`
  }
}

// -----------------------------------------------------------------------------
// internal: the composition's parts
// -----------------------------------------------------------------------------

type Consumers = ReturnType<typeof makeConsumers>
type SyncPath = ReturnType<typeof makeSyncPath>
interface State {
  mode: Mode
  fiber: Fiber.Fiber<unknown, unknown> | undefined
  readonly pendingFlushes: Set<() => void>
}

/**
 * What is done with the pipeline's output: split each chunk into lines and flush barriers, add
 * a due drop summary, deliver (asynchronously from the draining fiber, synchronously from a
 * synchronous drive, or to synchronous sinks only at the process's exit), then release barriers.
 */
const makeConsumers = (
  options: Options,
  ledger: Ledger,
  delivery: Delivery,
  clock: Clock.Clock,
  pendingFlushes: Set<() => void>,
  batcher: ReturnType<typeof makeBatcher>,
  publish: Effect.Effect<void>
) => {
  const summaryEvery = Duration.toMillis(options.dropSummaryInterval)
  const split = (chunk: ReadonlyArray<LogEvent.LogEvent>) => {
    let events: Array<LogEvent.LogEvent> | undefined
    let barriers: Array<() => void> | undefined
    let synthetic = 0
    let plain = true
    for (let i = 0; i < chunk.length; i++) {
      const e = chunk[i]!
      if (e.control !== undefined) plain = false
      // an aggregate stands for events the aggregator counted as absorbed (its first included)
      else if (isAggregateLine(e)) synthetic++
    }
    if (plain) events = chunk as Array<LogEvent.LogEvent>
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
    const write = events === undefined ? Effect.void : delivery.write(Sink.makeBatch(events), synthetic)
    if (barriers === undefined) return Effect.andThen(write, publish)
    return Effect.andThen(Effect.andThen(Effect.andThen(write, delivery.flush), publish), Effect.sync(() => release(barriers)))
  }
  const sync: Consume = (chunk) =>
    Effect.sync(() => {
      const { barriers, events, synthetic } = split(chunk)
      if (events !== undefined) delivery.writeUnsafe(Sink.makeBatch(events), synthetic)
      if (barriers !== undefined) release(barriers)
    })
  return { async, sync, split }
}

/**
 * The synchronous path: sync mode, the `block` policy's inline write, the fallback after
 * restarts. Each call is a synchronous drive of the worker's one pipeline; a pipeline that dies
 * in it is counted (`worker failure`) and rebuilt.
 */
const makeSyncPath = (
  options: Options,
  ledger: Ledger,
  runner: Runner,
  consume: Consume,
  batcher: ReturnType<typeof makeBatcher>,
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
  const writeUnsafe = (events: ReadonlyArray<LogEvent.LogEvent>): void => {
    batcher.taken(events)
    outcome(runner.driveUnsafe(events, consume))
  }
  const finishUnsafe = (): void => outcome(runner.finishUnsafe(consume))
  return { writeUnsafe, finishUnsafe, busy: () => runner.busy, flushSinks }
}

/** The offer paths: the hot path (`offerUnsafe`), effects that act when run, control events, flush. */
const makeOffers = (
  options: Options,
  q: EventQueue,
  ledger: Ledger,
  state: State,
  sync: SyncPath,
  reporter: Reporter,
  clock: Clock.Clock
) => {
  const released = () => {
    ledger.drop("logger released", 1)
    reporter.once(
      `effect-fapilog: logger "${options.name}" was used after it was released (scope closed, cache ` +
        `cleared or idle TTL); its events are dropped and counted. Look the logger up again instead of keeping it.\n`
    )
  }
  const runnerBusy = sync.busy
  const offerUnsafe = (event: LogEvent.LogEvent): void => {
    ledger.eventsIn++
    if (state.mode === "sync") return sync.writeUnsafe([event])
    if (q.ended) return released()
    if (q.ordinary >= options.capacity) {
      switch (options.policy) {
        case "dropNewest":
          return ledger.drop("queue full", 1)
        case "dropOldest":
          if (q.dropOldest()) ledger.drop("queue full", 1)
          break
        case "block": {
          // Effect.log cannot suspend. While the worker drives a batch through the pipeline,
          // the pipeline is taken: queue past capacity (bounded by what this fiber logs before
          // the scheduler runs the worker again). Otherwise write what is queued and this event
          // through the same pipeline, synchronously, in order, as one batch
          if (runnerBusy()) break
          const queued = q.take(q.size)
          queued.push(event)
          return sync.writeUnsafe(queued)
        }
      }
    }
    q.push(event)
  }

  const offerBlocking = (event: LogEvent.LogEvent): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (q.ended) return Effect.sync(released)
      if (state.mode === "sync") return Effect.sync(() => sync.writeUnsafe([event]))
      if (q.ordinary < options.capacity) {
        q.push(event)
        return Effect.void
      }
      return Effect.andThen(q.awaitRoom(), offerBlocking(event))
    })

  // effects act when run, not when built
  const offer = options.policy === "block"
    ? (event: LogEvent.LogEvent): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (state.mode === "async" && q.ordinary >= options.capacity) {
          ledger.eventsIn++
          return offerBlocking(event)
        }
        offerUnsafe(event)
        return Effect.void
      })
    : (event: LogEvent.LogEvent): Effect.Effect<void> => Effect.sync(() => offerUnsafe(event))

  const offerAll = (events: ReadonlyArray<LogEvent.LogEvent>): Effect.Effect<void> =>
    options.policy === "block"
      ? Effect.forEach(events, offer, { discard: true })
      : Effect.sync(() => {
        for (let i = 0; i < events.length; i++) offerUnsafe(events[i]!)
      })

  const signalUnsafe = (event: LogEvent.LogEvent): void => {
    if (state.mode === "sync") return sync.writeUnsafe([event])
    q.push(event)
  }

  const flush: Effect.Effect<void> = Effect.suspend(() => {
    const start = clock.currentTimeMillisUnsafe()
    const done = () => {
      ledger.flushes++
      ledger.lastFlushMillis = clock.currentTimeMillisUnsafe() - start
    }
    if (state.mode === "sync") {
      // the barrier makes the stages emit what they hold (aggregates); then sinks reach the OS
      sync.writeUnsafe([LogEvent.flushMarker(() => {}, start)])
      return Effect.andThen(sync.flushSinks, Effect.sync(done))
    }
    if (q.ended) return Effect.void
    return Effect.callback<void>((resume) => {
      const f = () => {
        done()
        resume(Effect.void)
      }
      state.pendingFlushes.add(f)
      q.push(LogEvent.flushMarker(f, start))
    })
  })

  return { offerUnsafe, offer, offerAll, signalUnsafe, flush }
}

interface Parts {
  readonly q: EventQueue
  readonly ledger: Ledger
  readonly runner: Runner
  readonly delivery: Delivery
  readonly batcher: ReturnType<typeof makeBatcher>
  readonly consumers: Consumers
  readonly publish: Effect.Effect<void>
  readonly sync: SyncPath
  readonly state: State
  readonly reporter: Reporter
  readonly clock: Clock.Clock
}

/**
 * Supervision: the draining fiber drives one batch at a time through the pipeline; if the
 * pipeline dies, what it held is counted (`worker failure`), its barriers released, and a new
 * instance is built, after an exponential `Schedule`-like backoff; after `maxRestarts` the
 * worker falls back to synchronous drives of its (rebuilt) pipeline.
 */
const supervise = (options: Options, p: Parts): Effect.Effect<void> => {
  const drain: Effect.Effect<void, unknown> = Effect.flatMap(p.batcher.next, (batch) =>
    batch === undefined
      ? p.runner.finish(p.consumers.async)
      : Effect.andThen(p.runner.drive(batch, p.consumers.async), drain))
  /** A death: what the dead instance held is counted, its barriers released, a new one built. */
  const died = (cause: Cause.Cause<unknown>): Effect.Effect<void> =>
    Effect.suspend(() => {
      p.ledger.restarts++
      // the last death: the fallback starts now (later calls write synchronously)
      if (p.ledger.restarts > options.maxRestarts) p.state.mode = "sync"
      p.ledger.lostInFlight("worker failure")
      // a new instance before anyone learns of the death (a released flush may log at once)
      return Effect.andThen(p.runner.rebuild(), Effect.sync(() =>
        p.batcher.releaseBarriers((f) => {
          p.state.pendingFlushes.delete(f)
          f()
        })
      ))
    })
  const once = Effect.catchCause(drain, (cause) =>
    Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : Effect.andThen(died(cause), Effect.fail(cause)))
  const restarted = Effect.retry(once, {
    schedule: Schedule.exponential(Duration.fromInputUnsafe(options.restartBase)),
    times: options.maxRestarts
  })
  return Effect.catchCause(restarted, (cause) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    return Effect.sync(() => {
      p.state.mode = "sync"
      const last = Cause.squash(cause)
      p.reporter.once(
        `effect-fapilog: worker of logger "${options.name}" died ${options.maxRestarts + 1} times; ` +
          `falling back to synchronous writes through its rebuilt pipeline. Last failure: ` +
          `${Cause.isCause(last) ? Cause.pretty(last) : String(last)}\n`
      )
      while (p.q.size > 0) p.sync.writeUnsafe(p.q.take(p.batcher.batchSize))
    })
  })
}

/**
 * Start and release. Async mode forks the draining fiber into the scope at once (it waits for
 * the first event; the pipeline instance is built at the first drive). Release ends the queue,
 * waits (up to `drainTimeout`) for the fiber to drain it through the pipeline and for the sinks
 * to reach the OS, counts what the timeout cut off, then ends a synchronous pipeline (sync mode
 * or after the fallback) so that its stages emit what they hold. A `process.once("exit")` hook
 * writes what is still queued, synchronously, until release removes it.
 */
const lifecycle = (options: Options, p: Parts): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const removeExitHook = (options.exitHooks ?? new ExitHooks()).register(() => atExit(options, p))
    if (options.mode === "async") {
      p.state.fiber = yield* Effect.forkScoped(Effect.andThen(p.q.awaitAtLeast(1), supervise(options, p)))
    }
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        removeExitHook()
        p.q.end()
        const fiber = p.state.fiber
        if (fiber !== undefined) {
          const result = yield* Effect.timeoutOption(Effect.andThen(Fiber.await(fiber), p.delivery.flush), options.drainTimeout)
          if (Option.isNone(result)) {
            yield* Fiber.interrupt(fiber)
            reportDrainTimeout(options, p)
          }
        }
        if (p.state.mode === "sync") {
          p.sync.finishUnsafe()
          yield* p.delivery.flush
        }
        // nothing can wait for a barrier of a closed logger
        for (const f of p.state.pendingFlushes) f()
        p.state.pendingFlushes.clear()
        const summary = p.ledger.summaryDue(p.clock.currentTimeMillisUnsafe(), 0)
        if (summary !== undefined) p.delivery.writeUnsafe(Sink.makeBatch([summary]), 1)
        yield* p.publish
      })
    )
  })

const reportDrainTimeout = (options: Options, p: Parts): void => {
  const queued = p.q.ordinary
  p.ledger.drop("drain timeout", queued)
  // what the worker had taken but not delivered when it was stopped
  const inFlight = p.ledger.lostInFlight("drain timeout")
  const after = `effect-fapilog: draining logger "${options.name}" timed out after ` +
    Duration.format(Duration.fromInputUnsafe(options.drainTimeout))
  process.stderr.write(
    queued + inFlight > 0
      ? `${after}; ${queued + inFlight} events lost (${queued} queued, ${inFlight} in flight)\n`
      : `${after} waiting for its sinks to flush; what they still hold is reported by each sink\n`
  )
}

/**
 * The process is exiting (`process.exit`, or the event loop ran dry): no fiber will run again.
 * What is queued goes through the same pipeline, synchronously, to every sink that can write
 * synchronously; what the others (OTLP, syslog) did not get is reported on stderr, one line.
 */
const atExit = (options: Options, p: Parts): void => {
  const queued = p.q.take(p.q.size)
  p.batcher.taken(queued)
  let toSyncSinks = 0
  let synchronousSinks = false
  const consume: Consume = (chunk) =>
    Effect.sync(() => {
      const { events, synthetic } = p.consumers.split(chunk)
      if (events === undefined) return
      toSyncSinks += events.length
      synchronousSinks = p.delivery.writeExitUnsafe(Sink.makeBatch(events), synthetic)
    })
  const outcome = p.runner.driveAtExitUnsafe(queued, consume)
  p.delivery.flushExitUnsafe()
  const lost = outcome._tag === "Done" ? 0 : p.ledger.lostInFlight("process exit")
  const missed = p.delivery.asyncOnly
  if (lost > 0 || (toSyncSinks > 0 && (missed.length > 0 || !synchronousSinks))) {
    process.stderr.write(
      `effect-fapilog: process exiting: logger "${options.name}" ` +
        (lost > 0 ? `lost ${lost} events still inside its pipeline; ` : "") +
        (missed.length > 0 && toSyncSinks > 0 ? `${toSyncSinks} lines not sent to ${missed.join(", ")} (cannot write synchronously)` : "") +
        "\n"
    )
  }
}
