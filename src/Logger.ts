/**
 * Named loggers: one cached facade per name, each a scoped `Layer` whose acquisition forks its
 * worker fiber and whose release drains it.
 *
 * `Logger.named(name)` needs only the `Loggers` service that `FapilogLive` / `Fapilog.layer`
 * provide. The cache is a memoized `LayerMap` keyed by name, built in the layer's scope, so every
 * cached facade is drained when that scope closes — a program cannot leak logger workers.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as LayerMap from "effect/LayerMap"
import type * as LogLevel from "effect/LogLevel"
import * as RcMap from "effect/RcMap"
import * as Scope from "effect/Scope"
import type * as Config from "./Config.ts"
import * as LogEvent from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"
import * as Redactor from "./Redactor.ts"
import * as Sink from "./Sink.ts"
import * as Worker from "./Worker.ts"
import * as Event from "./internal/event.ts"

/**
 * Fields given at a call site: a record, or a function evaluated only when the level is enabled
 * (so expensive context costs nothing when filtered out).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const cache = new Map<string, string>()
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("cache")
 *   const eager: Logger.Fields = { key: "user:42" }
 *   const lazy: Logger.Fields = () => ({ entries: cache.size, keys: [...cache.keys()] })
 *   yield* log.info("hit", eager)
 *   yield* log.debug("state", lazy) // the function runs only when Debug is enabled
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Fields = Readonly<Record<string, unknown>> | (() => Readonly<Record<string, unknown>>)

/**
 * One entry of {@link NamedLogger.batch}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("import")
 *   const entries: ReadonlyArray<Logger.Entry> = [
 *     { level: "Info", message: "row imported", fields: { row: 1 } },
 *     { level: "Warn", message: "row skipped", fields: { row: 2, reason: "duplicate" } }
 *   ]
 *   yield* log.batch(entries)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly level: LogLevel.Severity
  readonly message: string
  readonly fields?: Fields | undefined
}

/**
 * A logger facade.
 *
 * A message containing `{name}` placeholders is a template: the placeholders are filled from the
 * fields and the template itself is kept on the event (the aggregator keys on it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Logger } from "effect-fapilog"
 *
 * const checkout = (log: Logger.NamedLogger, orderId: string) =>
 *   Effect.gen(function*() {
 *     const orderLog = log.with({ order_id: orderId })
 *     yield* orderLog.info("checkout started")
 *     yield* orderLog.warn("payment retry {attempt}", { attempt: 2 }) // "payment retry 2"
 *   })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface NamedLogger {
  readonly name: string
  readonly trace: (message: string, fields?: Fields) => Effect.Effect<void>
  readonly debug: (message: string, fields?: Fields) => Effect.Effect<void>
  readonly info: (message: string, fields?: Fields) => Effect.Effect<void>
  readonly warn: (message: string, fields?: Fields) => Effect.Effect<void>
  readonly error: (message: string, fields?: Fields) => Effect.Effect<void>
  readonly fatal: (message: string, fields?: Fields) => Effect.Effect<void>
  readonly log: (level: LogLevel.Severity, message: string, fields?: Fields) => Effect.Effect<void>
  /** Several events in one offer. */
  readonly batch: (entries: ReadonlyArray<Entry>) => Effect.Effect<void>
  /** A child binding `fields`; it shares this facade's worker (no new fiber). */
  readonly with: (fields: Readonly<Record<string, unknown>>) => NamedLogger
  /** Returns once everything offered before it has been written or deliberately dropped. */
  readonly flush: Effect.Effect<void>
  readonly metrics: Effect.Effect<Worker.Snapshot>
  /** Whether `level` passes this facade's minimum level. */
  readonly isEnabled: (level: LogLevel.Severity) => boolean
}

/**
 * Per-name options, honoured at first use (the first configuration wins).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const options: Logger.NamedOptions = { level: "Debug", fields: { component: "db" } }
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("db", options)
 *   yield* log.debug("connected")
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface NamedOptions {
  readonly level?: LogLevel.LogLevel | undefined
  readonly fields?: Readonly<Record<string, unknown>> | undefined
  readonly sinks?: ReadonlyArray<Sink.Sink> | undefined
  readonly pipeline?: Pipeline.Pipeline | undefined
}

/**
 * The `Loggers` service: the named-logger cache of one `Fapilog.layer`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const loggers: Logger.LoggersShape = yield* Logger.Loggers
 *   const log = yield* loggers.named("jobs")
 *   const names = yield* loggers.cachedNames
 *   yield* log.info(`${names.length} loggers cached`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LoggersShape {
  readonly root: NamedLogger
  readonly named: (name: string, options?: NamedOptions) => Effect.Effect<NamedLogger, Sink.SinkError>
  readonly fresh: (name: string, options?: NamedOptions) => Effect.Effect<NamedLogger, Sink.SinkError, Scope.Scope>
  readonly cachedNames: Effect.Effect<ReadonlyArray<string>>
  readonly clearCache: Effect.Effect<void>
  readonly invalidate: (name: string) => Effect.Effect<void>
  /** Tells every live worker that the region of `correlationId` has ended. */
  readonly endCorrelationUnsafe: (correlationId: string) => void
  readonly workers: () => ReadonlyArray<Worker.Worker>
}

/**
 * The service that `FapilogLive` and `Fapilog.layer` provide.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const loggers = yield* Logger.Loggers
 *   yield* loggers.root.info("through the service")
 * }).pipe(Effect.provide(Fapilog.layer()))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class Loggers extends Context.Service<Loggers, LoggersShape>()("effect-fapilog/Loggers") {}

// -----------------------------------------------------------------------------
// accessors
// -----------------------------------------------------------------------------

/**
 * The facade for `name`: the same instance for the same name, from any number of fibers, for
 * the lifetime of the layer. With `{ reuse: false }`, a fresh facade owned by the caller's scope
 * (closing it drains it); it never enters or disturbs the cache.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("payments")
 *   yield* log.info("charge created", { amount: 10 })
 * }).pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.memory()] })))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export function named(name: string, options: NamedOptions & { readonly reuse: false }): Effect.Effect<NamedLogger, Sink.SinkError, Loggers | Scope.Scope>
export function named(
  name: string,
  options: NamedOptions & { readonly sinks: ReadonlyArray<Sink.Sink>; readonly reuse?: true | undefined }
): Effect.Effect<NamedLogger, Sink.SinkError, Loggers>
export function named(
  name: string,
  options?: Omit<NamedOptions, "sinks"> & { readonly reuse?: true | undefined }
): Effect.Effect<NamedLogger, never, Loggers>
export function named(
  name: string,
  options?: NamedOptions & { readonly reuse?: boolean | undefined }
): Effect.Effect<NamedLogger, Sink.SinkError, Loggers | Scope.Scope> {
  if (options?.reuse === false) return Effect.flatMap(Loggers, (l) => l.fresh(name, options))
  return Effect.flatMap(Loggers, (l) => l.named(name, options))
}

/**
 * The root facade, the one plain `Effect.log*` writes through.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const root = yield* Logger.root
 *   yield* root.info("same worker as Effect.logInfo", { source: "facade" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const root: Effect.Effect<NamedLogger, never, Loggers> = Effect.map(Loggers, (l) => l.root)

/**
 * The names currently cached.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   yield* Logger.named("payments")
 *   const names = yield* Logger.cachedNames // includes "payments"
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const cachedNames: Effect.Effect<ReadonlyArray<string>, never, Loggers> = Effect.flatMap(
  Loggers,
  (l) => l.cachedNames
)

/**
 * Drains and removes every cached facade (except the root); a later `named` builds fresh ones.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * // after a configuration reload: the next `named` calls build fresh facades
 * const reload = Effect.gen(function*() {
 *   yield* Logger.clearCache
 *   const log = yield* Logger.named("payments", { level: "Debug" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const clearCache: Effect.Effect<void, never, Loggers> = Effect.flatMap(Loggers, (l) => l.clearCache)

/**
 * Drains and removes the cached facade of `name`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const reconfigure = Effect.gen(function*() {
 *   yield* Logger.invalidate("payments")
 *   const log = yield* Logger.named("payments", { level: "Debug" }) // built anew with these options
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const invalidate = (name: string): Effect.Effect<void, never, Loggers> =>
  Effect.flatMap(Loggers, (l) => l.invalidate(name))

/**
 * A health view over every live facade: the worst status overall, and per logger its queue
 * depth, drop rate (dropped / offered) and per-sink status (healthy, degraded when a sink failed
 * within the last drop-summary interval, failing when its last write failed).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const report = Effect.gen(function*() {
 *   const health = yield* Logger.health
 *   if (health.status !== "healthy") yield* Effect.logWarning("logging degraded", health)
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const health: Effect.Effect<HealthReport, never, Loggers> = Effect.map(Loggers, (l) => {
  const loggers = l.workers().map((w) => {
    const m = w.metricsUnsafe()
    return {
      logger: m.logger,
      status: m.health,
      queueDepth: m.queueDepth,
      queueCapacity: m.queueCapacity,
      dropRate: m.eventsIn === 0 ? 0 : m.droppedTotal / m.eventsIn,
      sinks: m.sinks
    }
  })
  const status: Worker.Health = loggers.some((x) => x.status === "failing")
    ? "failing"
    : loggers.some((x) => x.status === "degraded")
    ? "degraded"
    : "healthy"
  return { status, loggers }
})

/**
 * The result of {@link health}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const describe = (report: Logger.HealthReport): string =>
 *   report.loggers.map((l) => `${l.logger}: ${l.status}, queue ${l.queueDepth}/${l.queueCapacity}`).join("\n")
 * const program = Effect.map(Logger.health, describe)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface HealthReport {
  readonly status: Worker.Health
  readonly loggers: ReadonlyArray<{
    readonly logger: string
    readonly status: Worker.Health
    readonly queueDepth: number
    readonly queueCapacity: number
    readonly dropRate: number
    readonly sinks: Readonly<Record<string, Worker.SinkHealth>>
  }>
}

/**
 * Tags every event logged inside `self` (through any facade or `Effect.log`) with
 * `correlation_id`, and tells the pipeline when the region ends (the aggregator emits the
 * region's aggregates; the tail sampler decides the region's buffer).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const handler = Effect.logInfo("handling")
 * const tagged = Logger.withCorrelationId("req-1")(handler)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCorrelationId = (correlationId: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    // the region is opened inside the `onExit` (whose finalizer is in place before its body
    // runs), so an interruption at any point leaves no region open; cheaper than
    // `acquireUseRelease`, and this runs once per request
    let open: OpenRegion | undefined
    return Effect.onExit(
      Effect.suspend(() => {
        open = openRegion(correlationId)
        return Effect.provideService(self, LogEvent.CurrentRegion, open.region)
      }),
      () => {
        if (open !== undefined) closeRegion(open)
        return Effect.void
      }
    )
  })

interface OpenRegion {
  count: number
  readonly region: LogEvent.Region
}

// built with `new`, not a literal, like events (see src/internal/event.ts)
class OpenRegionRecord implements OpenRegion {
  count = 0
  readonly region: LogEvent.Region
  constructor(correlationId: string) {
    this.region = Event.region(correlationId)
  }
}

// regions with the same id (a propagated request id seen twice at once, nested middleware)
// share one record; the end is signalled when the last of them ends
const openRegion = (correlationId: string): OpenRegion => {
  let open = openRegions.get(correlationId)
  if (open === undefined) {
    open = new OpenRegionRecord(correlationId)
    openRegions.set(correlationId, open)
  }
  open.count++
  return open
}

const closeRegion = (open: OpenRegion): void => {
  if (--open.count > 0) return
  const correlationId = open.region.correlationId
  openRegions.delete(correlationId)
  // only the workers that received events of this region are told that it ended
  for (const worker of open.region.receivers) {
    ;(worker as Worker.Worker).signalUnsafe(LogEvent.correlationEnd(correlationId))
  }
}

/** Correlation regions currently open, by id (see {@link withCorrelationId}). */
const openRegions = new Map<string, OpenRegion>()

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Builds the `Loggers` service in the current scope: opens the shared sinks once, starts the
 * root facade, and the `LayerMap` cache for named facades.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Config, Logger, Sink } from "effect-fapilog"
 *
 * // what `Fapilog.layer` does, without installing Effect's logger
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const resolved = yield* Config.resolve({ sinks: [Sink.memory()] })
 *   const loggers = yield* Logger.makeLoggers(resolved)
 *   yield* loggers.root.info("hello")
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLoggers = (config: Config.Resolved): Effect.Effect<LoggersShape, Sink.SinkError, Scope.Scope> =>
  Effect.gen(function*() {
    const layerScope = yield* Effect.scope
    const sharedWriters = yield* openSinks(config.sinks, config)
    const live = new Set<Worker.Worker>()
    // one process "exit" listener for the whole layer, however many named loggers it builds
    const exitHooks = new Worker.ExitHooks()
    // redaction runs after every pipeline, compiled once for the layer
    const redaction = config.redact === false ? undefined : Redactor.pipeline(config.redact)
    const redacted = (pipeline: Pipeline.Pipeline): Pipeline.Pipeline =>
      redaction === undefined ? pipeline : Pipeline.compose(pipeline, redaction)
    const pendingOptions = new Map<string, NamedOptions | undefined>()
    const builtWith = new WeakMap<NamedLogger, NamedOptions | undefined>()

    const build = (name: string, options: NamedOptions | undefined) =>
      Effect.gen(function*() {
        const writers = options?.sinks === undefined ? sharedWriters : yield* openSinks(options.sinks, config)
        const worker = yield* Worker.make({
          name,
          mode: config.mode,
          capacity: config.capacity,
          policy: config.policy,
          batchSize: config.batchSize,
          batchWait: config.batchWait,
          pipeline: redacted(options?.pipeline ?? config.pipeline ?? Pipeline.identity),
          drainTimeout: config.drainTimeout,
          dropSummaryInterval: config.dropSummaryInterval,
          maxRestarts: config.maxRestarts,
          restartBase: "100 millis",
          exitHooks
        }, writers).pipe(Effect.orDie)
        live.add(worker)
        yield* Effect.addFinalizer(() => Effect.sync(() => live.delete(worker)))
        yield* leakGuard(worker)
        const facade = makeFacade(worker, name, options?.level ?? config.level, options?.fields)
        builtWith.set(facade, options)
        return facade
      })

    const layerMap = yield* LayerMap.make(
      (name: string) => Layer.effect(Facade)(build(name, pendingOptions.get(name))),
      config.idleTimeToLive === undefined ? undefined : { idleTimeToLive: config.idleTimeToLive }
    )

    // Without an idle TTL each cached facade holds one reference in its own child scope of the
    // layer, and lookups after the first are a Map hit. With a TTL every lookup takes and returns
    // a reference, so the RcMap's idle timer sees the facade's use.
    const cache = new Map<string, { readonly facade: NamedLogger; readonly options: NamedOptions | undefined; readonly scope: Scope.Closeable }>()
    const inflight = new Map<string, Deferred.Deferred<NamedLogger, Sink.SinkError>>()
    const warned = new Set<string>()

    const acquire = (name: string, options: NamedOptions | undefined) =>
      Effect.uninterruptible(Effect.gen(function*() {
        const deferred = Deferred.makeUnsafe<NamedLogger, Sink.SinkError>()
        inflight.set(name, deferred)
        pendingOptions.set(name, options)
        const scope = yield* Scope.fork(layerScope, "sequential")
        const exit = yield* Effect.exit(Scope.provide(layerMap.contextEffect(name), scope))
        inflight.delete(name)
        pendingOptions.delete(name)
        if (Exit.isFailure(exit)) {
          yield* Scope.close(scope, exit)
          yield* Deferred.done(deferred, exit as Exit.Exit<never, Sink.SinkError>)
          return yield* Effect.failCause(exit.cause)
        }
        const facade = Context.get(exit.value, Facade)
        cache.set(name, { facade, options, scope })
        yield* Deferred.succeed(deferred, facade)
        return facade
      }))

    const warnIgnored = (facade: NamedLogger, first: NamedOptions | undefined, next: NamedOptions | undefined) => {
      if (next === undefined || sameOptions(first, next) || warned.has(facade.name)) return Effect.void
      warned.add(facade.name)
      return facade.warn(`options for logger "${facade.name}" were ignored: it is already configured`, {
        _logger_options_ignored: true
      })
    }

    const namedWithTtl = (name: string, options: NamedOptions | undefined) =>
      Effect.scoped(Effect.gen(function*() {
        pendingOptions.set(name, options)
        const ctx = yield* layerMap.contextEffect(name)
        pendingOptions.delete(name)
        const facade = Context.get(ctx, Facade)
        if (options !== undefined) yield* warnIgnored(facade, builtWith.get(facade), options)
        return facade
      }))

    const named = (name: string, options?: NamedOptions): Effect.Effect<NamedLogger, Sink.SinkError> => {
      const hit = cache.get(name)
      if (config.idleTimeToLive !== undefined && hit === undefined) return namedWithTtl(name, options)
      if (hit !== undefined) {
        return options === undefined ? Effect.succeed(hit.facade) : Effect.as(warnIgnored(hit.facade, hit.options, options), hit.facade)
      }
      const pending = inflight.get(name)
      if (pending !== undefined) return Deferred.await(pending)
      return acquire(name, options)
    }

    const dropEntry = (name: string) =>
      Effect.suspend(() => {
        const entry = cache.get(name)
        cache.delete(name)
        warned.delete(name)
        return Effect.andThen(
          layerMap.invalidate(name),
          entry === undefined ? Effect.void : Scope.close(entry.scope, Exit.void)
        )
      })

    // the root is never subject to the idle TTL: plain Effect.log writes through it
    const root = yield* acquire(config.rootName, undefined).pipe(Effect.orDie)

    const service: LoggersShape = {
      root,
      named,
      fresh: (name, options) =>
        Effect.gen(function*() {
          const context = yield* Layer.build(Layer.effect(Facade)(build(name, options)))
          return Context.get(context, Facade)
        }),
      cachedNames: config.idleTimeToLive === undefined
        ? Effect.sync(() => Array.from(cache.keys()))
        : Effect.map(RcMap.keys(layerMap.rcMap), (keys) => Array.from(new Set([...cache.keys(), ...keys]))),
      clearCache: Effect.suspend(() =>
        Effect.forEach(
          Array.from(cache.keys()).filter((name) => name !== config.rootName),
          dropEntry,
          { discard: true }
        )
      ),
      invalidate: (name) => name === config.rootName ? Effect.void : dropEntry(name),
      endCorrelationUnsafe: (correlationId) => {
        for (const worker of live) worker.signalUnsafe(LogEvent.correlationEnd(correlationId))
      },
      workers: () => Array.from(live)
    }
    return service
  })

/**
 * A facade over a worker.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger, Sink, Worker } from "effect-fapilog"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const memory = Sink.memory()
 *   const writer = yield* memory.open
 *   const worker = yield* Worker.make({ ...Worker.defaults, name: "jobs" }, [{ name: memory.name, writer }])
 *   const log = Logger.makeFacade(worker, "jobs", "Debug", { component: "scheduler" })
 *   yield* log.debug("tick")
 *   yield* log.flush
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFacade = (
  worker: Worker.Worker,
  name: string,
  level: LogLevel.LogLevel,
  bound: Readonly<Record<string, unknown>> | undefined
): NamedLogger => new FacadeImpl(worker, name, level, bound)

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

class Facade extends Context.Service<Facade, NamedLogger>()("effect-fapilog/Logger/Facade") {}

type LevelMethod = (message: string, fields?: Fields) => Effect.Effect<void>

const disabled: LevelMethod = () => Effect.void

/**
 * The facade. Level methods are built on first access and cached on the instance (getters on
 * the prototype), so a cached facade that is never used costs a few fields, while
 * `const { info } = log` still works.
 */
class FacadeImpl implements NamedLogger {
  readonly worker: Worker.Worker
  readonly name: string
  readonly level: LogLevel.LogLevel
  readonly bound: Readonly<Record<string, unknown>> | undefined
  readonly min: number
  private methods: Partial<Record<LogLevel.Severity, LevelMethod>> | undefined = undefined
  /** The region this facade's worker was last recorded in (a request's lines come in runs). */
  private lastRegion: LogEvent.Region | undefined = undefined

  constructor(
    worker: Worker.Worker,
    name: string,
    level: LogLevel.LogLevel,
    bound: Readonly<Record<string, unknown>> | undefined
  ) {
    this.worker = worker
    this.name = name
    this.level = level
    this.bound = bound
    this.min = LogEvent.levelSeverity[level]
  }

  get trace(): LevelMethod {
    return this.at("Trace")
  }
  get debug(): LevelMethod {
    return this.at("Debug")
  }
  get info(): LevelMethod {
    return this.at("Info")
  }
  get warn(): LevelMethod {
    return this.at("Warn")
  }
  get error(): LevelMethod {
    return this.at("Error")
  }
  get fatal(): LevelMethod {
    return this.at("Fatal")
  }
  get log(): (level: LogLevel.Severity, message: string, fields?: Fields) => Effect.Effect<void> {
    return (l, message, fields) => this.at(l)(message, fields)
  }
  get batch(): (entries: ReadonlyArray<Entry>) => Effect.Effect<void> {
    return (entries) =>
      Effect.withFiber((fiber) => {
        const events: Array<LogEvent.LogEvent> = []
        for (const e of entries) {
          if (LogEvent.levelSeverity[e.level] >= this.min) events.push(this.build(fiber, e.level, e.message, e.fields))
        }
        return this.worker.offerAll(events)
      })
  }
  get with(): (fields: Readonly<Record<string, unknown>>) => NamedLogger {
    return (fields) =>
      new FacadeImpl(this.worker, this.name, this.level, this.bound === undefined ? fields : { ...this.bound, ...fields })
  }
  get flush(): Effect.Effect<void> {
    return this.worker.flush
  }
  get metrics(): Effect.Effect<Worker.Snapshot> {
    return this.worker.metrics
  }
  get isEnabled(): (level: LogLevel.Severity) => boolean {
    return (l) => LogEvent.levelSeverity[l] >= this.min
  }

  private at(l: LogLevel.Severity): LevelMethod {
    const methods = this.methods ??= {}
    let method = methods[l]
    if (method === undefined) {
      method = LogEvent.levelSeverity[l] < this.min
        ? disabled
        : (message, fields) => Effect.withFiber((fiber) => this.worker.offer(this.build(fiber, l, message, fields)))
      methods[l] = method
    }
    return method
  }

  private build(
    fiber: Parameters<Parameters<typeof Effect.withFiber>[0]>[0],
    l: LogLevel.Severity,
    message: string,
    fields: Fields | undefined
  ): LogEvent.LogEvent {
    let f = typeof fields === "function" ? safeThunk(fields) : fields
    const bound = this.bound
    if (bound !== undefined) f = f === undefined ? bound : LogEvent.mergeFields(bound, f)
    let template: string | undefined
    if (f !== undefined && message.indexOf("{") !== -1) {
      template = message
      message = LogEvent.renderTemplate(message, f)
    }
    const ctx = LogEvent.contextOf(fiber)
    const region = ctx.region
    if (region !== undefined && region !== this.lastRegion) {
      region.receivers.add(this.worker)
      this.lastRegion = region
    }
    return LogEvent.fromFiber(fiber, ctx.clock.currentTimeMillisUnsafe(), l, message, this.name, f, undefined, template)
  }
}

const openSinks = (sinks: ReadonlyArray<Sink.Sink>, config: Config.Resolved) =>
  Effect.forEach(sinks, (sink) =>
    Effect.map(
      Sink.retry(Sink.timeout(sink, config.sinkTimeout), { times: config.sinkRetries }).open,
      (writer) => ({ name: sink.name, writer })
    ))

const safeThunk = (f: () => Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  try {
    return f()
  } catch (error) {
    return { _fields_error: error instanceof Error ? error.message : String(error) }
  }
}

const safeString = (value: unknown): string => {
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) ?? String(value) : String(value)
  } catch {
    return "[unrenderable]"
  }
}

const sameOptions = (a: NamedOptions | undefined, b: NamedOptions | undefined): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  return a.level === b.level && a.sinks === b.sinks && a.pipeline === b.pipeline &&
    safeString(a.fields) === safeString(b.fields)
}

/**
 * A facade whose scope is never closed would lose what it holds when the process exits: say so
 * once per logger, with its name and the count, as a `FapilogResourceWarning`. One pair of
 * process listeners serves every live worker (registered while any is live).
 */
const leakGuard = (worker: Worker.Worker) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      unreleased.add(worker)
      if (unreleased.size === 1) {
        process.on("beforeExit", warnBeforeExit)
        process.on("exit", warnOnExit)
      }
    }),
    () =>
      Effect.sync(() => {
        unreleased.delete(worker)
        if (unreleased.size === 0) {
          process.off("beforeExit", warnBeforeExit)
          process.off("exit", warnOnExit)
        }
      })
  )

const unreleased = new Set<Worker.Worker>()
const warned = new WeakSet<Worker.Worker>()

const leaks = (): Array<string> => {
  const out: Array<string> = []
  for (const worker of unreleased) {
    if (warned.has(worker)) continue
    const m = worker.metricsUnsafe()
    if (m.queueDepth > 0 && m.mode === "async") {
      warned.add(worker)
      out.push(`logger "${worker.name}" was never released: ${m.queueDepth} events were not written`)
    }
  }
  return out
}

// 'beforeExit' (the loop ran dry) can still emit regular warnings; on 'exit' (process.exit) no
// tick is left, so the same warning is written synchronously
const warnBeforeExit = () => {
  for (const text of leaks()) process.emitWarning(text, { type: "FapilogResourceWarning", code: "FAPILOG_UNDRAINED" })
}
const warnOnExit = () => {
  for (const text of leaks()) {
    process.stderr.write(`(node:${process.pid}) [FAPILOG_UNDRAINED] FapilogResourceWarning: ${text}\n`)
  }
}
