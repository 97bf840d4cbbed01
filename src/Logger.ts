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
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as LogLevel from "effect/LogLevel"
import type * as Metric from "effect/Metric"
import { hasProperty } from "effect/Predicate"
import type * as Scope from "effect/Scope"
import type * as Config from "./Config.ts"
import * as Facade from "./internal/facade.ts"
import * as InternalLoggers from "./internal/loggers.ts"
import * as LogEvent from "./LogEvent.ts"
import type * as Sink from "./Sink.ts"
import type * as Worker from "./Worker.ts"

/**
 * Fields given at a call site: a record, or a function evaluated only when the level is enabled
 * (so expensive context costs nothing when filtered out).
 *
 * @example Eager fields, and fields computed only when needed
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
 * @example Logging an error, a cause, or fields
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
 * @example Two events in one offer
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
 * @example A child with bound fields, and a template
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
  /** The brand of a facade (see {@link TypeId}, {@link isNamedLogger}). */
  readonly [TypeId]: TypeId
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
 * The brand carried by every {@link NamedLogger} this library builds (`"~effect-fapilog/Logger"`),
 * as Effect's data types carry theirs. {@link isNamedLogger} checks it.
 *
 * @example A facade carries the brand
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("payments")
 *   return log[Logger.TypeId] === Logger.TypeId
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(program, layer))) // => true
 * ```
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: TypeId = Facade.TypeId

/**
 * The type of {@link TypeId}.
 *
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = Facade.TypeId

/**
 * Whether `u` is a {@link NamedLogger} built by this library (a cached or `reuse: false` facade,
 * the root, a `with(…)` child): it carries {@link TypeId}. Gotcha: an object that merely has the
 * same methods is not one — the brand is what is checked, not the shape.
 *
 * @example Facades, children, and look-alikes
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("payments")
 *   console.log(Logger.isNamedLogger(log)) // => true
 *   console.log(Logger.isNamedLogger(log.with({ order_id: "o-1" }))) // => true
 *   console.log(Logger.isNamedLogger({ name: "payments" })) // => false
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * await Effect.runPromise(Effect.provide(program, layer))
 * ```
 *
 * @since 0.2.0
 * @category guards
 */
export const isNamedLogger = (u: unknown): u is NamedLogger => hasProperty(u, TypeId)

/**
 * Per-name options: declared up front in the layer's `loggers`, or by the first `named(name,
 * options)` of a name without a declaration (the first declaration wins; a different one later
 * is ignored with one WARN). `level` is the name's entry in the level table — it also applies to
 * its dotted descendants, and {@link setLevel} changes it later.
 *
 * @example A logger declared at Debug with a bound field
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
 * @example Using the service directly
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
  /**
   * Opens (or joins) the correlation region of `correlationId` (see {@link withCorrelationId});
   * `close` ends one use, and the last one tells the workers that received its events.
   */
  readonly openRegionUnsafe: (correlationId: string) => { readonly region: LogEvent.Region; readonly close: () => void }
  /** Tells every live worker that the region of `correlationId` has ended. */
  readonly endCorrelationUnsafe: (correlationId: string) => void
  readonly workers: () => ReadonlyArray<Worker.Worker>
}

/**
 * The service that `FapilogLive` and `Fapilog.layer` provide.
 *
 * @example The root facade through the service
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
 * @example Logging through a named facade
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
 * @example Fields through the root facade
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
 * @example The cache after one lookup
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   yield* Logger.named("payments")
 *   return yield* Logger.cachedNames
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(program, layer))) // => [ 'root', 'payments' ]
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
 * @example Rebuilding the facades after a reload
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
 * @example Rebuilding one facade with new options
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
 * @example Debug for one subsystem, for a while
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
 * @example Back to the parent's level
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
 * @example The table after one change
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const show = Effect.gen(function*() {
 *   yield* Logger.setLevel("payments", "Debug")
 *   return yield* Logger.levels
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(show, layer))) // => { root: 'Info', payments: 'Debug' }
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
 * @example The gauge after a change
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   yield* Logger.setLevel("payments", "Debug")
 *   return yield* Metric.value(Logger.levelGauge("payments"))
 * })
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(program, layer))) // => { value: 2 }
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const levelGauge: (name: string) => Metric.Metric<number, Metric.GaugeState<number>> = InternalLoggers.levelGauge

/**
 * A health view over every live facade: the worst status overall, and per logger its queue
 * depth, drop rate (dropped / offered) and per-sink status (healthy, degraded when a sink failed
 * within the last drop-summary interval, failing when its last write failed).
 *
 * @example Warning when logging degrades
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
 * @example One line per logger
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const describe = (report: Logger.HealthReport): string =>
 *   report.loggers.map((l) => `${l.logger}: ${l.status}, queue ${l.queueDepth}/${l.queueCapacity}`).join("\n")
 * const program = Effect.map(Logger.health, describe)
 * const layer = Fapilog.layer({ sinks: [Sink.memory()] })
 * console.log(await Effect.runPromise(Effect.provide(program, layer))) // => root: healthy, queue 0/10000
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
 * @example Tagging a handler, data-last and data-first
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
    let open: { readonly region: LogEvent.Region; readonly close: () => void } | undefined
    return Effect.onExit(
      Effect.withFiber((fiber) => {
        // the open regions belong to the `Loggers` instance in scope (none: nobody to tell)
        const loggers = Context.getOrUndefined(fiber.context, Loggers)
        const region = loggers === undefined ? new InternalLoggers.OpenRegion(correlationId, undefined) : loggers.openRegionUnsafe(correlationId)
        open = region
        return Effect.provideService(self, LogEvent.CurrentRegion, region.region)
      }),
      () => {
        if (open !== undefined) open.close()
        return Effect.void
      }
    )
  }))
