/**
 * The one table of log levels: Effect's level names, their order, their upper-case text, and the
 * case-insensitive reading of a level name written by a person (an environment variable, a JSON
 * file, `Fapilog.layer({ level: "debug" })`).
 *
 * Callers: `Config` (reading and normalising every level option). Also meant for every other
 * place that needs a level table (`LogEvent.levelSeverity`, the encoders' level text, OTLP and
 * syslog severities, `Http`'s list of severities), so that there is one spelling of each level.
 *
 * Invariant: `fromString` returns only names of `names` — Effect's exact spelling — or `undefined`;
 * it never returns a string the rest of the library would not recognise (a lower-case `"debug"`
 * as Effect's `MinimumLogLevel` silently disables every plain `Effect.log*` call).
 *
 * @internal
 */
import type * as LogLevel from "effect/LogLevel"

/** Effect's level names, in the order people read them: the six severities, then `All`, `None`. @internal */
export const names: ReadonlyArray<LogLevel.LogLevel> = ["Trace", "Debug", "Info", "Warn", "Error", "Fatal", "All", "None"]

/** The levels an event can have (no `All` / `None`), lowest first. @internal */
export const severities: ReadonlyArray<LogLevel.Severity> = ["Trace", "Debug", "Info", "Warn", "Error", "Fatal"]

/** Rank of each level: an event passes a minimum level when its rank is at least the minimum's. @internal */
export const rank: Readonly<Record<LogLevel.LogLevel, number>> = {
  All: 0,
  Trace: 1,
  Debug: 2,
  Info: 3,
  Warn: 4,
  Error: 5,
  Fatal: 6,
  None: 7
}

/** Upper-case text of each severity, as written in JSON lines, pretty output and OTLP. @internal */
export const text: Readonly<Record<LogLevel.Severity, string>> = {
  Trace: "TRACE",
  Debug: "DEBUG",
  Info: "INFO",
  Warn: "WARN",
  Error: "ERROR",
  Fatal: "FATAL"
}

const byLowerCase: ReadonlyMap<string, LogLevel.LogLevel> = new Map(names.map((name) => [name.toLowerCase(), name]))

/**
 * Effect's spelling of a level name given in any case, surrounding spaces ignored
 * (`" debug "` → `"Debug"`); `undefined` for anything else. @internal
 */
export const fromString = (input: string): LogLevel.LogLevel | undefined => byLowerCase.get(input.trim().toLowerCase())
