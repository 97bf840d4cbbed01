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
import * as Option from "effect/Option"
import * as Level from "./internal/level.ts"
import * as Levels from "./internal/levels.ts"
import type * as Pipeline from "./Pipeline.ts"
import type * as Redactor from "./Redactor.ts"
import * as Sink from "./Sink.ts"
import type * as Worker from "./Worker.ts"

/**
 * Options of `Fapilog.layer` (all optional).
 *
 * @example Options for a verbose development set-up
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
  /**
   * The root logger's level: the default of every name and of plain `Effect.log*`
   * (`Logger.setLevel` changes it at run time). Default `"Info"`. Any case is accepted (`"debug"`
   * from a JSON file is `"Debug"`); an unknown name fails with `InvalidOptions`.
   */
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
 * @example A quieter level and a field for one logger
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
 * @example The defaults filled in
 * ```ts
 * import { Effect } from "effect"
 * import * as Config from "effect-fapilog/Config"
 *
 * const resolved: Config.Resolved = Effect.runSync(Config.resolve({ level: "Warn" }))
 * console.log(resolved.capacity) // => 10000
 * console.log(resolved.batchSize) // => 256
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  /** Effect's spelling (`"Debug"`), whatever the case given. */
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
 * @example Reporting an invalid option
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
 * Fills in defaults, normalises spellings and validates.
 *
 * The rule for options given in code is the one for environment variables (see `fromEnv`). Level
 * names (`level`, `loggers[name].level`), `queue.policy` and `mode` are accepted in any case and
 * returned in their canonical spelling (`"debug"` → `"Debug"`, `"DROPNEWEST"` → `"dropNewest"`),
 * so options read from JSON work as typed ones do. Anything that cannot work — an unknown name, a
 * capacity or batch size that is not a positive integer, a negative or infinite duration, a retry
 * count below 0 — fails with `InvalidOptions` naming the first bad option by its path (`"level"`,
 * `"queue.capacity"`, `loggers["db.pool"].level`); the messages are listed in the configuration
 * guide.
 *
 * @example Validating options read from JSON
 * ```ts
 * import { Effect } from "effect"
 * import * as Config from "effect-fapilog/Config"
 *
 * // options as a JSON file gives them
 * const resolved = Effect.runSync(Config.resolve(JSON.parse(`{ "level": "debug", "queue": { "capacity": 100 } }`)))
 * console.log(resolved.level) // => Debug
 * console.log(resolved.policy) // => dropOldest
 *
 * const error = Effect.runSync(Effect.flip(Config.resolve(JSON.parse(`{ "level": "verbose" }`))))
 * console.log(error.option) // => level
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: Options = {}): Effect.Effect<Resolved, InvalidOptions> =>
  Effect.suspend(() => {
    const problems: Array<Problem> = []
    const read = reader(problems, "code")
    const queue = read("queue", options.queue, kinds.record)
    const batch = read("batch", options.batch, kinds.record)
    const resolved: Resolved = {
      level: read("level", options.level, kinds.level) ?? defaults.level,
      loggers: readLoggers(read("loggers", options.loggers, kinds.record), read, problems) ?? {},
      sinks: read("sinks", options.sinks, kinds.sinks) ?? [Sink.stdout()],
      capacity: read("queue.capacity", queue?.capacity, kinds.positiveInt) ?? defaults.capacity,
      policy: read("queue.policy", queue?.policy, kinds.policy) ?? defaults.policy,
      batchSize: read("batch.maxSize", batch?.maxSize, kinds.positiveInt) ?? defaults.batchSize,
      batchWait: read("batch.maxWait", batch?.maxWait, kinds.duration) ?? defaults.batchWait,
      pipeline: read("pipeline", options.pipeline, kinds.pipeline),
      redact: read("redact", options.redact, kinds.redact) ?? {},
      mode: read("mode", options.mode, kinds.mode) ?? defaults.mode,
      drainTimeout: read("drainTimeout", options.drainTimeout, kinds.duration) ?? defaults.drainTimeout,
      dropSummaryInterval: read("dropSummaryInterval", options.dropSummaryInterval, kinds.duration) ?? defaults.dropSummaryInterval,
      sinkTimeout: read("sinkTimeout", options.sinkTimeout, kinds.duration) ?? defaults.sinkTimeout,
      sinkRetries: read("sinkRetries", options.sinkRetries, kinds.nonNegativeInt) ?? defaults.sinkRetries,
      maxRestarts: read("maxRestarts", options.maxRestarts, kinds.nonNegativeInt) ?? defaults.maxRestarts,
      idleTimeToLive: read("idleTimeToLive", options.idleTimeToLive, kinds.duration),
      rootName: read("rootName", options.rootName, kinds.loggerName) ?? defaults.rootName
    }
    const first = problems[0]
    return first === undefined
      ? Effect.succeed(resolved)
      : Effect.fail(new InvalidOptions({ option: first.where, message: first.message }))
  })

/**
 * Options read from the environment, by one rule for every variable.
 *
 * Names (levels, policies, modes, formats) and booleans are read in any case, surrounding spaces
 * ignored; every bad variable is reported in one `ConfigError` whose message names each variable
 * and its bad value.
 *
 * | variable | becomes |
 * | --- | --- |
 * | `FAPILOG_LEVEL` | `level` |
 * | `FAPILOG_LEVELS` (`payments=debug,db.pool=warn`) | `loggers` |
 * | `FAPILOG_FORMAT` | the format of the `Sink.stdout` sink |
 * | `FAPILOG_FILE` | a second sink, `Sink.file(path)` |
 * | `FAPILOG_QUEUE_CAPACITY`, `FAPILOG_QUEUE_POLICY` | `queue.capacity`, `queue.policy` |
 * | `FAPILOG_BATCH_SIZE`, `FAPILOG_BATCH_WAIT` | `batch.maxSize`, `batch.maxWait` |
 * | `FAPILOG_MODE` | `mode` |
 * | `FAPILOG_REDACT` | `redact` (`false` turns the default redaction off) |
 * | `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` | an OTLP sink (see `Sink.otlpFromEnv`) |
 *
 * The accepted spellings and the exact error messages are in the configuration guide
 * (`docs/guide/configuration.md`), which the test suite checks against this code.
 *
 * @example Reading options from environment variables
 * ```ts
 * import { ConfigProvider, Effect } from "effect"
 * import * as Config from "effect-fapilog/Config"
 *
 * const program = Effect.gen(function*() {
 *   const options = yield* Config.fromEnv
 *   return options.queue?.policy
 * }).pipe(
 *   Effect.provideService(
 *     ConfigProvider.ConfigProvider,
 *     ConfigProvider.fromEnv({ env: { FAPILOG_QUEUE_POLICY: "DROPNEWEST", FAPILOG_LEVELS: "db.pool=warn" } })
 *   )
 * )
 * console.log(Effect.runSync(program)) // => dropNewest
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEnv: EffectConfig.Config<Options> = EffectConfig.all({
  env: EffectConfig.all(Object.fromEntries(variables().map((name) => [name, variable(name)]))),
  otlp: Sink.otlpFromEnv.pipe(
    EffectConfig.map((sink) => ({ sink, error: undefined })),
    EffectConfig.orElse((error) => EffectConfig.succeed({ sink: undefined, error }))
  )
}).pipe(EffectConfig.mapEffect(({ env, otlp }) => {
  const problems: Array<Problem> = []
  const read = reader(problems, "environment")
  // read in the order of the guide's table, so that the problems are reported in that order
  const level = read("FAPILOG_LEVEL", env.FAPILOG_LEVEL, kinds.level) ?? defaults.level
  const loggers = parseLevels(env.FAPILOG_LEVELS, read, problems)
  const format = read("FAPILOG_FORMAT", env.FAPILOG_FORMAT, kinds.format) ?? "json"
  const capacity = read("FAPILOG_QUEUE_CAPACITY", env.FAPILOG_QUEUE_CAPACITY, kinds.positiveInt) ?? defaults.capacity
  const policy = read("FAPILOG_QUEUE_POLICY", env.FAPILOG_QUEUE_POLICY, kinds.policy) ?? defaults.policy
  const maxSize = read("FAPILOG_BATCH_SIZE", env.FAPILOG_BATCH_SIZE, kinds.positiveInt) ?? defaults.batchSize
  const maxWait = read("FAPILOG_BATCH_WAIT", env.FAPILOG_BATCH_WAIT, kinds.duration) ?? defaults.batchWait
  const mode = read("FAPILOG_MODE", env.FAPILOG_MODE, kinds.mode) ?? defaults.mode
  const redact = read("FAPILOG_REDACT", env.FAPILOG_REDACT, kinds.boolean) ?? true
  const sinks: Array<Sink.Sink> = [Sink.stdout({ format })]
  if (env.FAPILOG_FILE !== undefined) sinks.push(Sink.file(env.FAPILOG_FILE))
  if (otlp.sink !== undefined) sinks.push(otlp.sink)
  const options: Options = {
    level,
    ...(loggers === undefined ? {} : { loggers }),
    sinks,
    queue: { capacity, policy },
    batch: { maxSize, maxWait },
    mode,
    redact: redact ? {} : false
  }
  if (otlp.error !== undefined) {
    problems.push({ where: "OTEL_EXPORTER_OTLP", message: otlp.error.cause.message.replace(/\s*\n\s*/g, " ") })
  }
  return problems.length === 0 ? Effect.succeed(options) : Effect.fail(
    new EffectConfig.ConfigError(
      new ConfigProvider.SourceError({ message: `invalid environment: ${problems.map((p) => p.message).join("; ")}` })
    )
  )
}))

// -----------------------------------------------------------------------------
// internal: one rule per kind of value, for options in code and in the environment
// -----------------------------------------------------------------------------

const defaults = {
  level: "Info",
  capacity: 10_000,
  policy: "dropOldest",
  batchSize: 256,
  batchWait: "50 millis",
  mode: "async",
  drainTimeout: "5 seconds",
  dropSummaryInterval: "5 seconds",
  sinkTimeout: "10 seconds",
  sinkRetries: 3,
  maxRestarts: 5,
  rootName: "root"
} as const

/** The `FAPILOG_*` variables `fromEnv` reads (the OTLP sink reads its own `OTEL_*` ones). */
function variables() {
  return [
    "FAPILOG_LEVEL",
    "FAPILOG_LEVELS",
    "FAPILOG_FORMAT",
    "FAPILOG_FILE",
    "FAPILOG_QUEUE_CAPACITY",
    "FAPILOG_QUEUE_POLICY",
    "FAPILOG_BATCH_SIZE",
    "FAPILOG_BATCH_WAIT",
    "FAPILOG_MODE",
    "FAPILOG_REDACT"
  ] as const
}

/** The raw text of a variable; unset, empty and only spaces are the same. */
function variable(name: string): EffectConfig.Config<string | undefined> {
  return EffectConfig.String(name).pipe(
    EffectConfig.option,
    EffectConfig.map((value) => Option.isSome(value) && value.value.trim() !== "" ? value.value : undefined)
  )
}

/**
 * What one kind of value accepts: `expected` says it in the words of every error message;
 * `fromString` reads an environment variable, `fromValue` an option given in code (possibly read
 * from JSON). Both return the canonical value, or `undefined` for a value that cannot work.
 */
interface Kind<A> {
  readonly expected: string
  readonly fromString: (raw: string) => A | undefined
  readonly fromValue: (value: unknown) => A | undefined
}

/** A bad value found while reading: `where` is the option path or variable, `message` the whole text. */
interface Problem {
  readonly where: string
  readonly message: string
}

type Read = <A>(where: string, value: unknown, kind: Kind<A>) => A | undefined

/** Reads a value of a kind; a value that does not fit is recorded in `problems` (unset is no problem). */
function reader(problems: Array<Problem>, source: "code" | "environment"): Read {
  return (where, value, kind) => {
    if (value === undefined) return undefined
    const result = source === "code" ? kind.fromValue(value) : kind.fromString(String(value))
    if (result === undefined) problems.push({ where, message: `${where}=${show(value)}: expected ${kind.expected}` })
    return result
  }
}

/** A value as an error message shows it: strings quoted, objects by their kind (never their content). */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "function") return "<function>"
  if (Array.isArray(value)) return "[…]"
  if (typeof value === "object" && value !== null) return "{…}"
  return String(value)
}

/** A kind read from a string in code and in the environment alike (names in any case). */
function named<A>(expected: string, parse: (raw: string) => A | undefined): Kind<A> {
  return { expected, fromString: parse, fromValue: (u) => typeof u === "string" ? parse(u) : undefined }
}

function oneOf<const A extends string>(values: ReadonlyArray<A>): Kind<A> {
  const byLowerCase = new Map(values.map((value) => [value.toLowerCase(), value]))
  return named(`one of ${values.join(", ")} (any case)`, (raw) => byLowerCase.get(raw.trim().toLowerCase()))
}

function integer(min: number, expected: string): Kind<number> {
  const atLeast = (n: number) => Number.isSafeInteger(n) && n >= min ? n : undefined
  return {
    expected,
    fromString: (raw) => /^\s*\d+\s*$/.test(raw) ? atLeast(Number(raw)) : undefined,
    fromValue: (u) => typeof u === "number" ? atLeast(u) : undefined
  }
}

function only<A>(expected: string, accepts: (value: unknown) => value is A): Kind<A> {
  return { expected, fromString: () => undefined, fromValue: (u) => accepts(u) ? u : undefined }
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const isSink = (u: unknown): u is Sink.Sink => isRecord(u) && typeof u.name === "string" && Effect.isEffect(u.open)

/** A finite duration of 0 or more. Strings are read in any case (`"5 Seconds"`); a bare number string is not a duration. */
function isDuration(input: unknown): input is Duration.Input {
  if (typeof input === "number" && !Number.isFinite(input)) return false
  if (input === null || !["number", "bigint", "string", "object"].includes(typeof input)) return false
  // Effect reads any other object as a duration object: `{ timeout: 5 }` would be a duration of 0
  if (isRecord(input) && !Duration.isDuration(input) && !Object.keys(input).every((k) => durationFields.has(k))) {
    return false
  }
  const duration = Duration.fromInput(input as Duration.Input)
  return duration._tag === "Some" && Duration.isFinite(duration.value) && !Duration.isNegative(duration.value)
}

const durationFields: ReadonlySet<string> = new Set(
  ["weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds", "nanoseconds"]
)

const durationOf = (raw: string): Duration.Input | undefined => {
  const input = raw.trim().toLowerCase()
  return isDuration(input) ? input : undefined
}

/** Logger names: parts separated by single dots, no spaces, `=` or `,` (so `FAPILOG_LEVELS` can name any of them). */
const booleans: ReadonlyMap<string, boolean> = new Map(
  (["true", "false", "1", "0", "yes", "no", "on", "off"] as const).map((word, i) => [word, i % 2 === 0])
)

const kinds = {
  level: named(`one of ${Level.names.join(", ")} (any case)`, Level.fromString),
  policy: oneOf<Worker.Policy>(["dropOldest", "dropNewest", "block"]),
  mode: oneOf<Worker.Mode>(["async", "sync"]),
  format: oneOf(["json", "pretty"]),
  boolean: named(`one of ${[...booleans.keys()].join(", ")} (any case)`, (raw) => booleans.get(raw.trim().toLowerCase())),
  positiveInt: integer(1, "a positive integer"),
  nonNegativeInt: integer(0, "an integer of 0 or more"),
  duration: {
    expected: `a finite duration of 0 or more, such as "50 millis" or "5 seconds"`,
    fromString: durationOf,
    fromValue: (u: unknown) => typeof u === "string" ? durationOf(u) : isDuration(u) ? u : undefined
  } satisfies Kind<Duration.Input>,
  loggerName: named(Levels.loggerNameRule, (raw) => Levels.nameProblem(raw) === undefined ? raw : undefined),
  record: only("an object", isRecord),
  sinks: only("an array of sinks", (u): u is ReadonlyArray<Sink.Sink> => Array.isArray(u) && u.every(isSink)),
  pipeline: only("a Pipeline (a function from stream to stream)", (u): u is Pipeline.Pipeline => typeof u === "function"),
  redact: only("false or Redactor options (an object)", (u): u is Redactor.Options | false => u === false || isRecord(u))
}

/** A logger name, or a problem `<where> name "<name>": expected …` (a name has no `=value` to show). */
function checkName(where: string, name: string, problems: Array<Problem>): boolean {
  if (kinds.loggerName.fromString(name) !== undefined) return true
  problems.push({ where, message: `${where} name ${JSON.stringify(name)}: expected ${kinds.loggerName.expected}` })
  return false
}

/** `loggers` given in code: names checked, levels normalised, entries kept in order. */
function readLoggers(
  table: Readonly<Record<string, unknown>> | undefined,
  read: Read,
  problems: Array<Problem>
): Record<string, LoggerOptions> | undefined {
  if (table === undefined) return undefined
  const entries: Array<[string, LoggerOptions]> = []
  for (const [name, value] of Object.entries(table)) {
    if (!checkName("loggers", name, problems)) continue
    const where = `loggers[${JSON.stringify(name)}]`
    const options = read(where, value, kinds.record)
    if (options === undefined) continue
    const level = read(`${where}.level`, options.level, kinds.level)
    const fields = read(`${where}.fields`, options.fields, kinds.record)
    const sinks = read(`${where}.sinks`, options.sinks, kinds.sinks)
    const pipeline = read(`${where}.pipeline`, options.pipeline, kinds.pipeline)
    entries.push([name, {
      ...(level === undefined ? {} : { level }),
      ...(fields === undefined ? {} : { fields }),
      ...(sinks === undefined ? {} : { sinks }),
      ...(pipeline === undefined ? {} : { pipeline })
    }])
  }
  // fromEntries defines each key, so a logger named "__proto__" is an entry like any other
  return Object.fromEntries(entries)
}

/** `FAPILOG_LEVELS="payments=debug,db.pool=warn"`: every bad entry is a problem of its own. */
function parseLevels(raw: string | undefined, read: Read, problems: Array<Problem>): Record<string, LoggerOptions> | undefined {
  if (raw === undefined) return undefined
  const where = "FAPILOG_LEVELS"
  const levels = new Map<string, LogLevel.LogLevel>()
  for (const entry of raw.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const equals = entry.indexOf("=")
    if (equals < 0) {
      problems.push({ where, message: `${where} entry ${JSON.stringify(entry)}: expected name=level` })
      continue
    }
    const name = entry.slice(0, equals).trim()
    if (!checkName(where, name, problems)) continue
    if (levels.has(name)) {
      problems.push({ where, message: `${where} name ${JSON.stringify(name)}: given more than once` })
      continue
    }
    const level = read(`${where}[${JSON.stringify(name)}]`, entry.slice(equals + 1).trim(), kinds.level)
    if (level !== undefined) levels.set(name, level)
  }
  return Object.fromEntries(Array.from(levels, ([name, level]) => [name, { level }]))
}
