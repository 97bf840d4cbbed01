/**
 * Enrichment: a pure event transform that adds the service's identity (`service`, `version`,
 * `environment`, `host`, `pid`, plus any static fields) and optional per-event fields to every
 * event, so every line can be attributed and filtered in a log backend.
 *
 * The static part is computed once, when the transform is built. Fields the caller set always
 * win: enrichment never overwrites them. Trace correlation needs no enricher: every event already
 * carries the `traceId`/`spanId` of the Effect span it was logged in (and its `logger` name), and
 * the encoders write them (`trace_id`/`span_id` in JSON, the OTel log record's ids in OTLP).
 *
 * @since 0.1.0
 */
import * as Os from "node:os"
import { annotator, type LogEvent, mergeFields } from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"
import { errorMessage } from "./internal/errorMessage.ts"
import * as Event from "./internal/event.ts"
import { setOwn } from "./internal/plainRecord.ts"

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * Computes extra fields for one event (`undefined` for none). Must be synchronous and cheap; it
 * runs on the worker fiber for every event. A dynamic enricher that throws does not stop the
 * pipeline: the event gets `_enricher_error` with the error's message instead.
 *
 * @example Adding the request id to every event
 * ```ts
 * import * as Enricher from "effect-fapilog/Enricher"
 *
 * const requestId: Enricher.Dynamic = (event) =>
 *   event.correlationId === undefined ? undefined : { request_id: event.correlationId }
 * const enrich = Enricher.make({ service: "api", dynamic: [requestId] })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Dynamic = (event: LogEvent) => Readonly<Record<string, unknown>> | undefined

/**
 * Enrichment options.
 *
 * @example Service metadata and static fields
 * ```ts
 * import * as Enricher from "effect-fapilog/Enricher"
 *
 * const options: Enricher.Options = {
 *   service: "checkout",
 *   version: "2.3.0",
 *   environment: "staging",
 *   host: false,
 *   fields: { region: "eu-west-1" }
 * }
 * const stage = Enricher.pipeline(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Added as `service` when set. */
  readonly service?: string | undefined
  /** Added as `version` when set. */
  readonly version?: string | undefined
  /** Added as `environment` when set. */
  readonly environment?: string | undefined
  /** `true` (default) adds `host: os.hostname()`; a string is used as is; `false` omits it. */
  readonly host?: boolean | string | undefined
  /** `true` (default) adds `pid: process.pid`. */
  readonly pid?: boolean | undefined
  /** Further static fields (merged after the ones above). */
  readonly fields?: Readonly<Record<string, unknown>> | undefined
  /** Per-event enrichers, applied in order over the static fields. */
  readonly dynamic?: ReadonlyArray<Dynamic> | undefined
}

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Computes the static fields once and returns the enriching event transform.
 *
 * Precedence, lowest first: the fiber's log annotations, static fields, dynamic enrichers (in
 * order), the caller's fields. With no static field and no dynamic enricher the transform returns
 * every event unchanged.
 *
 * Static fields are merged into the event's `annotations` as one frozen record shared by every
 * event of the same context (see `LogEvent.annotator`), which is what makes them nearly free per
 * event; dynamic ones are merged into `fields` under the caller's. Encoders write both, fields
 * winning; read a value as a sink sees it with `LogEvent.get`.
 *
 * @example Enriching one event
 * ```ts
 * import * as Enricher from "effect-fapilog/Enricher"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const enrich = Enricher.make({ service: "payments", version: "1.4.2", environment: "prod" })
 * const event = enrich(LogEvent.make({ timestamp: 0, level: "Info", message: "up", logger: "app" }))
 * console.log(event.annotations?.service, event.annotations?.environment) // => payments prod
 * // host and pid are added too (their values differ from machine to machine)
 * console.log(Object.keys(event.annotations ?? {})) // => [ 'service', 'version', 'environment', 'host', 'pid' ]
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): (event: LogEvent) => LogEvent => {
  const base = staticFields(options)
  const dynamic = options.dynamic ?? []
  // static fields become one shared, frozen annotations record (see `LogEvent.annotator`):
  // no per-event copy, and the redactor and encoder reuse their work on it
  const annotate = Object.keys(base).length > 0 ? annotator(base) : undefined
  if (dynamic.length === 0) return annotate ?? ((event) => event)
  return (event) => {
    const extra: Record<string, unknown> = {}
    for (let i = 0; i < dynamic.length; i++) {
      try {
        const more = dynamic[i]!(event)
        if (more !== undefined) assignOwn(extra, more)
      } catch (error) {
        extra._enricher_error = errorMessage(error)
      }
    }
    if (event.fields !== undefined) assignOwn(extra, event.fields)
    const enriched = withFields(event, extra)
    return annotate === undefined ? enriched : annotate(enriched)
  }
}

/**
 * A pipeline stage applying {@link make} to every ordinary event; control events pass unchanged
 * and in order.
 *
 * @example Enriching a stream of events
 * ```ts
 * import { Stream } from "effect"
 * import * as Enricher from "effect-fapilog/Enricher"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const events = Stream.make(LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" }))
 * const enriched = events.pipe(
 *   Enricher.pipeline({
 *     service: "checkout",
 *     dynamic: [(event) => event.correlationId === undefined ? undefined : { request_id: event.correlationId }]
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category pipeline
 */
export const pipeline = (options: Options = {}): Pipeline.Pipeline => Pipeline.mapEvents(make(options))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const staticFields = (options: Options): Readonly<Record<string, unknown>> => {
  const out: Record<string, unknown> = {}
  if (options.service !== undefined) out.service = options.service
  if (options.version !== undefined) out.version = options.version
  if (options.environment !== undefined) out.environment = options.environment
  const host = options.host ?? true
  if (host !== false) out.host = host === true ? Os.hostname() : host
  if (options.pid ?? true) out.pid = process.pid
  if (options.fields !== undefined) assignOwn(out, options.fields)
  return Object.freeze(out)
}

/** `Object.assign` that defines (rather than sets) `__proto__`. */
const assignOwn = (target: Record<string, unknown>, source: Readonly<Record<string, unknown>>): void => {
  // never throws: hostile getters become "[Throws: …]" values (see LogEvent.mergeFields)
  const merged = mergeFields({}, source)
  for (const key of Object.keys(merged)) setOwn(target, key, merged[key])
}

const withFields = (event: LogEvent, fields: Readonly<Record<string, unknown>>): LogEvent =>
  Event.copy(event, event.message, fields, event.annotations, event.cause)
