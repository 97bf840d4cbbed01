/**
 * The `Loggers` instance of one layer (not API; the public `Logger` module documents its service,
 * `Logger.Loggers`): the named-facade cache, the level table, the correlation regions, the
 * engines it started, and its one {@link EventBuilder}.
 *
 * Caller: `Fapilog.layer`, which hands in what the instance needs of the public modules
 * ({@link Parts}: opening sinks with the layer's timeout and retries, a logger's pipeline with the
 * layer's redaction, building a `Sink.Batch`) rather than this module importing them.
 *
 * Order across loggers (see `docs/architecture.md`): every facade without sinks or a pipeline of
 * its own is a view over the root's engine.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as LayerMap from "effect/LayerMap"
import type * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as RcMap from "effect/RcMap"
import type * as Scope from "effect/Scope"
import type * as Config from "../Config.ts"
import type { LogEvent, Region } from "../LogEvent.ts"
import type { LoggersShape, NamedLogger, NamedOptions } from "../Logger.ts"
import type { Pipeline } from "../Pipeline.ts"
import type { Batch, Sink, SinkError, Writer } from "../Sink.ts"
import type { Worker } from "../Worker.ts"
import { ExitHooks } from "./engine/exit.ts"
import * as WorkerEngine from "./engine/worker.ts"
import * as Event from "./event.ts"
import { EventBuilder } from "./eventBuilder.ts"
import { FacadeImpl } from "./facade.ts"
import * as Level from "./level.ts"
import * as Levels from "./levels.ts"

/** What the instance needs of the public modules, handed in by `Fapilog.layer`. */
export interface Parts {
  /** Opens sinks, each wrapped in the layer's timeout and retries, one writer per sink. */
  readonly openSinks: (
    sinks: ReadonlyArray<Sink>
  ) => Effect.Effect<ReadonlyArray<{ readonly name: string; readonly writer: Writer }>, SinkError, Scope.Scope>
  /** The pipeline an engine runs: its logger's own (else the layer's), then the layer's redaction. */
  readonly pipeline: (own: Pipeline | undefined) => Pipeline
  /** Builds a batch for the sinks (`Sink.makeBatch`). */
  readonly makeBatch: (events: ReadonlyArray<LogEvent>) => Batch
}

/** A built instance: its service, its event builder and its root's worker. */
export interface Instance {
  readonly service: LoggersShape
  /** The instance's event builder (the layer's Effect logger builds its events with it). */
  readonly events: EventBuilder
  /** The worker of the root facade (plain `Effect.log*` writes through it). */
  readonly root: Worker
}

/** The gauge `fapilog_logger_level{logger=name}` (documented as `Logger.levelGauge`). */
export const levelGauge = (name: string): Metric.Metric<number, Metric.GaugeState<number>> =>
  Metric.gauge("fapilog_logger_level", {
    description: "severity of a logger's effective level after its last run-time change (Trace 1 … Fatal 6, None 7)",
    attributes: { logger: name }
  })

/**
 * A correlation region in use, from `Logger.withCorrelationId`. Regions with the same id (a
 * propagated request id seen twice at once, nested middleware) share one record in their
 * `Loggers` instance; the end is signalled when the last of them ends.
 */
export class OpenRegion {
  count = 0
  readonly region: Region
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
      ;(worker as Worker).signalUnsafe(Event.correlationEnd(correlationId))
    }
  }
}

/**
 * Builds the `Loggers` service in the current scope: opens the shared sinks once, starts the
 * root facade, and the `LayerMap` cache for named facades. Besides the service, the instance's
 * event builder and root worker, for the layer's Effect logger.
 */
export const make = (config: Config.Resolved, parts: Parts): Effect.Effect<Instance, SinkError, Scope.Scope> =>
  Effect.gen(function*() {
    const sharedWriters = yield* parts.openSinks(config.sinks)
    const live = new Set<Worker>()
    const guard = new LeakGuard()
    const regions = new Map<string, OpenRegion>()
    const levels = new Levels.LevelTable(config.rootName, config.level)
    const { declared, setDeclaredLevel, declare, unknownLevel } = makeDeclarations(config, levels)
    const warned = new Set<string>()
    // one process "exit" listener for the whole layer, however many named loggers it builds
    const exitHooks = new ExitHooks()
    // the instance's one event builder: its facades and the layer's Effect logger share its cache
    const events = new EventBuilder()

    // Order across loggers: every facade that writes to the layer's sinks through the layer's
    // pipeline is a view over ONE engine, the root's, so lines that fibers log through any of them
    // reach the sinks in the order they were logged (one queue, one pipeline instance). A facade
    // declared with its own sinks or pipeline gets an engine of its own (its order is its own).
    // Releasing a view flushes the shared engine: what it offered is written when its scope closes.
    let shared: Worker | undefined
    const build = (name: string, options: NamedOptions | undefined) =>
      shared !== undefined && options?.sinks === undefined && options?.pipeline === undefined
        ? view(shared, name, options)
        : engine(name, options)

    const view = (worker: Worker, name: string, options: NamedOptions | undefined) =>
      Effect.as(
        Effect.addFinalizer(() => worker.flush),
        new FacadeImpl(worker, name, levels, options?.fields, events)
      )

    const engine = (name: string, options: NamedOptions | undefined) =>
      Effect.gen(function*() {
        const writers = options?.sinks === undefined ? sharedWriters : yield* parts.openSinks(options.sinks)
        const worker = yield* WorkerEngine.make({
          name,
          mode: config.mode,
          capacity: config.capacity,
          policy: config.policy,
          batchSize: config.batchSize,
          batchWait: config.batchWait,
          pipeline: parts.pipeline(options?.pipeline),
          drainTimeout: config.drainTimeout,
          dropSummaryInterval: config.dropSummaryInterval,
          maxRestarts: config.maxRestarts,
          restartBase: "100 millis",
          exitHooks
        }, writers, parts.makeBatch).pipe(Effect.orDie)
        live.add(worker)
        yield* Effect.addFinalizer(() => Effect.sync(() => live.delete(worker)))
        yield* guard.guard(worker)
        return new FacadeImpl(worker, name, levels, options?.fields, events)
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
    const lookup = (name: string, options: NamedOptions | undefined): Effect.Effect<FacadeImpl, SinkError> =>
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

    const named = (name: string, options?: NamedOptions): Effect.Effect<NamedLogger, SinkError> => {
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
      onRootUnsafe: (name) => new FacadeImpl(root.worker, name, levels, undefined, events),
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
        for (const worker of live) worker.signalUnsafe(Event.correlationEnd(correlationId))
      },
      workers: () => Array.from(live)
    }
    return { service, events, root: root.worker }
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
const makeLevelsService = (levels: Levels.LevelTable, rootWorker: Worker) => {
  // a change is written once, as an Info line of the logger "effect-fapilog" through the root's
  // worker, whatever the root's level: who turned what up is worth seeing
  const announce = (name: string, change: { readonly changed: boolean; readonly previous: LogLevel.LogLevel | undefined }) =>
    change.changed
      ? Effect.flatMap(Clock.currentTimeMillis, (timestamp) => {
        const level = levels.get(name)
        return Effect.andThen(Metric.update(levelGauge(name), Level.rank[levels.effective(name)]), rootWorker.offer(Event.make({
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
  private readonly layerMap: LayerMap.LayerMap<string, Facade, SinkError>
  constructor(layerMap: LayerMap.LayerMap<string, Facade, SinkError>) {
    this.layerMap = layerMap
  }
  /** The completed exit of `name`'s entry, if it has one. */
  private exitUnsafe(name: string): Exit.Exit<Context.Context<Facade>, SinkError> | undefined {
    const state = this.layerMap.rcMap.state
    if (state._tag === "Closed") return undefined
    // the deferred of an entry is completed with the lookup's `Exit` (see `RcMap.get`)
    return state.map.backing.get(name)?.deferred.effect as Exit.Exit<Context.Context<Facade>, SinkError> | undefined
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

const sameOptions = (a: NamedOptions | undefined, b: NamedOptions | undefined): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  return a.level === b.level && a.sinks === b.sinks && a.pipeline === b.pipeline &&
    Event.renderValue(a.fields) === Event.renderValue(b.fields)
}

/**
 * A facade whose scope is never closed would lose what it holds when the process exits: say so
 * once per logger, with its name and the count, as a `FapilogResourceWarning`. One guard per
 * `Loggers` instance; its pair of process listeners is registered while any of its workers is live.
 */
class LeakGuard {
  private readonly unreleased = new Set<Worker>()
  private readonly warned = new WeakSet<Worker>()

  guard(worker: Worker): Effect.Effect<void, never, Scope.Scope> {
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
