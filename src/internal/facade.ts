/**
 * The facade: a `NamedLogger` over a worker (not API; the public `Logger` module documents
 * `NamedLogger`, `TypeId` and `isNamedLogger`).
 *
 * Callers: the `Loggers` instance (`internal/loggers.ts`) builds one per name (cached, `reuse:
 * false`, `onRootUnsafe`), all sharing its level table and its {@link EventBuilder}; tests build
 * one over a worker with {@link make}.
 *
 * The hot path: a level method checks the level (nothing allocated below it), builds the event
 * from the calling fiber and offers it (`Worker.offerNowUnsafe`, one effect fewer per call than
 * `offer`).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as LogLevel from "effect/LogLevel"
import type { LogEvent, Region } from "../LogEvent.ts"
import type { Details, Entry, NamedLogger } from "../Logger.ts"
import type * as Worker from "../Worker.ts"
import { errorMessage } from "./errorMessage.ts"
import * as ErrorFields from "./errorFields.ts"
import * as Event from "./event.ts"
import { EventBuilder, fromContext } from "./eventBuilder.ts"
import * as Level from "./level.ts"
import * as Levels from "./levels.ts"

/** The brand of a facade (documented as `Logger.TypeId`). @internal */
export const TypeId: TypeId = "~effect-fapilog/Logger"
/** @internal */
export type TypeId = "~effect-fapilog/Logger"

/**
 * A facade over a worker, at `level`, outside any `Loggers` instance: its own level table and
 * its own event builder.
 */
export const make = (
  worker: Worker.Worker,
  name: string,
  level: LogLevel.LogLevel,
  bound: Readonly<Record<string, unknown>> | undefined
): NamedLogger => new FacadeImpl(worker, name, new Levels.LevelTable(name, level), bound, new EventBuilder())

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
export class FacadeImpl implements NamedLogger {
  declare readonly [TypeId]: TypeId
  readonly worker: Worker.Worker
  readonly name: string
  readonly levels: Levels.LevelTable
  readonly bound: Readonly<Record<string, unknown>> | undefined
  /** The event builder of the `Loggers` instance (its last-context cache), shared by `with` children. */
  readonly events: EventBuilder
  private methods: Partial<Record<LogLevel.Severity, LevelMethod>> | undefined = undefined
  /** The region this facade's worker was last recorded in (a request's lines come in runs). */
  private lastRegion: Region | undefined = undefined
  /** The table version {@link min} was computed at. */
  private seen = -1
  private min = 0

  constructor(
    worker: Worker.Worker,
    name: string,
    levels: Levels.LevelTable,
    bound: Readonly<Record<string, unknown>> | undefined,
    events: EventBuilder
  ) {
    this.worker = worker
    this.name = name
    this.levels = levels
    this.bound = bound
    this.events = events
  }

  /** The severity of the effective level of this facade's name, now. */
  minimum(): number {
    const version = this.levels.version
    if (this.seen !== version) {
      this.min = Level.rank[this.levels.effective(this.name)]
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
        const events: Array<LogEvent> = []
        for (const e of entries) {
          if (Level.rank[e.level] >= min) events.push(this.build(fiber, e.level, e.message, e.fields))
        }
        return this.worker.offerAll(events)
      })
  }
  get with(): (fields: Readonly<Record<string, unknown>>) => NamedLogger {
    return (fields) =>
      new FacadeImpl(
        this.worker,
        this.name,
        this.levels,
        this.bound === undefined ? fields : { ...this.bound, ...fields },
        this.events
      )
  }
  get flush(): Effect.Effect<void> {
    return this.worker.flush
  }
  get metrics(): Effect.Effect<Worker.Snapshot> {
    return this.worker.metrics
  }
  get isEnabled(): (level: LogLevel.Severity) => boolean {
    return (l) => Level.rank[l] >= this.minimum()
  }

  private at(l: LogLevel.Severity): LevelMethod {
    const methods = this.methods ??= {}
    let method = methods[l]
    if (method === undefined) {
      const severity = Level.rank[l]
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
  ): LogEvent {
    let f = typeof fields === "function" ? safeThunk(fields) : ErrorFields.toFields(fields)
    const bound = this.bound
    if (bound !== undefined) f = f === undefined ? bound : Event.mergeFields(bound, f)
    let template: string | undefined
    if (f !== undefined && message.indexOf("{") !== -1) {
      template = message
      message = Event.renderTemplate(message, f)
    }
    const ctx = this.events.contextOf(fiber)
    const region = ctx.region
    if (region !== undefined && region !== this.lastRegion) {
      region.receivers.add(this.worker)
      this.lastRegion = region
    }
    return fromContext(ctx, fiber, ctx.clock.currentTimeMillisUnsafe(), l, message, this.name, f, undefined, template)
  }
}

// the brand is on the prototype: one property for every facade, none per instance
Object.defineProperty(FacadeImpl.prototype, TypeId, { value: TypeId, enumerable: false })

const safeThunk = (f: () => Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  try {
    return f()
  } catch (error) {
    return { _fields_error: errorMessage(error) }
  }
}
