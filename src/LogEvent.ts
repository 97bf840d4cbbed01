/**
 * The record that flows from a call site, through the queue and the pipeline, into the sinks.
 *
 * A `LogEvent` is a plain, immutable object with one fixed shape (every property is always
 * present, `undefined` when absent) so that V8 keeps every event on one hidden class. Besides
 * ordinary events the pipeline also carries *control* events (`control !== undefined`): flush
 * barriers and correlation-end signals. Every pipeline operator must forward control events
 * unchanged and in order; stateful operators react to them (the aggregator emits what it holds
 * on a flush, the tail sampler discards a request's buffer when its correlation id ends).
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as LogLevel from "effect/LogLevel"
import { dual } from "effect/Function"
import * as Event from "./internal/event.ts"
import * as Level from "./internal/level.ts"

/**
 * One log event.
 *
 * Field by field:
 *
 * - `timestamp`: epoch milliseconds read from `Clock` when the event was built (for an
 *   aggregate: when it was emitted).
 * - `level`: the severity the caller logged at (`"Info"`, `"Warn"`, …).
 * - `message`: the rendered message (the template with its `{name}` placeholders filled).
 * - `logger`: the name of the logger (`"root"` for plain `Effect.log*`).
 * - `fields`: the call-site fields merged over the facade's bound fields (call site wins), or
 *   `undefined`. Only what the caller logged: the library never stores its own marks here.
 * - `annotations`: the fiber's `Effect.annotateLogs` record, held by reference (Effect replaces it
 *   on change, so no copy is needed), plus static enrichment and sampling marks
 *   (see {@link annotator}). Encoders write annotations first; `fields` shadow them.
 * - `spans`: the fiber's log spans (`Effect.withLogSpan`), label and start time.
 * - `correlationId`: the id of the request or region (`Logger.withCorrelationId`, the HTTP
 *   middleware), else {@link CurrentCorrelationId}.
 * - `traceId` / `spanId`: the current tracing span's ids, when there is one.
 * - `cause`: the `Cause` logged with the event, when it has reasons.
 * - `template`: the message template when the caller logged one (`"pool size: {size}"`), for
 *   aggregation.
 * - `control`: set only on control events (flush barriers, correlation ends), see {@link Control}.
 * - `aggregate`: set only on an aggregate emitted by `Aggregator.repetitive`: the record then
 *   stands for `aggregate.count` events (see {@link Aggregate}). Samplers never drop it and the
 *   engine counts it as those events; a user field named `_aggregated` is an ordinary field.
 *
 * Every property is always present (`undefined` when absent) on events built by this module, so
 * that they share one shape.
 *
 * @example A one-line rendering of an event
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const line = (event: LogEvent.LogEvent): string =>
 *   `${event.timestamp} ${event.level} [${event.logger}] ${event.message}` +
 *   (event.correlationId === undefined ? "" : ` (${event.correlationId})`) +
 *   (event.aggregate === undefined ? "" : ` x${event.aggregate.count}`)
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hello", logger: "app", correlationId: "req-1" })
 * console.log(line(event)) // => 0 Info [app] hello (req-1)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LogEvent {
  readonly timestamp: number
  readonly level: LogLevel.Severity
  readonly message: string
  readonly logger: string
  readonly fields: Readonly<Record<string, unknown>> | undefined
  readonly annotations: Readonly<Record<string, unknown>> | undefined
  readonly spans: ReadonlyArray<readonly [label: string, startTime: number]> | undefined
  readonly correlationId: string | undefined
  readonly traceId: string | undefined
  readonly spanId: string | undefined
  readonly cause: Cause.Cause<unknown> | undefined
  /** The message template when the caller logged one (`"pool size: {size}"`), for aggregation. */
  readonly template: string | undefined
  readonly control: Control | undefined
  /** The aggregate marker: present only on an aggregate emitted by `Aggregator.repetitive`. */
  readonly aggregate?: Aggregate | undefined
}

/**
 * The marker of an aggregate: what one emitted record stands for. It is set by
 * `Aggregator.repetitive` (or {@link make} with `aggregate`), never read from the user's fields.
 *
 * - `count`: how many logged events the record stands for (its first absorbed occurrence
 *   included). The engine counts them as absorbed, not as one event; samplers never drop it.
 * - `firstOccurrence` / `lastOccurrence`: the timestamps (epoch milliseconds, from `Clock`) of the
 *   first and the last absorbed occurrence.
 * - `windowSeconds`: `lastOccurrence - firstOccurrence`, in seconds.
 *
 * It holds numbers only: what the occurrences logged stays in the event's `fields` (the values of
 * fields that varied are in the field `_distinct`, see `Aggregator.Distinct`), where redaction
 * applies to it like to any field. Encoders write the marker as the seed's keys, merged over the
 * event's fields: `_aggregated: true`, `_count`, `_first_occurrence` and `_last_occurrence`
 * (ISO-8601), `_window_seconds`.
 *
 * @example How many events a record stands for
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const marker: LogEvent.Aggregate = { count: 250, firstOccurrence: 0, lastOccurrence: 4500, windowSeconds: 4.5 }
 * const aggregate = LogEvent.make({ timestamp: 5000, level: "Debug", message: "tick", logger: "db", aggregate: marker })
 * const represented = (event: LogEvent.LogEvent): number => event.aggregate?.count ?? 1
 * console.log(represented(aggregate)) // => 250
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Aggregate {
  readonly count: number
  readonly firstOccurrence: number
  readonly lastOccurrence: number
  readonly windowSeconds: number
}

/**
 * A control signal travelling through the pipeline in order with the events.
 *
 * - `Flush`: a barrier. Stateful operators emit everything they hold before forwarding it; the
 *   worker calls `done` once everything before it has been written or deliberately dropped.
 * - `CorrelationEnd`: the region or request with this correlation id has ended.
 * - `DriveEnd`: the end of one drive of the worker's pipeline (it tells the worker that what it
 *   fed has come out). Operators forward it and do nothing else.
 *
 * @example Telling control signals apart
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const describe = (event: LogEvent.LogEvent): string => {
 *   const control: LogEvent.Control | undefined = event.control
 *   if (control === undefined) return event.message
 *   if (control._tag === "DriveEnd") return "end of a drive"
 *   return control._tag === "Flush" ? "flush barrier" : `region ${control.correlationId} ended`
 * }
 * console.log(describe(LogEvent.correlationEnd("req-1"))) // => region req-1 ended
 * console.log(describe(LogEvent.flushMarker(() => {}))) // => flush barrier
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Control =
  | { readonly _tag: "Flush"; readonly done: () => void }
  | { readonly _tag: "CorrelationEnd"; readonly correlationId: string }
  | { readonly _tag: "DriveEnd" }

/**
 * The input to {@link make}: everything but `timestamp`, `level`, `message` and `logger` is
 * optional.
 *
 * @example A slow query, with a field and a correlation id
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const input: LogEvent.Input = {
 *   timestamp: 1_700_000_000_000,
 *   level: "Warn",
 *   message: "slow query",
 *   logger: "db",
 *   fields: { ms: 1200 },
 *   correlationId: "req-7"
 * }
 * const event = LogEvent.make(input)
 * console.log(event.fields, event.correlationId, event.traceId) // => { ms: 1200 } req-7 undefined
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  readonly timestamp: number
  readonly level: LogLevel.Severity
  readonly message: string
  readonly logger: string
  readonly fields?: Readonly<Record<string, unknown>> | undefined
  readonly annotations?: Readonly<Record<string, unknown>> | undefined
  readonly spans?: ReadonlyArray<readonly [string, number]> | undefined
  readonly correlationId?: string | undefined
  readonly traceId?: string | undefined
  readonly spanId?: string | undefined
  readonly cause?: Cause.Cause<unknown> | undefined
  readonly template?: string | undefined
  /** Marks an aggregate (normally set by `Aggregator.repetitive` only), see {@link Aggregate}. */
  readonly aggregate?: Aggregate | undefined
}

/**
 * The correlation id of the current region, set by `Logger.withCorrelationId` (or the HTTP
 * middleware) and read when an event is built.
 *
 * @example Setting the correlation id by hand
 * ```ts
 * import { Effect } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const program = Effect.provideService(
 *   Effect.log("inside a request"),
 *   LogEvent.CurrentCorrelationId,
 *   "req-1"
 * )
 * ```
 *
 * @since 0.1.0
 * @category references
 */
export const CurrentCorrelationId: Context.Reference<string | undefined> = Event.CurrentCorrelationId

/**
 * The correlation region a fiber is in: its id, and the workers that received events of it (so
 * that only they are told when it ends). Set by `Logger.withCorrelationId`; events read their
 * `correlationId` from it first, then from {@link CurrentCorrelationId}.
 *
 * @example Reading the region a fiber is in
 * ```ts
 * import { Effect } from "effect"
 * import { Logger } from "effect-fapilog"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const regionId = Effect.gen(function*() {
 *   const region = yield* LogEvent.CurrentRegion
 *   return region?.correlationId
 * }).pipe(Logger.withCorrelationId("req-1"))
 * console.log(Effect.runSync(regionId)) // => req-1
 * ```
 *
 * @since 0.1.0
 * @category references
 */
export const CurrentRegion: Context.Reference<Region | undefined> = Event.CurrentRegion

/**
 * A correlation region, see {@link CurrentRegion}.
 *
 * @example A region provided by hand
 * ```ts
 * import { Effect } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * // prefer `Logger.withCorrelationId`, which also signals the region's end to the pipeline
 * const region: LogEvent.Region = { correlationId: "req-1", receivers: new Set() }
 * const program = Effect.provideService(Effect.logInfo("tagged req-1"), LogEvent.CurrentRegion, region)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Region {
  readonly correlationId: string
  /** Whoever received events of this region (workers), recorded by the offer path. */
  readonly receivers: Set<unknown>
}

/**
 * Builds an ordinary event with a stable shape.
 *
 * @example Every property present, even when absent
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hello", logger: "app" })
 * console.log(Object.keys(event).join(" ")) // => timestamp level message logger fields annotations spans correlationId traceId spanId cause template control aggregate
 * console.log(event.fields) // => undefined
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (input: Input) => LogEvent = Event.make

/**
 * A flush barrier; `done` is called by the worker once everything before it is written.
 *
 * @example A barrier that records when it is passed
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * let flushed = false
 * const barrier = LogEvent.flushMarker(() => {
 *   flushed = true
 * })
 * console.log(LogEvent.isControl(barrier), barrier.control?._tag, flushed) // => true Flush false
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const flushMarker: (done: () => void, timestamp?: number) => LogEvent = Event.flushMarker

/**
 * A correlation-end signal for `correlationId`.
 *
 * @example The end of a request's region
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const end = LogEvent.correlationEnd("req-1")
 * console.log(end.control) // => { _tag: 'CorrelationEnd', correlationId: 'req-1' }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const correlationEnd: (correlationId: string, timestamp?: number) => LogEvent = Event.correlationEnd

/**
 * Whether the event is a control signal rather than something to write.
 *
 * @example Keeping the events to write
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const ordinary = (events: ReadonlyArray<LogEvent.LogEvent>) => events.filter((e) => !LogEvent.isControl(e))
 * const hello = LogEvent.make({ timestamp: 0, level: "Info", message: "hello", logger: "app" })
 * console.log(ordinary([hello, LogEvent.correlationEnd("req-1")]).map((e) => e.message)) // => [ 'hello' ]
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isControl = (event: LogEvent): boolean => event.control !== undefined

/**
 * Numeric severity: Trace 1, Debug 2, Info 3, Warn 4, Error 5, Fatal 6 (0 for control events).
 *
 * @example An event's severity, and a control event's
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Warn", message: "disk 90% full", logger: "ops" })
 * console.log(LogEvent.severity(event)) // => 4
 * console.log(LogEvent.severity(LogEvent.correlationEnd("req-1"))) // => 0
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const severity = (event: LogEvent): number =>
  event.control !== undefined ? 0 : levelSeverity[event.level]

/**
 * Numeric severity of a level name, as {@link severity}.
 *
 * @example Dropping what is below Warn
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Pipeline from "effect-fapilog/Pipeline"
 *
 * const warnOrAbove = Pipeline.mapEvents(
 *   (e) => LogEvent.severity(e) >= LogEvent.levelSeverity.Warn ? e : undefined,
 *   "below warn"
 * )
 * console.log(LogEvent.levelSeverity.Warn, LogEvent.levelSeverity.Fatal) // => 4 6
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const levelSeverity: Readonly<Record<LogLevel.LogLevel, number>> = Level.rank

/**
 * Whether the event is at level Error or Fatal (never sampled out, never aggregated).
 *
 * @example Keeping the errors
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const errors = (events: ReadonlyArray<LogEvent.LogEvent>) => events.filter(LogEvent.isErrorOrAbove)
 * const at = (level: "Warn" | "Error" | "Fatal") => LogEvent.make({ timestamp: 0, level, message: level, logger: "app" })
 * console.log(errors([at("Warn"), at("Error"), at("Fatal")]).map((e) => e.message)) // => [ 'Error', 'Fatal' ]
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isErrorOrAbove = (event: LogEvent): boolean =>
  event.control === undefined && (event.level === "Error" || event.level === "Fatal")

/**
 * A copy of the event with `extra` merged over its fields. For values shared by many events, such as sampling marks, prefer
 * {@link annotator}, which allocates one record per context instead of one per event.
 *
 * @example Adding a field to one event
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app", fields: { user: "ann" } })
 * const marked = LogEvent.withFields(event, { attempt: 2 })
 * console.log(marked.fields) // => { user: 'ann', attempt: 2 }
 * // data-last, for `pipe` and `map`
 * console.log([event].map(LogEvent.withFields({ attempt: 3 }))[0]!.fields) // => { user: 'ann', attempt: 3 }
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withFields: {
  (extra: Readonly<Record<string, unknown>>): (event: LogEvent) => LogEvent
  (event: LogEvent, extra: Readonly<Record<string, unknown>>): LogEvent
} = dual(
  2,
  (event: LogEvent, extra: Readonly<Record<string, unknown>>): LogEvent =>
    Event.copy(event, event.message, event.fields === undefined ? extra : mergeFields(event.fields, extra), event.annotations, event.cause)
)

/**
 * Builds, once, a transform that merges `extra` over an event's annotations. Use it for values
 * that are the same for many events (static enrichment, sampling marks): pino's per-logger
 * prefix, the Effect way.
 *
 * Annotations are treated as immutable records, as Effect itself treats them (it copies on every
 * `annotateLogs`). The merged record is frozen and remembered for each annotations record seen
 * (weakly), so the events sharing their context (a fiber, a request) share one merged record:
 * no per-event copy, and the redactor and the encoder can reuse their work on it (they cache
 * frozen records whose values are all primitives).
 *
 * Precedence: `extra` over the event's annotations; the event's fields still win over both
 * (encoders write annotations first and skip the keys that fields shadow).
 *
 * @example Static annotations for every event
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const tag = LogEvent.annotator({ service: "checkout", region: "eu-1" })
 * const event = tag(LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" }))
 * console.log(event.annotations) // => { service: 'checkout', region: 'eu-1' }
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const annotator = (extra: Readonly<Record<string, unknown>>): (event: LogEvent) => LogEvent => {
  const own = Object.freeze(mergeFields({}, extra))
  // the last context's record first (a run of events), then every live context's (requests
  // interleaving in one batch), so that each context's record is merged once
  const merges = new WeakMap<object, Readonly<Record<string, unknown>>>()
  let lastBase: Readonly<Record<string, unknown>> | undefined = undefined
  let lastMerged: Readonly<Record<string, unknown>> = own
  return (event) => {
    const base = event.annotations
    let merged: Readonly<Record<string, unknown>>
    if (base === undefined) merged = own
    else if (base === lastBase) merged = lastMerged
    else {
      let known = merges.get(base)
      if (known === undefined) {
        known = Object.freeze(mergeFields(base, own))
        merges.set(base, known)
      }
      merged = known
      lastBase = base
      lastMerged = merged
    }
    return Event.copy(event, event.message, event.fields, merged, event.cause)
  }
}

/**
 * The value of `key` as an encoder writes it: the event's field, else its annotation.
 *
 * @example A field, else an annotation
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({
 *   timestamp: 0, level: "Info", message: "hi", logger: "app", fields: { n: 1 }, annotations: { n: 0, region: "eu-1" }
 * })
 * console.log(LogEvent.get(event, "n"), LogEvent.get(event, "region"), LogEvent.get(event, "missing")) // => 1 eu-1 undefined
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const get = (event: LogEvent, key: string): unknown => {
  const fields = event.fields
  if (fields !== undefined && Object.hasOwn(fields, key)) return fields[key]
  const annotations = event.annotations
  return annotations !== undefined && Object.hasOwn(annotations, key) ? annotations[key] : undefined
}

/**
 * The fields an encoder writes for the event: its `fields`, and for an aggregate its marker as
 * the seed's keys (`_aggregated`, `_count`, `_first_occurrence`, `_last_occurrence`,
 * `_window_seconds`) merged over them. For any other event, `event.fields` itself;
 * only an aggregate allocates. Custom encoders use it to write aggregates as the built-in ones do.
 *
 * @example The fields written for an aggregate
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const aggregate = LogEvent.make({
 *   timestamp: 2000, level: "Debug", message: "tick", logger: "db", fields: { pool: "main" },
 *   aggregate: { count: 3, firstOccurrence: 0, lastOccurrence: 1500, windowSeconds: 1.5 }
 * })
 * console.log(LogEvent.writtenFields(aggregate)) // => { pool: 'main', _aggregated: true, _count: 3, _first_occurrence: '1970-01-01T00:00:00.000Z', _last_occurrence: '1970-01-01T00:00:01.500Z', _window_seconds: 1.5 }
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const writtenFields: (event: LogEvent) => Readonly<Record<string, unknown>> | undefined = Event.fieldsOf

/**
 * `{ ...base, ...over }` that never throws: a field whose getter (or Proxy trap) throws is kept as
 * `"[Throws: message]"` instead of failing the caller or the pipeline, and a `__proto__` key stays
 * an own field.
 *
 * @example Merging a record whose getter throws
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const hostile = { get boom(): never { throw new Error("no") }, ok: 1 }
 * console.log(LogEvent.mergeFields(hostile, { extra: true })) // => { boom: '[Throws: no]', ok: 1, extra: true }
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mergeFields: (
  base: Readonly<Record<string, unknown>>,
  over: Readonly<Record<string, unknown>>
) => Readonly<Record<string, unknown>> = Event.mergeFields

/**
 * Fills the `{name}` placeholders of a message template from `fields` (unknown names stay as
 * they are; objects are rendered as JSON). Never throws.
 *
 * @example Filling a template
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * console.log(LogEvent.renderTemplate("pool size: {size}", { size: 10 })) // => pool size: 10
 * console.log(LogEvent.renderTemplate("{user} sent {body} to {nobody}", { user: "ann", body: { n: 1 } })) // => ann sent {"n":1} to {nobody}
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const renderTemplate: (template: string, fields: Readonly<Record<string, unknown>>) => string = Event.renderTemplate

/**
 * A copy of the event with another message.
 *
 * @example Prefixing the logger's name
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hello", logger: "app" })
 * const prefixed = LogEvent.withMessage(event, `[${event.logger}] ${event.message}`)
 * console.log(prefixed.message) // => [app] hello
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withMessage: {
  (message: string): (event: LogEvent) => LogEvent
  (event: LogEvent, message: string): LogEvent
} = dual(
  2,
  (event: LogEvent, message: string): LogEvent => Event.copy(event, message, event.fields, event.annotations, event.cause)
)
