/**
 * Logging from code that is not an Effect: callbacks, event emitters, timers, a legacy module.
 *
 * A {@link Handle} is a plain object whose methods return `void` and never throw. Each call runs
 * the facade's own level method (the same event, pipeline, redaction, sinks and ordering as
 * `log.info` inside an Effect), started synchronously on the engine's context, so a call returns
 * after its event is queued. Two ways to get one:
 *
 * - {@link make}: builds a logging layer in a `ManagedRuntime` of its own — for a program that is
 *   not an Effect program at all. The handle owns the layer: {@link Handle.dispose} drains it.
 * - {@link current}: inside an Effect program, a handle on the layer already running — for
 *   callbacks the program registers. The program owns the layer: `dispose` only retires the handle.
 *
 * After `dispose` a call writes nothing and is counted in {@link Handle.dropped} (the first such
 * call also says so once on stderr).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Fapilog from "./Fapilog.ts"
import * as Logger from "./Logger.ts"

/**
 * Synchronous logging methods over a facade. Every method returns `void` and never throws.
 *
 * - `trace` … `fatal`, `log(level, …)`: the second argument is `Logger.Details`: fields, a
 *   function returning fields, an `Error` or a `Cause` (logged structured under `err`).
 * - `with(fields)`: a handle binding fields (same facade, same lifetime).
 * - `named(name)`: a handle on the named facade of the same layer (cached like `Logger.named`);
 *   rejects once the handle is disposed.
 * - `flush()`: resolves once everything logged before it, through any facade of the layer, has
 *   been written or deliberately dropped.
 * - `dispose()`: see {@link make} and {@link current}; idempotent; later calls are dropped.
 * - `dropped`: how many calls were dropped because the handle was disposed (or failed to start).
 *
 * @example Logging from event-emitter callbacks
 * ```ts
 * import { Handle } from "effect-fapilog"
 * import { EventEmitter } from "node:events"
 *
 * const attach = (emitter: EventEmitter, log: Handle.Handle) => {
 *   emitter.on("job:done", (id: string) => log.info("job done", { id }))
 *   emitter.on("job:failed", (err: Error) => log.error("job failed", err))
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Handle {
  readonly name: string
  readonly trace: (message: string, details?: Logger.Details) => void
  readonly debug: (message: string, details?: Logger.Details) => void
  readonly info: (message: string, details?: Logger.Details) => void
  readonly warn: (message: string, details?: Logger.Details) => void
  readonly error: (message: string, details?: Logger.Details) => void
  readonly fatal: (message: string, details?: Logger.Details) => void
  readonly log: (level: LogLevel.Severity, message: string, details?: Logger.Details) => void
  readonly with: (fields: Readonly<Record<string, unknown>>) => Handle
  readonly named: (name: string) => Promise<Handle>
  readonly flush: () => Promise<void>
  readonly dispose: () => Promise<void>
  readonly dropped: number
}

/**
 * Builds `layer` (default `FapilogLive`, options from the environment) in a `ManagedRuntime`
 * and returns a handle on its root facade. Rejects when the layer cannot be built (a bad
 * `FAPILOG_*` variable, a sink that cannot open).
 *
 * Gotcha: the handle owns the layer. Call `dispose()` before the process ends (it drains every
 * facade of the layer into the sinks); a handle never disposed loses what is still queued, as
 * any facade whose scope is never closed would.
 *
 * @example A handle for code outside Effect
 * ```ts
 * import { Fapilog, Handle, Sink } from "effect-fapilog"
 *
 * const log = await Handle.make(Fapilog.layer({ sinks: [Sink.stdout()] }))
 * setTimeout(() => log.info("tick", { n: 1 }), 10) // plain callback: returns void, never throws
 * const db = await log.named("legacy.db")
 * db.warn("slow query", { ms: 812 })
 * await new Promise((resolve) => setTimeout(resolve, 20))
 * await log.dispose() // drains into the sinks
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = async (layer: Layer.Layer<Logger.Loggers, unknown> = Fapilog.live): Promise<Handle> => {
  const runtime = ManagedRuntime.make(layer)
  let context: Context.Context<Logger.Loggers>
  try {
    context = await runtime.context()
  } catch (error) {
    await runtime.dispose()
    throw error
  }
  return handleOf(new Engine(context, () => runtime.dispose()), Context.get(context, Logger.Loggers).root)
}

/**
 * A handle on the logging layer the current Effect program runs with, for the callbacks it
 * registers (event emitters, timers, libraries that take a logging function).
 *
 * Gotcha: the program owns the layer: `dispose()` only retires the handle (later calls are
 * dropped and counted); the layer drains when the program's scope closes, as always.
 *
 * @example The handle of the current layer
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Handle } from "effect-fapilog"
 * import { EventEmitter } from "node:events"
 *
 * const program = Effect.gen(function*() {
 *   const log = yield* Handle.current
 *   const emitter = new EventEmitter()
 *   emitter.on("ready", (port: number) => log.info("listening", { port }))
 *   emitter.emit("ready", 8080)
 * }).pipe(Effect.provide(Fapilog.layer()))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const current: Effect.Effect<Handle, never, Logger.Loggers> = Effect.map(
  Effect.context<Logger.Loggers>(),
  (context) => handleOf(new Engine(context, () => Promise.resolve()), Context.get(context, Logger.Loggers).root)
)

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/**
 * What every handle of one `make`/`current` shares: the layer's context, whether it is disposed,
 * the count of dropped calls. Calls start the facade's effect with `Effect.runForkWith`, which
 * runs it synchronously up to its first suspension: an accepted offer is done when the call
 * returns (lines keep their order), a `block` policy offer waits in its own fiber.
 */
class Engine {
  readonly context: Context.Context<Logger.Loggers>
  readonly release: () => Promise<void>
  disposed = false
  dropped = 0
  private disposing: Promise<void> | undefined = undefined

  constructor(context: Context.Context<Logger.Loggers>, release: () => Promise<void>) {
    this.context = context
    this.release = release
  }

  run(effect: Effect.Effect<void, unknown, Logger.Loggers>): void {
    if (this.disposed) return this.drop()
    try {
      Effect.runForkWith(this.context)(effect)
    } catch {
      this.drop()
    }
  }

  drop(): void {
    if (this.dropped++ === 0) {
      try {
        process.stderr.write("effect-fapilog: a log call on a disposed handle was dropped (further drops are counted in handle.dropped)\n")
      } catch {
        // stderr closed: the count still holds
      }
    }
  }

  promise<A>(effect: Effect.Effect<A, unknown, Logger.Loggers>): Promise<A> {
    return Effect.runPromiseWith(this.context)(effect)
  }

  dispose(): Promise<void> {
    this.disposed = true
    return this.disposing ??= this.release()
  }
}

const handleOf = (engine: Engine, facade: Logger.NamedLogger): Handle => {
  const at = (level: LogLevel.Severity) => (message: string, details?: Logger.Details): void =>
    engine.run(Effect.suspend(() => facade.log(level, message, details)))
  return {
    name: facade.name,
    trace: at("Trace"),
    debug: at("Debug"),
    info: at("Info"),
    warn: at("Warn"),
    error: at("Error"),
    fatal: at("Fatal"),
    log: (level, message, details) => at(level)(message, details),
    with: (fields) => handleOf(engine, facade.with(fields)),
    named: (name) =>
      engine.disposed
        ? Promise.reject(new Error(`effect-fapilog: named("${name}") on a disposed handle`))
        : engine.promise(Effect.map(Logger.named(name), (named) => handleOf(engine, named))),
    flush: () =>
      engine.disposed
        ? Promise.resolve()
        : engine.promise(Effect.forEach(
          Context.get(engine.context, Logger.Loggers).workers(),
          (w) => w.flush,
          { discard: true, concurrency: "unbounded" }
        )),
    dispose: () => engine.dispose(),
    get dropped() {
      return engine.dropped
    }
  }
}
