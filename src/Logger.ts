/**
 * Named loggers: one cached facade per name, each a scoped `Layer` whose acquisition forks its
 * worker fiber and whose release drains it.
 *
 * `Logger.named(name)` needs only the `Loggers` service that `FapilogLive` / `Fapilog.layer`
 * provide. The cache is a memoized `LayerMap` keyed by name, built in the layer's scope, so every
 * cached facade is drained when that scope closes — a program cannot leak logger workers. It is
 * the only cache: building a name's facade reads the name's declared options (the layer's
 * `loggers`, or the first `named(name, options)`), so a lookup is a function of the name.
 *
 * Levels belong to names, not facades: a table of the `Loggers` instance, over dotted names
 * (`payments.stripe` follows `payments` unless set itself; the root is everyone's default and the
 * level of plain `Effect.log*`), changed at run time with {@link setLevel} and read by every facade
 * at each call.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as LayerMap from "effect/LayerMap"
import type * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as RcMap from "effect/RcMap"
import * as Scope from "effect/Scope"
import type * as Config from "./Config.ts"
import * as LogEvent from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"
import * as Redactor from "./Redactor.ts"
import * as Sink from "./Sink.ts"
import * as Worker from "./Worker.ts"
import { errorMessage } from "./internal/errorMessage.ts"
import * as ErrorFields from "./internal/errorFields.ts"
import * as Event from "./internal/event.ts"
import * as Levels from "./internal/levels.ts"

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
 * The second argument of a level method: {@link Fields}, or an `Error` or a `Cause` (the pino
 * habit, `log.error("payment failed", err)`), logged structured under `err` — `name`, `message`,
 * `stack`, the `cause` chain, and for a `Cause` Effect's cleaned stacks with span locations (several
 * failures become one `AggregateError` whose `errors` list them). To log an error beside other
 * fields, put it in them: `{ order_id, err }`.
 *
 * @example
 * ```ts
 * import { Cause, Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("payments")
 *   yield* log.error("payment failed", new Error("card declined")) // {"msg":"payment failed","err":{"name":"Error",...}}
 *   yield* log.error("charge failed", Cause.fail(new Error("timeout")))
 *   yield* log.warn("retrying", { attempt: 2 })
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Details = Fields | Error | Cause.Cause<unknown>

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
  readonly trace: (message: string, details?: Details) => Effect.Effect<void>
  readonly debug: (message: string, details?: Details) => Effect.Effect<void>
  readonly info: (message: string, details?: Details) => Effect.Effect<void>
  readonly warn: (message: string, details?: Details) => Effect.Effect<void>
  readonly error: (message: string, details?: Details) => Effect.Effect<void>
  readonly fatal: (message: string, details?: Details) => Effect.Effect<void>
  readonly log: (level: LogLevel.Severity, message: string, details?: Details) => Effect.Effect<void>
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
 * Per-name options: declared up front in the layer's `loggers`, or by the first `named(name,
 * options)` of a name without a declaration (the first declaration wins; a different one later
 * is ignored with one WARN). `level` is the name's entry in the level table — it also applies to
 * its dotted descendants, and {@link setLevel} changes it later.
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
export type NamedOptions = Config.LoggerOptions

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
  /** Sets the level of `name` and its dotted descendants without one of their own (see {@link setLevel}). */
  readonly setLevel: (name: string, level: LogLevel.LogLevel) => Effect.Effect<void>
  /** Removes the level set on `name` (see {@link resetLevel}). */
  readonly resetLevel: (name: string) => Effect.Effect<void>
  /** The level table: every name with a level set, the root's first. */
  readonly levels: Effect.Effect<Readonly<Record<string, LogLevel.LogLevel>>>
  /** The settings that differ from the default (the root at its configured level). */
  readonly levelChangesUnsafe: () => Readonly<Record<string, LogLevel.LogLevel>>
  /**
   * A facade named `name` that writes through the root's worker (no worker of its own, not
   * cached) and follows the level table for `name`: for integrations such as `Http.middleware`.
   */
  readonly onRootUnsafe: (name: string) => NamedLogger
  /** Opens (or joins) the correlation region of `correlationId` (see {@link withCorrelationId}). */
  readonly openRegionUnsafe: (correlationId: string) => OpenRegion
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
 * Sets the level of the logger `name` at run time. It applies at once — to the next call — to
 * every facade of that name and of its dotted descendants that have no level of their own
 * (`payments` reaches `payments.stripe`), cached or `reuse: false`, and their `with(…)` children.
 * The root's name (`"root"` unless `rootName` says otherwise) is the logger behind plain
 * `Effect.log*`, and the default of every other name: `setLevel("root", "Debug")` makes
 * `Effect.logDebug` appear.
 *
 * A change is written once as an Info line of the logger `effect-fapilog` (whatever the root's
 * level) and shows in {@link health}. Setting the level a name already has does nothing.
 * Gotcha: a bad name (empty, a leading or trailing dot, `..`) is a defect; validate names that
 * come from outside first (`Http.levelsRoute` does).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const investigate = Effect.gen(function*() {
 *   yield* Logger.setLevel("payments", "Debug") // payments, payments.stripe, … log Debug now
 *   const log = yield* Logger.named("payments.stripe")
 *   yield* log.debug("webhook payload", { bytes: 512 })
 *   yield* Logger.resetLevel("payments") // back to the root's level
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const setLevel = (name: string, level: LogLevel.LogLevel): Effect.Effect<void, never, Loggers> =>
  Effect.flatMap(Loggers, (l) => l.setLevel(name, level))

/**
 * Removes the level set on `name`: it and its descendants follow their nearest ancestor with a
 * level again (the root's by default). Resetting the root restores its configured level.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const done = Logger.resetLevel("payments.stripe") // follows "payments", or else the root
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const resetLevel = (name: string): Effect.Effect<void, never, Loggers> =>
  Effect.flatMap(Loggers, (l) => l.resetLevel(name))

/**
 * The level table: every name with a level of its own (the root's first). A name that is not
 * listed follows its nearest listed ancestor.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const show = Effect.gen(function*() {
 *   const table = yield* Logger.levels // e.g. { root: "Info", payments: "Debug" }
 *   yield* Effect.logInfo("levels", table)
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const levels: Effect.Effect<Readonly<Record<string, LogLevel.LogLevel>>, never, Loggers> = Effect.flatMap(
  Loggers,
  (l) => l.levels
)

/**
 * The gauge `fapilog_logger_level{logger=name}`: the severity of `name`'s effective level after
 * its last run-time change (`setLevel` / `resetLevel`): All 0, Trace 1, Debug 2, Info 3, Warn 4,
 * Error 5, Fatal 6, None 7. Names never changed at run time have no value (see {@link levels}).
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   yield* Logger.setLevel("payments", "Debug")
 *   const state = yield* Metric.value(Logger.levelGauge("payments")) // { value: 2 }
 * })
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const levelGauge = (name: string): Metric.Metric<number, Metric.GaugeState<number>> =>
  Metric.gauge("fapilog_logger_level", {
    description: "severity of a logger's effective level after its last run-time change (Trace 1 … Fatal 6, None 7)",
    attributes: { logger: name }
  })

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
  return { status, loggers, levels: l.levelChangesUnsafe() }
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
  /** The levels that differ from the default: every name with its own, and the root if it moved. */
  readonly levels: Readonly<Record<string, LogLevel.LogLevel>>
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
 * const tagged = handler.pipe(Logger.withCorrelationId("req-1"))
 * const same = Logger.withCorrelationId(handler, "req-1") // data-first
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCorrelationId: {
  (correlationId: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, correlationId: string): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, correlationId: string): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    // the region is opened inside the `onExit` (whose finalizer is in place before its body
    // runs), so an interruption at any point leaves no region open; cheaper than
    // `acquireUseRelease`, and this runs once per request
    let open: OpenRegion | undefined
    return Effect.onExit(
      Effect.withFiber((fiber) => {
        // the open regions belong to the `Loggers` instance in scope (none: nobody to tell)
        const loggers = Context.getOrUndefined(fiber.context, Loggers)
        const region = loggers === undefined ? new OpenRegion(correlationId, undefined) : loggers.openRegionUnsafe(correlationId)
        open = region
        return Effect.provideService(self, LogEvent.CurrentRegion, region.region)
      }),
      () => {
        if (open !== undefined) open.close()
        return Effect.void
      }
    )
  }))

/**
 * A correlation region in use, from {@link withCorrelationId}. Regions with the same id (a
 * propagated request id seen twice at once, nested middleware) share one record in their
 * `Loggers` instance; the end is signalled when the last of them ends.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const loggers = yield* Logger.Loggers
 *   const open: Logger.OpenRegion = loggers.openRegionUnsafe("req-1")
 *   open.close() // the workers that received events of "req-1" are told that it ended
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class OpenRegion {
  count = 0
  readonly region: LogEvent.Region
  /** The instance's open regions, by id (`undefined`: outside any layer). */
  private readonly registry: Map<string, OpenRegion> | undefined
  // built with `new`, not a literal, like events (see src/internal/event.ts)
  constructor(correlationId: string, registry: Map<string, OpenRegion> | undefined) {
    this.region = Event.region(correlationId)
    this.registry = registry
  }
  /** Ends one use; the last one removes the region and tells the workers that received its events. */
  close(): void {
    if (--this.count > 0) return
    const correlationId = this.region.correlationId
    this.registry?.delete(correlationId)
    for (const worker of this.region.receivers) {
      ;(worker as Worker.Worker).signalUnsafe(LogEvent.correlationEnd(correlationId))
    }
  }
}

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
    const sharedWriters = yield* openSinks(config.sinks, config)
    const live = new Set<Worker.Worker>()
    const guard = new LeakGuard()
    const regions = new Map<string, OpenRegion>()
    const levels = new Levels.LevelTable(config.rootName, config.level)
    const { declared, setDeclaredLevel, declare, unknownLevel } = makeDeclarations(config, levels)
    const warned = new Set<string>()
    // one process "exit" listener for the whole layer, however many named loggers it builds
    const exitHooks = new Worker.ExitHooks()
    // redaction runs after every pipeline, compiled once for the layer
    const redaction = config.redact === false ? undefined : Redactor.pipeline(config.redact)
    const redacted = (pipeline: Pipeline.Pipeline): Pipeline.Pipeline =>
      redaction === undefined ? pipeline : Pipeline.compose(pipeline, redaction)

    // Order across loggers: every facade that writes to the layer's sinks through the layer's
    // pipeline is a view over ONE engine, the root's, so lines that fibers log through any of them
    // reach the sinks in the order they were logged (one queue, one pipeline instance). A facade
    // declared with its own sinks or pipeline gets an engine of its own (its order is its own).
    // Releasing a view flushes the shared engine: what it offered is written when its scope closes.
    let shared: Worker.Worker | undefined
    const build = (name: string, options: NamedOptions | undefined) =>
      shared !== undefined && options?.sinks === undefined && options?.pipeline === undefined
        ? view(shared, name, options)
        : engine(name, options)

    const view = (worker: Worker.Worker, name: string, options: NamedOptions | undefined) =>
      Effect.as(
        Effect.addFinalizer(() => worker.flush),
        new FacadeImpl(worker, name, levels, options?.fields)
      )

    const engine = (name: string, options: NamedOptions | undefined) =>
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
        yield* guard.guard(worker)
        return new FacadeImpl(worker, name, levels, options?.fields)
      })

    // The one cache. Without an idle TTL an entry lives until it is invalidated or the layer
    // closes (infinite TTL); with one, the root is still exempt: plain Effect.log writes through it.
    const ttl = config.idleTimeToLive
    const layerMap = yield* LayerMap.make(
      (name: string) => Layer.effect(Facade)(build(name, declared.get(name))),
      { idleTimeToLive: (name: string) => ttl === undefined || name === config.rootName ? Duration.infinity : ttl }
    )
    const cache = new FacadeCache(layerMap)

    const warnIgnored = (facade: FacadeImpl, options: NamedOptions) => {
      if (sameOptions(declared.get(facade.name), options) || warned.has(facade.name)) return Effect.void
      warned.add(facade.name)
      return facade.warn(`options for logger "${facade.name}" were ignored: it is already configured`, {
        _logger_options_ignored: true
      })
    }

    // A lookup through the LayerMap: acquisition on a miss (concurrent first calls share it), a
    // use for the idle timer otherwise. Options are declared first when the name has none.
    const lookup = (name: string, options: NamedOptions | undefined): Effect.Effect<FacadeImpl, Sink.SinkError> =>
      Effect.suspend(() => {
        const declares = options !== undefined && !declared.has(name)
        if (declares) {
          if (Levels.parseLevel(options.level ?? "Info") === undefined) return unknownLevel(name, options)
          declare(name, options)
        }
        return Effect.matchCauseEffect(Effect.scoped(layerMap.contextEffect(name)), {
          onFailure: (cause) => {
            // a failed build is not kept: the next lookup builds again, with the next options
            if (declares && declared.get(name) === options) declared.delete(name)
            return Effect.andThen(cache.dropFailed(name), Effect.failCause(cause))
          },
          onSuccess: (context) => {
            const facade = Context.get(context, Facade)
            return options === undefined || declares ? Effect.succeed(facade) : Effect.as(warnIgnored(facade, options), facade)
          }
        })
      })

    const named = (name: string, options?: NamedOptions): Effect.Effect<NamedLogger, Sink.SinkError> => {
      if (ttl === undefined) {
        const facade = cache.getUnsafe(name)
        if (facade !== undefined) {
          return options === undefined ? Effect.succeed(facade) : Effect.as(warnIgnored(facade, options), facade)
        }
      }
      return lookup(name, options)
    }

    const forget = (name: string) =>
      Effect.suspend(() => {
        warned.delete(name)
        if (!Object.hasOwn(config.loggers, name)) declared.delete(name)
        return layerMap.invalidate(name)
      })

    const root = yield* lookup(config.rootName, undefined)
    shared = root.worker
    const levelsService = makeLevelsService(levels, root.worker)

    const service: LoggersShape = {
      root,
      named,
      fresh: (name, options) =>
        Effect.suspend(() => {
          if (!setDeclaredLevel(name, options)) return unknownLevel(name, options!)
          return Effect.map(
            Layer.build(Layer.effect(Facade)(build(name, options ?? declared.get(name)))),
            (context) => Context.get(context, Facade)
          )
        }),
      cachedNames: Effect.map(RcMap.keys(layerMap.rcMap), (keys) => Array.from(keys)),
      clearCache: Effect.suspend(() =>
        Effect.forEach(cache.namesUnsafe().filter((name) => name !== config.rootName), forget, { discard: true })
      ),
      invalidate: (name) => name === config.rootName ? Effect.void : forget(name),
      ...levelsService,
      onRootUnsafe: (name) => new FacadeImpl(root.worker, name, levels, undefined),
      openRegionUnsafe: (correlationId) => {
        let open = regions.get(correlationId)
        if (open === undefined) {
          open = new OpenRegion(correlationId, regions)
          regions.set(correlationId, open)
        }
        open.count++
        return open
      },
      endCorrelationUnsafe: (correlationId) => {
        for (const worker of live) worker.signalUnsafe(LogEvent.correlationEnd(correlationId))
      },
      workers: () => Array.from(live)
    }
    return service
  })

/**
 * The per-name options of one `Loggers` instance: declared up front (`loggers` in the layer's
 * options), or by the first `named(name, options)` of a name that had none. The cache's lookup
 * reads them, so a lookup is a function of the name alone. A level given with a name's options is
 * that name's setting in the level table (any case); `setDeclaredLevel` answers `false` when it is
 * not a level (the caller dies with {@link unknownLevel}, nothing is declared).
 */
const makeDeclarations = (config: Config.Resolved, levels: Levels.LevelTable) => {
  const declared = new Map<string, NamedOptions>()
  const setDeclaredLevel = (name: string, options: NamedOptions | undefined): boolean => {
    if (options?.level === undefined) return true
    const level = Levels.parseLevel(options.level)
    if (level !== undefined) levels.set(name, level)
    return level !== undefined
  }
  const declare = (name: string, options: NamedOptions) => {
    declared.set(name, options)
    setDeclaredLevel(name, options)
  }
  const unknownLevel = (name: string, options: NamedOptions) =>
    Effect.die(new Error(`Logger.named("${name}"): unknown level ${String(options.level)}`))
  for (const [name, options] of Object.entries(config.loggers)) declare(name, options)
  return { declared, setDeclaredLevel, declare, unknownLevel }
}

/** The run-time level part of the service over the instance's level table. */
const makeLevelsService = (levels: Levels.LevelTable, rootWorker: Worker.Worker) => {
  // a change is written once, as an Info line of the logger "effect-fapilog" through the root's
  // worker, whatever the root's level: who turned what up is worth seeing
  const announce = (name: string, change: { readonly changed: boolean; readonly previous: LogLevel.LogLevel | undefined }) =>
    change.changed
      ? Effect.flatMap(Clock.currentTimeMillis, (timestamp) => {
        const level = levels.get(name)
        return Effect.andThen(Metric.update(levelGauge(name), LogEvent.levelSeverity[levels.effective(name)]), rootWorker.offer(LogEvent.make({
          timestamp,
          level: "Info",
          message: level === undefined
            ? `level of logger "${name}" reset: it follows ${levels.effective(name)} from its ancestors`
            : `level of logger "${name}" set to ${level}`,
          logger: "effect-fapilog",
          fields: { logger_name: name, level: level ?? null, previous_level: change.previous ?? null }
        })))
      })
      : Effect.void
  const bad = (problem: string) => Effect.die(new Error(`Logger levels: ${problem}`))
  return {
    setLevel: (name: string, level: LogLevel.LogLevel) =>
      Effect.suspend(() => {
        const problem = Levels.nameProblem(name)
        if (problem !== undefined) return bad(problem)
        // any case, as everywhere else (a level read from JSON or a header)
        const canonical = Levels.parseLevel(level)
        return canonical === undefined ? bad(`unknown level ${String(level)}`) : announce(name, levels.set(name, canonical))
      }),
    resetLevel: (name: string) =>
      Effect.suspend(() => {
        const problem = Levels.nameProblem(name)
        return problem !== undefined ? bad(problem) : announce(name, levels.reset(name))
      }),
    levels: Effect.sync(() => levels.snapshot()),
    levelChangesUnsafe: () => {
      const out: Record<string, LogLevel.LogLevel> = {}
      for (const [name, level] of Object.entries(levels.snapshot())) {
        if (name !== levels.rootName || level !== levels.rootDefault) out[name] = level
      }
      return out
    }
  }
}

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
): NamedLogger => new FacadeImpl(worker, name, new Levels.LevelTable(name, level), bound)

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

class Facade extends Context.Service<Facade, FacadeImpl>()("effect-fapilog/Logger/Facade") {}

/**
 * Synchronous reads of the `LayerMap` — the one cache — for the per-request hot path: a cached
 * name is read from the map's own entry, with no scope, reference count or fiber suspension.
 *
 * The entry is read from the `MutableHashMap`'s `backing` `Map`, where it documents that
 * ordinary (string) keys live, rather than through `MutableHashMap.get`: measured in one process
 * (5 M lookups, 2 loaded cores) a native `Map.get` took 15–65 ns, this read 64–76 ns, and
 * `MutableHashMap.get` + `Option` 118–208 ns. End to end (`node bench/levels.ts`, CPU time,
 * 3 rounds against the previous Map-in-front-of-the-LayerMap cache): `Logger.named` on a cached
 * name 442–472 ns vs 398–437 ns; `named` + `info` 2.8–3.1 µs, the same within noise.
 *
 * Only used without an idle TTL (entries are kept until invalidated, so reading one takes no
 * reference); with a TTL every lookup goes through `contextEffect`, which the idle timer sees.
 */
class FacadeCache {
  private readonly layerMap: LayerMap.LayerMap<string, Facade, Sink.SinkError>
  constructor(layerMap: LayerMap.LayerMap<string, Facade, Sink.SinkError>) {
    this.layerMap = layerMap
  }
  /** The completed exit of `name`'s entry, if it has one. */
  private exitUnsafe(name: string): Exit.Exit<Context.Context<Facade>, Sink.SinkError> | undefined {
    const state = this.layerMap.rcMap.state
    if (state._tag === "Closed") return undefined
    // the deferred of an entry is completed with the lookup's `Exit` (see `RcMap.get`)
    return state.map.backing.get(name)?.deferred.effect as Exit.Exit<Context.Context<Facade>, Sink.SinkError> | undefined
  }
  /** The facade of `name` when its acquisition has completed successfully. */
  getUnsafe(name: string): FacadeImpl | undefined {
    const exit = this.exitUnsafe(name)
    return exit !== undefined && exit._tag === "Success" ? Context.get(exit.value, Facade) : undefined
  }
  /** Removes `name`'s entry if its acquisition failed (a live entry is left alone). */
  dropFailed(name: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      const exit = this.exitUnsafe(name)
      return exit !== undefined && exit._tag === "Failure" ? this.layerMap.invalidate(name) : Effect.void
    })
  }
  namesUnsafe(): Array<string> {
    const state = this.layerMap.rcMap.state
    return state._tag === "Closed" ? [] : Array.from(state.map.backing.keys())
  }
}

type LevelMethod = (message: string, details?: Details) => Effect.Effect<void>

/**
 * The facade. Level methods are built on first access and cached on the instance (getters on
 * the prototype), so a cached facade that is never used costs a few fields, while
 * `const { info } = log` still works.
 *
 * Its level is not its own: it is read from the instance's level table for its name, at every
 * call, through {@link FacadeImpl.minimum}, which recomputes only when the table's version moved.
 * A call below the level returns `Effect.void` and allocates nothing.
 */
class FacadeImpl implements NamedLogger {
  readonly worker: Worker.Worker
  readonly name: string
  readonly levels: Levels.LevelTable
  readonly bound: Readonly<Record<string, unknown>> | undefined
  private methods: Partial<Record<LogLevel.Severity, LevelMethod>> | undefined = undefined
  /** The region this facade's worker was last recorded in (a request's lines come in runs). */
  private lastRegion: LogEvent.Region | undefined = undefined
  /** The table version {@link min} was computed at. */
  private seen = -1
  private min = 0

  constructor(
    worker: Worker.Worker,
    name: string,
    levels: Levels.LevelTable,
    bound: Readonly<Record<string, unknown>> | undefined
  ) {
    this.worker = worker
    this.name = name
    this.levels = levels
    this.bound = bound
  }

  /** The severity of the effective level of this facade's name, now. */
  minimum(): number {
    const version = this.levels.version
    if (this.seen !== version) {
      this.min = LogEvent.levelSeverity[this.levels.effective(this.name)]
      this.seen = version
    }
    return this.min
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
  get log(): (level: LogLevel.Severity, message: string, details?: Details) => Effect.Effect<void> {
    return (l, message, fields) => this.at(l)(message, fields)
  }
  get batch(): (entries: ReadonlyArray<Entry>) => Effect.Effect<void> {
    return (entries) =>
      Effect.withFiber((fiber) => {
        const min = this.minimum()
        const events: Array<LogEvent.LogEvent> = []
        for (const e of entries) {
          if (LogEvent.levelSeverity[e.level] >= min) events.push(this.build(fiber, e.level, e.message, e.fields))
        }
        return this.worker.offerAll(events)
      })
  }
  get with(): (fields: Readonly<Record<string, unknown>>) => NamedLogger {
    return (fields) =>
      new FacadeImpl(this.worker, this.name, this.levels, this.bound === undefined ? fields : { ...this.bound, ...fields })
  }
  get flush(): Effect.Effect<void> {
    return this.worker.flush
  }
  get metrics(): Effect.Effect<Worker.Snapshot> {
    return this.worker.metrics
  }
  get isEnabled(): (level: LogLevel.Severity) => boolean {
    return (l) => LogEvent.levelSeverity[l] >= this.minimum()
  }

  private at(l: LogLevel.Severity): LevelMethod {
    const methods = this.methods ??= {}
    let method = methods[l]
    if (method === undefined) {
      const severity = LogEvent.levelSeverity[l]
      method = (message, fields) =>
        severity < this.minimum()
          ? Effect.void
          : Effect.withFiber((fiber) => this.worker.offerNowUnsafe(this.build(fiber, l, message, fields)))
      methods[l] = method
    }
    return method
  }

  private build(
    fiber: Parameters<Parameters<typeof Effect.withFiber>[0]>[0],
    l: LogLevel.Severity,
    message: string,
    fields: Details | undefined
  ): LogEvent.LogEvent {
    let f = typeof fields === "function" ? safeThunk(fields) : ErrorFields.toFields(fields)
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
    return { _fields_error: errorMessage(error) }
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
 * once per logger, with its name and the count, as a `FapilogResourceWarning`. One guard per
 * `Loggers` instance; its pair of process listeners is registered while any of its workers is live.
 */
class LeakGuard {
  private readonly unreleased = new Set<Worker.Worker>()
  private readonly warned = new WeakSet<Worker.Worker>()

  guard(worker: Worker.Worker): Effect.Effect<void, never, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.sync(() => {
        this.unreleased.add(worker)
        if (this.unreleased.size === 1) {
          process.on("beforeExit", this.warnBeforeExit)
          process.on("exit", this.warnOnExit)
        }
      }),
      () =>
        Effect.sync(() => {
          this.unreleased.delete(worker)
          if (this.unreleased.size === 0) {
            process.off("beforeExit", this.warnBeforeExit)
            process.off("exit", this.warnOnExit)
          }
        })
    )
  }

  private leaks(): Array<string> {
    const out: Array<string> = []
    for (const worker of this.unreleased) {
      if (this.warned.has(worker)) continue
      const m = worker.metricsUnsafe()
      if (m.queueDepth > 0 && m.mode === "async") {
        this.warned.add(worker)
        out.push(`logger "${worker.name}" was never released: ${m.queueDepth} events were not written`)
      }
    }
    return out
  }

  // 'beforeExit' (the loop ran dry) can still emit regular warnings; on 'exit' (process.exit) no
  // tick is left, so the same warning is written synchronously
  private readonly warnBeforeExit = () => {
    for (const text of this.leaks()) {
      process.emitWarning(text, { type: "FapilogResourceWarning", code: "FAPILOG_UNDRAINED" })
    }
  }
  private readonly warnOnExit = () => {
    for (const text of this.leaks()) {
      process.stderr.write(`(node:${process.pid}) [FAPILOG_UNDRAINED] FapilogResourceWarning: ${text}\n`)
    }
  }
}
