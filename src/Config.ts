/**
 * Options, their defaults, and reading them from the environment with Effect `Config`.
 *
 * @since 0.1.0
 */
import * as EffectConfig from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as LogLevel from "effect/LogLevel"
import * as Levels from "./internal/levels.ts"
import type * as Pipeline from "./Pipeline.ts"
import type * as Redactor from "./Redactor.ts"
import * as Sink from "./Sink.ts"
import type * as Worker from "./Worker.ts"

/**
 * Options of `Fapilog.layer` (all optional).
 *
 * @example
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 * import type * as Config from "effect-fapilog/Config"
 *
 * const options: Config.Options = {
 *   level: "Debug",
 *   sinks: [Sink.stdout({ format: "pretty" })],
 *   queue: { capacity: 50_000, policy: "dropNewest" },
 *   batch: { maxSize: 512, maxWait: "100 millis" }
 * }
 * const layer = Fapilog.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The root logger's level: the default of every name and of plain `Effect.log*` (`Logger.setLevel` changes it at run time). Default `"Info"`. */
  readonly level?: LogLevel.LogLevel | undefined
  /** Where encoded events go. Default `[Sink.stdout()]`. */
  readonly sinks?: ReadonlyArray<Sink.Sink> | undefined
  readonly queue?: {
    readonly capacity?: number | undefined
    readonly policy?: Worker.Policy | undefined
  } | undefined
  readonly batch?: {
    readonly maxSize?: number | undefined
    readonly maxWait?: Duration.Input | undefined
  } | undefined
  /** The stream transformation between queue and sinks. Default: identity. */
  readonly pipeline?: Pipeline.Pipeline | undefined
  /**
   * Redaction after the pipeline, before any sink sees an event: `Redactor` defaults (secret-looking
   * keys, bearer tokens, JWTs, card numbers, URL credentials, `Redacted` values) unless options
   * are given. `false` turns it off (only for pipelines that redact on their own). Default on.
   */
  readonly redact?: Redactor.Options | false | undefined
  /** `"async"` (default) or `"sync"` (no queue, no fiber: inline writes). */
  readonly mode?: Worker.Mode | undefined
  /** How long releasing a facade may take to drain. Default 5 s. */
  readonly drainTimeout?: Duration.Input | undefined
  /** At most one WARN drop summary per interval. Default 5 s. */
  readonly dropSummaryInterval?: Duration.Input | undefined
  /** Per-write sink timeout. Default 10 s. */
  readonly sinkTimeout?: Duration.Input | undefined
  /** Retries of a failed sink write (exponential backoff from 50 ms). Default 3. */
  readonly sinkRetries?: number | undefined
  /** Worker restarts before falling back to synchronous writing. Default 5. */
  readonly maxRestarts?: number | undefined
  /** Release cached named loggers unused for this long. Default: never. */
  readonly idleTimeToLive?: Duration.Input | undefined
  /** Name of the root logger that plain `Effect.log*` writes through. Default `"root"`. */
  readonly rootName?: string | undefined
  /**
   * Per-name options, declared up front: `{ "db.pool": { level: "Warn" } }`. A level applies to
   * the name and its dotted descendants (`db.pool.replica`) unless they have their own; the other
   * options are the name's facade options (see `Logger.NamedOptions`). Names must be non-empty,
   * without a leading or trailing dot or `..`; levels are any case. Default: none.
   */
  readonly loggers?: Readonly<Record<string, LoggerOptions>> | undefined
}

/**
 * The options one logger name can be declared with in {@link Options.loggers}.
 *
 * @example
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 * import type * as Config from "effect-fapilog/Config"
 *
 * const pool: Config.LoggerOptions = { level: "Warn", fields: { component: "db" } }
 * const layer = Fapilog.layer({ sinks: [Sink.stdout()], loggers: { "db.pool": pool, payments: { level: "Debug" } } })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LoggerOptions {
  readonly level?: LogLevel.LogLevel | undefined
  readonly fields?: Readonly<Record<string, unknown>> | undefined
  readonly sinks?: ReadonlyArray<Sink.Sink> | undefined
  readonly pipeline?: Pipeline.Pipeline | undefined
}

/**
 * Options with every default filled in.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Config from "effect-fapilog/Config"
 *
 * const resolved: Config.Resolved = Effect.runSync(Config.resolve({ level: "Warn" }))
 * resolved.capacity // 10000
 * resolved.batchSize // 256
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly level: LogLevel.LogLevel
  readonly sinks: ReadonlyArray<Sink.Sink>
  readonly capacity: number
  readonly policy: Worker.Policy
  readonly batchSize: number
  readonly batchWait: Duration.Input
  readonly pipeline: Pipeline.Pipeline | undefined
  readonly redact: Redactor.Options | false
  readonly mode: Worker.Mode
  readonly drainTimeout: Duration.Input
  readonly dropSummaryInterval: Duration.Input
  readonly sinkTimeout: Duration.Input
  readonly sinkRetries: number
  readonly maxRestarts: number
  readonly idleTimeToLive: Duration.Input | undefined
  readonly rootName: string
  /** Declared per-name options, names validated and levels in canonical case. */
  readonly loggers: Readonly<Record<string, LoggerOptions>>
}

/**
 * Explicit options that cannot work (a capacity of 0, an unknown policy, …).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Config from "effect-fapilog/Config"
 *
 * const program = Config.resolve({ queue: { capacity: 0 } }).pipe(
 *   Effect.catchTag("InvalidOptions", (e) => Effect.logError(`bad option ${e.option}: ${e.message}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptions extends Data.TaggedError("InvalidOptions")<{
  readonly option: string
  readonly message: string
}> {}

/**
 * Fills in defaults and validates.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Config from "effect-fapilog/Config"
 *
 * const resolved = Effect.runSync(Config.resolve({ queue: { capacity: 100 } }))
 * resolved.policy // "dropOldest"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: Options = {}): Effect.Effect<Resolved, InvalidOptions> =>
  Effect.suspend(() => {
    const capacity = options.queue?.capacity ?? 10_000
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      return Effect.fail(new InvalidOptions({ option: "queue.capacity", message: `queue.capacity must be a positive integer, got ${capacity}` }))
    }
    const policy = options.queue?.policy ?? "dropOldest"
    if (policy !== "dropOldest" && policy !== "dropNewest" && policy !== "block") {
      return Effect.fail(new InvalidOptions({ option: "queue.policy", message: `queue.policy must be "dropOldest", "dropNewest" or "block", got ${String(policy)}` }))
    }
    const batchSize = options.batch?.maxSize ?? 256
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      return Effect.fail(new InvalidOptions({ option: "batch.maxSize", message: `batch.maxSize must be a positive integer, got ${batchSize}` }))
    }
    const durations = {
      "batch.maxWait": options.batch?.maxWait ?? "50 millis",
      drainTimeout: options.drainTimeout ?? "5 seconds",
      dropSummaryInterval: options.dropSummaryInterval ?? "5 seconds",
      sinkTimeout: options.sinkTimeout ?? "10 seconds"
    }
    for (const [option, value] of Object.entries(durations)) {
      if (Duration.fromInput(value)._tag === "None") {
        return Effect.fail(new InvalidOptions({ option, message: `${option} is not a duration: ${String(value)}` }))
      }
    }
    const loggers = resolveLoggers(options.loggers)
    if (loggers instanceof InvalidOptions) return Effect.fail(loggers)
    return Effect.succeed({
      level: options.level ?? "Info",
      sinks: options.sinks ?? [Sink.stdout()],
      capacity,
      policy,
      batchSize,
      batchWait: durations["batch.maxWait"],
      pipeline: options.pipeline,
      redact: options.redact ?? {},
      mode: options.mode ?? "async",
      drainTimeout: durations.drainTimeout,
      dropSummaryInterval: durations.dropSummaryInterval,
      sinkTimeout: durations.sinkTimeout,
      sinkRetries: options.sinkRetries ?? 3,
      maxRestarts: options.maxRestarts ?? 5,
      idleTimeToLive: options.idleTimeToLive,
      rootName: options.rootName ?? "root",
      loggers
    })
  })

/** Validates the names and levels of `loggers`; the levels come back in canonical case. */
const resolveLoggers = (
  loggers: Readonly<Record<string, LoggerOptions>> | undefined
): Readonly<Record<string, LoggerOptions>> | InvalidOptions => {
  if (loggers === undefined) return {}
  const out: Record<string, LoggerOptions> = {}
  for (const [name, declared] of Object.entries(loggers)) {
    const problem = Levels.nameProblem(name)
    if (problem !== undefined) return new InvalidOptions({ option: `loggers["${name}"]`, message: `loggers: ${problem}` })
    if (declared?.level === undefined) {
      out[name] = declared ?? {}
      continue
    }
    const level = Levels.parseLevel(declared.level)
    if (level === undefined) {
      return new InvalidOptions({
        option: `loggers["${name}"].level`,
        message: `loggers["${name}"].level must be one of ${Levels.levelNames.join(", ")} (any case), got ${String(declared.level)}`
      })
    }
    out[name] = { ...declared, level }
  }
  return out
}

/**
 * Options read from the environment:
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | `FAPILOG_LEVEL` | minimum level: `Trace`, `Debug`, `Info`, `Warn`, `Error`, `Fatal`, `All`, `None` (any case) | `Info` |
 * | `FAPILOG_FORMAT` | `json` or `pretty` on stdout | `json` |
 * | `FAPILOG_FILE` | also append JSON lines to this file | none |
 * | `FAPILOG_QUEUE_CAPACITY` | positive integer | `10000` |
 * | `FAPILOG_QUEUE_POLICY` | `dropOldest`, `dropNewest`, `block` | `dropOldest` |
 * | `FAPILOG_BATCH_SIZE` | positive integer | `256` |
 * | `FAPILOG_BATCH_WAIT` | duration (`50 millis`) | `50 millis` |
 * | `FAPILOG_MODE` | `async` or `sync` | `async` |
 * | `FAPILOG_REDACT` | `true` or `false`: the default redaction before any sink | `true` |
 * | `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` | also export over OTLP/HTTP (see `Sink.otlpFromEnv` for the other `OTEL_*` variables) | none |
 *
 * A bad value is a `ConfigError` naming the variable when the layer is built.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Config from "effect-fapilog/Config"
 *
 * const program = Effect.gen(function*() {
 *   const options = yield* Config.fromEnv
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEnv: EffectConfig.Config<Options> = EffectConfig.all({
  level: EffectConfig.String("FAPILOG_LEVEL").pipe(
    EffectConfig.withDefault("Info"),
    EffectConfig.mapEffect((raw) => {
      const level = levelNames.get(raw.trim().toLowerCase())
      return level !== undefined ? Effect.succeed(level) : Effect.fail(
        new EffectConfig.ConfigError(
          new ConfigProvider.SourceError({
            message: `FAPILOG_LEVEL must be one of ${[...levelNames.values()].join(", ")} (any case), got ${raw}`
          })
        )
      )
    })
  ),
  format: EffectConfig.Literals(["json", "pretty"], "FAPILOG_FORMAT").pipe(EffectConfig.withDefault<"json" | "pretty">("json")),
  file: EffectConfig.String("FAPILOG_FILE").pipe(EffectConfig.option),
  capacity: positiveInt("FAPILOG_QUEUE_CAPACITY", 10_000),
  policy: EffectConfig.Literals(["dropOldest", "dropNewest", "block"], "FAPILOG_QUEUE_POLICY").pipe(
    EffectConfig.withDefault<Worker.Policy>("dropOldest")
  ),
  batchSize: positiveInt("FAPILOG_BATCH_SIZE", 256),
  batchWait: EffectConfig.Duration("FAPILOG_BATCH_WAIT").pipe(EffectConfig.withDefault<Duration.Input>("50 millis")),
  mode: EffectConfig.Literals(["async", "sync"], "FAPILOG_MODE").pipe(EffectConfig.withDefault<Worker.Mode>("async")),
  otlp: Sink.otlpFromEnv,
  redact: EffectConfig.Boolean("FAPILOG_REDACT").pipe(EffectConfig.withDefault(true))
}).pipe(EffectConfig.map((env): Options => {
  const sinks: Array<Sink.Sink> = [Sink.stdout({ format: env.format })]
  if (env.file._tag === "Some") sinks.push(Sink.file(env.file.value))
  if (env.otlp !== undefined) sinks.push(env.otlp)
  return {
    level: env.level,
    sinks,
    queue: { capacity: env.capacity, policy: env.policy },
    batch: { maxSize: env.batchSize, maxWait: env.batchWait },
    mode: env.mode,
    redact: env.redact ? {} : false
  }
}))

const levelNames = new Map<string, LogLevel.LogLevel>(
  (["All", "Trace", "Debug", "Info", "Warn", "Error", "Fatal", "None"] as const).map((l) => [l.toLowerCase(), l])
)

function positiveInt(name: string, fallback: number): EffectConfig.Config<number> {
  return EffectConfig.Int(name).pipe(
    EffectConfig.withDefault(fallback),
    EffectConfig.mapEffect((n) =>
      n >= 1
        ? Effect.succeed(n)
        : Effect.fail(
          new EffectConfig.ConfigError(
            new ConfigProvider.SourceError({ message: `${name} must be a positive integer, got ${n}` })
          )
        )
    )
  )
}
