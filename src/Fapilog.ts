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
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as EffectLogger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import * as Config from "./Config.ts"
import * as LogEvent from "./LogEvent.ts"
import * as Logger from "./Logger.ts"
import type * as Sink from "./Sink.ts"
import type * as EffectConfig from "effect/Config"

/**
 * Installs effect-fapilog from explicit options.
 *
 * @example
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
    const loggers = yield* Logger.makeLoggers(resolved)
    const root = loggers.workers().find((w) => w.name === resolved.rootName)!
    const rootName = resolved.rootName
    const isEnabled = loggers.root.isEnabled
    let lastRegion: LogEvent.Region | undefined
    const effectLogger = EffectLogger.make((o) => {
      // the root's level decides, not Effect's: its `MinimumLogLevel` is fixed per context and
      // set to "All" below, so a run-time `setLevel("root", "Debug")` lets `Effect.logDebug` through
      if (!isEnabled(o.logLevel as LogLevel.Severity)) return
      const region = LogEvent.contextOf(o.fiber).region
      // a region's set only grows while it is open: record the root worker once per region
      if (region !== undefined && region !== lastRegion) {
        region.receivers.add(root)
        lastRegion = region
      }
      root.offerUnsafe(LogEvent.fromOptions(o, rootName))
    })
    return Context.make(Logger.Loggers, loggers).pipe(
      Context.add(EffectLogger.CurrentLoggers, new Set([effectLogger])),
      Context.add(References.MinimumLogLevel, "All")
    )
  }))

/**
 * Installs effect-fapilog with options read from the environment (see `Config.fromEnv`):
 * JSON on stdout by default. A bad variable fails the layer with a `ConfigError` naming it.
 *
 * @example
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
