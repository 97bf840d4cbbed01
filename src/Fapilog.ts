/**
 * The layers that install effect-fapilog: `Fapilog.layer(options)` and `Fapilog.live` (exported
 * as `FapilogLive`), which reads the same options from the environment.
 *
 * Inside the layer every plain `Effect.log*` call flows through the root facade's worker, filtered
 * by the root's level at the time of the call (so `Logger.setLevel("root", …)` reaches it), and
 * `Logger.named` is available. Closing
 * the layer's scope drains every facade it started.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as EffectLogger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import type * as Runtime from "effect/Runtime"
import * as Config from "./Config.ts"
import * as InternalLoggers from "./internal/loggers.ts"
import type * as LogEvent from "./LogEvent.ts"
import * as Logger from "./Logger.ts"
import * as Pipeline from "./Pipeline.ts"
import * as Redactor from "./Redactor.ts"
import * as Sink from "./Sink.ts"
import * as EffectConfig from "effect/Config"

/**
 * Installs effect-fapilog from explicit options.
 *
 * @example Providing the logging layer to a program
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger, Sink } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   yield* Effect.logInfo("plain Effect logs flow through the same pipeline")
 *   const log = yield* Logger.named("payments")
 *   yield* log.info("charge created", { amount: 10 })
 * })
 *
 * program.pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.stdout()] })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Config.Options = {}
): Layer.Layer<Logger.Loggers, Sink.SinkError | Config.InvalidOptions> =>
  Layer.effectContext(Effect.gen(function*() {
    const resolved = yield* Config.resolve(options)
    const { service: loggers, events, root } = yield* InternalLoggers.make(resolved, parts(resolved))
    const rootName = resolved.rootName
    const isEnabled = loggers.root.isEnabled
    let lastRegion: LogEvent.Region | undefined
    const effectLogger = EffectLogger.make((o) => {
      // the root's level decides, not Effect's: its `MinimumLogLevel` is fixed per context and
      // set to "All" below, so a run-time `setLevel("root", "Debug")` lets `Effect.logDebug` through
      if (!isEnabled(o.logLevel as LogLevel.Severity)) return
      const ctx = events.contextOf(o.fiber)
      const region = ctx.region
      // a region's set only grows while it is open: record the root worker once per region
      if (region !== undefined && region !== lastRegion) {
        region.receivers.add(root)
        lastRegion = region
      }
      root.offerUnsafe(events.fromOptions(o, rootName, ctx))
    })
    return Context.make(Logger.Loggers, loggers).pipe(
      Context.add(EffectLogger.CurrentLoggers, new Set([effectLogger])),
      Context.add(References.MinimumLogLevel, "All")
    )
  }))

/**
 * What the `Loggers` instance takes from the public modules (see `internal/loggers.ts`): sinks
 * opened with the layer's timeout and retries, each engine's pipeline followed by the layer's
 * redaction (compiled once for the layer), and `Sink.makeBatch`.
 */
const parts = (config: Config.Resolved): InternalLoggers.Parts => {
  const redaction = config.redact === false ? undefined : Redactor.pipeline(config.redact)
  return {
    openSinks: (sinks) =>
      Effect.forEach(sinks, (sink) =>
        Effect.map(
          Sink.retry(Sink.timeout(sink, config.sinkTimeout), { times: config.sinkRetries }).open,
          (writer) => ({ name: sink.name, writer })
        )),
    pipeline: (own) => {
      const pipeline = own ?? config.pipeline ?? Pipeline.identity
      return redaction === undefined ? pipeline : Pipeline.compose(pipeline, redaction)
    },
    makeBatch: Sink.makeBatch
  }
}

/**
 * Installs effect-fapilog with options read from the environment (see `Config.fromEnv`):
 * JSON on stdout by default. A bad variable fails the layer with a `ConfigError` naming it.
 *
 * @example The default layer
 * ```ts
 * import { Effect } from "effect"
 * import { FapilogLive } from "effect-fapilog"
 *
 * const program = Effect.logInfo("hello").pipe(Effect.provide(FapilogLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const live: Layer.Layer<Logger.Loggers, Sink.SinkError | Config.InvalidOptions | EffectConfig.ConfigError> = Layer
  .unwrap(Effect.map(Config.fromEnv, layer))

/**
 * Options of {@link runMain}.
 *
 * - `layer`: the logging layer (default {@link live}, options from the environment).
 * - `teardown`: Effect's exit-code logic (default `Runtime.defaultTeardown`: 0, 1 on failure, 130
 *   after an interruption).
 *
 * @example Running with a file sink
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const options: Fapilog.RunMainOptions = { layer: Fapilog.layer({ sinks: [Sink.file("logs/app.jsonl")] }) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RunMainOptions {
  readonly layer?: Layer.Layer<Logger.Loggers, unknown> | undefined
  readonly teardown?: Runtime.Teardown | undefined
}

/**
 * Runs `program` as the process's main fiber under `NodeRuntime.runMain` (from
 * `@effect/platform-node`) with the logging layer provided.
 *
 * - A failure of `program` is logged through the pipeline as one `Error` line, a defect as one
 *   `Fatal` line — message `main program failed`, the error structured under `err` (name,
 *   message, stack, cause chain) — *before* the layer drains, so it reaches every sink. Effect's
 *   own plain-text report is turned off (it would come after the layer closed, on stdout, as text).
 * - The exit code is Effect's: 0, 1 after a failure or defect, 130 after SIGINT/SIGTERM (an
 *   interruption is not logged as an error).
 * - If the layer itself cannot start (a bad `FAPILOG_*` variable, a sink that cannot open), one
 *   line `effect-fapilog: the logging layer could not start: …` goes to stderr and the exit code
 *   is 1. If the configured level filters out Error/Fatal, a failure is one stderr line too.
 *
 * @example Running a program that fails
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Logger } from "effect-fapilog"
 *
 * const main = Effect.gen(function*() {
 *   const log = yield* Logger.named("app")
 *   yield* log.info("started")
 *   return yield* Effect.fail(new Error("database unreachable")) // logged as one JSON Error line, exit code 1
 * })
 *
 * Fapilog.runMain(main)
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const runMain = <A, E>(program: Effect.Effect<A, E, Logger.Loggers>, options?: RunMainOptions): void =>
  NodeRuntime.runMain(mainEffect(program, options?.layer ?? live), {
    disableErrorReporting: true,
    teardown: options?.teardown
  })

/** The effect {@link runMain} runs: the layer built in the main fiber's scope, then the program. */
const mainEffect = <A, E>(
  program: Effect.Effect<A, E, Logger.Loggers>,
  layer: Layer.Layer<Logger.Loggers, unknown>
): Effect.Effect<A, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(layer).pipe(
      Effect.tapCause((cause) =>
        Effect.sync(() => {
          if (!Cause.hasInterruptsOnly(cause)) process.stderr.write(layerFailureLine(cause))
        })
      )
    )
    return yield* program.pipe(
      Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : logMainFailure(cause)),
      Effect.provideContext(context)
    )
  }))

/**
 * The main fiber's failure through the root logger, or — when the configured level filters out
 * Error/Fatal — as one line on stderr, so that a failed main is never silent.
 */
const logMainFailure = (cause: Cause.Cause<unknown>) =>
  Effect.flatMap(Logger.Loggers, (loggers) => {
    const level = Cause.hasDies(cause) ? "Fatal" : "Error"
    if (loggers.root.isEnabled(level)) return loggers.root.log(level, "main program failed", cause)
    return Effect.sync(() => {
      process.stderr.write(`effect-fapilog: main program failed: ${oneLine(messageOf(Cause.squash(cause)))}\n`)
    })
  })

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, "; ")

/** One line for a layer that failed to build: its error's message, not Effect's multi-line report. */
const layerFailureLine = (cause: Cause.Cause<unknown>): string => {
  return `effect-fapilog: the logging layer could not start: ${oneLine(messageOf(Cause.squash(cause)))}\n`
}

// a ConfigError's message is its cause's `toString()` ("SourceError: …"): the cause's message is the news
const messageOf = (error: unknown): string => {
  if (error instanceof EffectConfig.ConfigError && typeof error.cause.message === "string") return error.cause.message
  return error instanceof Error || (typeof error === "object" && error !== null && typeof (error as Error).message === "string")
    ? (error as Error).message
    : String(error)
}
