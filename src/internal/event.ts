/**
 * Constructors of the records that are made per event or per request: events, control records,
 * per-context lookups, correlation regions.
 *
 * They are built with `new` rather than object literals, for two reasons. Every event then has
 * one shape, so the pipeline's and the encoder's property reads stay monomorphic (a
 * `CorrelationEnd` used to be a spread literal of another shape). And the engine can decide to
 * allocate a literal's objects directly in the old generation when it sees them survive young
 * collections, which queued records do under load; a dead record there keeps the young objects it
 * points to alive through every young collection until the next full one. In the full-pipeline
 * benchmark the process then settled in a mode where each young collection kept 4-6 MB instead
 * of ~0.5 MB and GC pauses added up to 300-380 ms instead of 130-150 ms per 1,000,000 events;
 * with these constructors it does so less often (`node --trace-gc-nvp
 * bench/runners/fapilog-full.ts`, 5 runs: 2 of 5 instead of 5 of 5; the engine also decides for
 * literals outside this library, such as Effect's own). Each prototype is `Object.prototype`: a
 * record stays a plain object (`deepStrictEqual` to the same literal).
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import type { Aggregate, Control, Input, LogEvent, Region } from "../LogEvent.ts"
import { errorMessage } from "./errorMessage.ts"
import { setOwn } from "./plainRecord.ts"

type Mutable = { -readonly [K in keyof LogEvent]: LogEvent[K] }

function EventRecord(
  this: Mutable,
  timestamp: LogEvent["timestamp"],
  level: LogEvent["level"],
  message: LogEvent["message"],
  logger: LogEvent["logger"],
  fields: LogEvent["fields"],
  annotations: LogEvent["annotations"],
  spans: LogEvent["spans"],
  correlationId: LogEvent["correlationId"],
  traceId: LogEvent["traceId"],
  spanId: LogEvent["spanId"],
  cause: LogEvent["cause"],
  template: LogEvent["template"],
  control: Control | undefined,
  aggregate: Aggregate | undefined
): void {
  this.timestamp = timestamp
  this.level = level
  this.message = message
  this.logger = logger
  this.fields = fields
  this.annotations = annotations
  this.spans = spans
  this.correlationId = correlationId
  this.traceId = traceId
  this.spanId = spanId
  this.cause = cause
  this.template = template
  this.control = control
  this.aggregate = aggregate
}
EventRecord.prototype = Object.prototype

/** The event record constructor: `new Record(timestamp, level, …, control)`, every field given. */
export const Record = EventRecord as unknown as new(...args: Parameters<typeof EventRecord>) => LogEvent

/** A copy of `event` with other fields, annotations, message or cause (the rest shared). */
export const copy = (
  event: LogEvent,
  message: LogEvent["message"],
  fields: LogEvent["fields"],
  annotations: LogEvent["annotations"],
  cause: LogEvent["cause"]
): LogEvent =>
  new Record(
    event.timestamp,
    event.level,
    message,
    event.logger,
    fields,
    annotations,
    event.spans,
    event.correlationId,
    event.traceId,
    event.spanId,
    cause,
    event.template,
    event.control,
    event.aggregate
  )

function CorrelationEndControl(this: { _tag: "CorrelationEnd"; correlationId: string }, correlationId: string): void {
  this._tag = "CorrelationEnd"
  this.correlationId = correlationId
}
CorrelationEndControl.prototype = Object.prototype

const EndCtor = CorrelationEndControl as unknown as new(correlationId: string) => Control

/** The control record of a `CorrelationEnd` (queued like an event: built the same way). */
export const correlationEndControl = (correlationId: string): Control => new EndCtor(correlationId)

/**
 * What an event takes from a fiber's context, read once per distinct context (see
 * `internal/eventBuilder.ts`).
 */
export interface FiberContext {
  readonly annotations: Readonly<Record<string, unknown>> | undefined
  readonly spans: ReadonlyArray<readonly [string, number]> | undefined
  readonly correlationId: string | undefined
  readonly region: Region | undefined
  readonly clock: Clock.Clock
}

function FiberContextRecord(
  this: { -readonly [K in keyof FiberContext]: FiberContext[K] },
  annotations: FiberContext["annotations"],
  spans: FiberContext["spans"],
  correlationId: FiberContext["correlationId"],
  region: FiberContext["region"],
  clock: FiberContext["clock"]
): void {
  this.annotations = annotations
  this.spans = spans
  this.correlationId = correlationId
  this.region = region
  this.clock = clock
}
FiberContextRecord.prototype = Object.prototype

const ContextCtor = FiberContextRecord as unknown as new(...args: Parameters<typeof FiberContextRecord>) => FiberContext

/** What an event takes from a fiber's context (one per distinct context: per request, per fiber). */
export const fiberContext = (...args: Parameters<typeof FiberContextRecord>): FiberContext => new ContextCtor(...args)

function RegionRecord(this: { correlationId: string; receivers: Set<unknown> }, correlationId: string): void {
  this.correlationId = correlationId
  this.receivers = new Set()
}
RegionRecord.prototype = Object.prototype

const RegionCtor = RegionRecord as unknown as new(correlationId: string) => Region

/** A new correlation region (see `Logger.withCorrelationId`). */
export const region = (correlationId: string): Region => new RegionCtor(correlationId)

/** The correlation id of the current region (documented as `LogEvent.CurrentCorrelationId`). */
export const CurrentCorrelationId: Context.Reference<string | undefined> = Context.Reference<string | undefined>(
  "effect-fapilog/CurrentCorrelationId",
  { defaultValue: () => undefined }
)

/** The correlation region a fiber is in (documented as `LogEvent.CurrentRegion`). */
export const CurrentRegion: Context.Reference<Region | undefined> = Context.Reference<Region | undefined>(
  "effect-fapilog/CurrentRegion",
  { defaultValue: () => undefined }
)

/** An ordinary event from its input (documented as `LogEvent.make`). */
export const make = (input: Input): LogEvent =>
  new Record(
    input.timestamp,
    input.level,
    input.message,
    input.logger,
    input.fields,
    input.annotations,
    input.spans,
    input.correlationId,
    input.traceId,
    input.spanId,
    input.cause,
    input.template,
    undefined,
    input.aggregate
  )

/** A control event carrying `c` (only its control and timestamp are set). */
const control = (c: Control, timestamp: number): LogEvent =>
  new Record(timestamp, "Info", "", "", undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, c, undefined)

/** A flush barrier (documented as `LogEvent.flushMarker`). */
export const flushMarker = (done: () => void, timestamp = 0): LogEvent => control({ _tag: "Flush", done }, timestamp)

/** A correlation-end signal (documented as `LogEvent.correlationEnd`). */
export const correlationEnd = (correlationId: string, timestamp = 0): LogEvent =>
  new Record(
    timestamp,
    "Info",
    "",
    "",
    undefined,
    undefined,
    undefined,
    correlationId,
    undefined,
    undefined,
    undefined,
    undefined,
    correlationEndControl(correlationId),
    undefined
  )

const templatePattern = /\{([A-Za-z0-9_.$-]+)\}/g

/** Fills a template's `{name}` placeholders (documented as `LogEvent.renderTemplate`). Never throws. */
export const renderTemplate = (template: string, fields: Readonly<Record<string, unknown>>): string =>
  template.replace(templatePattern, (whole, key: string) => {
    try {
      if (!Object.hasOwn(fields, key)) return whole
      const value = fields[key]
      return typeof value === "string" ? value : renderValue(value)
    } catch (error) {
      return `[Throws: ${describe(error)}]`
    }
  })

/** A value as text: JSON for objects, `String` otherwise; never throws. */
export const renderValue = (value: unknown): string => {
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) ?? String(value) : String(value)
  } catch {
    return "[unrenderable]"
  }
}

/**
 * The fields an encoder writes for `event`: its own, and for an aggregate the seed's summary keys
 * (`_aggregated`, `_count`, `_first_occurrence`, `_last_occurrence`, `_window_seconds`)
 * rendered from its marker and merged over them. Only aggregates allocate.
 */
export const fieldsOf = (event: LogEvent): Readonly<Record<string, unknown>> | undefined => {
  const aggregate = event.aggregate
  if (aggregate === undefined) return event.fields
  const summary = summaryOf(aggregate)
  return event.fields === undefined ? summary : mergeFields(event.fields, summary)
}

/** The seed's summary fields of an aggregate marker, in the seed's key order. */
export const summaryOf = (aggregate: Aggregate): Record<string, unknown> => ({
  _aggregated: true,
  _count: aggregate.count,
  _first_occurrence: iso(aggregate.firstOccurrence),
  _last_occurrence: iso(aggregate.lastOccurrence),
  _window_seconds: aggregate.windowSeconds
})

const iso = (millis: number): string => {
  try {
    return DateTime.formatIso(DateTime.makeUnsafe(millis))
  } catch {
    return "Invalid Date"
  }
}

/**
 * `{ ...base, ...over }` that never throws: a field whose getter (or Proxy trap) throws is kept as
 * `"[Throws: message]"`, and a `__proto__` key stays an own field (see `LogEvent.mergeFields`).
 */
export const mergeFields = (
  base: Readonly<Record<string, unknown>>,
  over: Readonly<Record<string, unknown>>
): Readonly<Record<string, unknown>> => {
  try {
    return { ...base, ...over }
  } catch {
    const out: Record<string, unknown> = {}
    copyInto(out, base)
    copyInto(out, over)
    return out
  }
}

/** The message of a thrown value, never throwing itself (the one rule, in `errorMessage.ts`). */
export const describe = errorMessage

const copyInto = (out: Record<string, unknown>, source: Readonly<Record<string, unknown>>): void => {
  let keys: Array<string>
  try {
    keys = Object.keys(source)
  } catch (error) {
    out._fields_error = describe(error)
    return
  }
  for (const key of keys) {
    let value: unknown
    try {
      value = source[key]
    } catch (error) {
      value = `[Throws: ${describe(error)}]`
    }
    setOwn(out, key, value)
  }
}
