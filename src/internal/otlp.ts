/**
 * OTLP/HTTP logs: the mapping from `LogEvent` to the OpenTelemetry log data model, the request
 * body (JSON or protobuf), `Retry-After` parsing and the partial-success response.
 *
 * What comes from `effect/observability` and what does not:
 * - the value model (`OtlpResource.AnyValue`/`KeyValue`/`Resource`), the JSON serializer
 *   (`OtlpSerialization.layerJson`) and `Retry-After` parsing (`Headers`) are Effect's;
 * - the protobuf writer is ours (`otlpProtobuf.ts`): same bytes as
 *   `OtlpSerialization.layerProtobuf`, ten times faster (measured there);
 * - the attribute conversion is ours: `OtlpResource.unknownToAttributeValue` formats objects as
 *   strings (no `kvlistValue`), recurses into cyclic arrays without a guard, writes safe integers
 *   as JSON numbers (`"intValue": 42`, the OTLP/JSON spec says decimal strings), keeps `2 ** 60`
 *   as an integer and NaN as a double, and has no depth, length or key limits;
 * - the resource is ours: `OtlpResource.make` puts `telemetry.sdk.*` first with
 *   `telemetry.sdk.name: "effect"` and a `telemetry.sdk.version`, and converts values as above;
 * - the partial-success reader is ours: Effect's exporter never reads the response body.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import type * as HttpBody from "effect/http/HttpBody"
import * as OtlpSerialization from "effect/observability/OtlpSerialization"
import type * as OtlpResource from "effect/observability/OtlpResource"
import * as Result from "effect/Result"
import type * as LogEvent from "../LogEvent.ts"
import { errorMessage } from "./errorMessage.ts"
import { fieldsOf } from "./event.ts"
import * as Level from "./level.ts"
import * as OtlpProtobuf from "./otlpProtobuf.ts"
import { isPlainObject } from "./plainRecord.ts"

// -----------------------------------------------------------------------------
// model (Effect's OTLP value types; the request shape is the wire module's)
// -----------------------------------------------------------------------------

/** @internal */
export type AnyValue = OtlpResource.AnyValue

/** @internal */
export type KeyValue = OtlpResource.KeyValue

/** @internal */
export type LogsData = OtlpProtobuf.LogsData

/** Severity number of the OTel log data model: each level owns a range of four (TRACE 1–4, …). */
const severityNumber = (level: LogEvent.LogEvent["level"]): OtlpProtobuf.SeverityNumber =>
  (4 * Level.rank[level] - 3) as OtlpProtobuf.SeverityNumber

/** Limits of the attribute conversion. @internal */
export interface Limits {
  readonly maxAttributes: number
  readonly maxDepth: number
  readonly maxStringLength: number
  readonly maxArrayLength: number
  readonly maxKeys: number
  /**
   * The library's safe JSON rendering of one value (`Encoder.encodeValue`), for what the
   * conversion does not descend into: cycles, values past `maxDepth`, class instances.
   */
  readonly encodeValue: (value: unknown) => string
}

/**
 * The default limits, over the library's encoder: `Sink.otlp` passes the public `Encoder` module
 * (its `encodeValue` and `defaults`), so that this internal module never imports a public one.
 * Strings and keys are cut as the encoder cuts them; attributes, depth and arrays have OTLP's own
 * bounds. @internal
 */
export const makeLimits = (encoder: {
  readonly encodeValue: (value: unknown) => string
  readonly defaults: { readonly maxStringLength: number; readonly maxKeys: number }
}): Limits => ({
  maxAttributes: 128,
  maxDepth: 5,
  maxStringLength: encoder.defaults.maxStringLength,
  maxArrayLength: 1000,
  maxKeys: encoder.defaults.maxKeys,
  encodeValue: encoder.encodeValue
})

/** Any JS value as an OTLP `AnyValue`; never throws. @internal */
export const toAnyValue = (value: unknown, limits: Limits): AnyValue => {
  try {
    return convert(value, limits, [])
  } catch {
    return { stringValue: safeEncode(value, limits) }
  }
}

/** The resource attributes of `service.name` and the user's record. @internal */
export const resourceAttributes = (
  serviceName: string | undefined,
  attributes: Readonly<Record<string, unknown>> | undefined,
  limits: Limits
): Array<KeyValue> => {
  const out: Array<KeyValue> = []
  const seen = new Set<string>()
  if (attributes !== undefined) {
    for (const key of Object.keys(attributes)) {
      seen.add(key)
      out.push({ key, value: toAnyValue(attributes[key], limits) })
    }
  }
  if (serviceName !== undefined) {
    const i = out.findIndex((kv) => kv.key === "service.name")
    if (i >= 0) out.splice(i, 1)
    out.unshift({ key: "service.name", value: { stringValue: serviceName } })
  } else if (!seen.has("service.name")) {
    out.unshift({ key: "service.name", value: { stringValue: "unknown_service:node" } })
  }
  if (!seen.has("telemetry.sdk.name")) out.push({ key: "telemetry.sdk.name", value: { stringValue: "effect-fapilog" } })
  if (!seen.has("telemetry.sdk.language")) out.push({ key: "telemetry.sdk.language", value: { stringValue: "nodejs" } })
  return out
}

/**
 * One event as an OTLP log record: annotations then fields (fields win) as attributes, plus
 * `correlation_id`, the log spans and the cause (`exception.stacktrace`). Ids that are not
 * hex of the right length are kept as `trace_id` / `span_id` attributes instead.
 *
 * @internal
 */
export const toLogRecord = (event: LogEvent.LogEvent, observedNanos: string, limits: Limits): OtlpProtobuf.LogRecord => {
  const attributes: Array<KeyValue> = []
  const index = new Map<string, number>()
  let dropped = 0
  const put = (key: string, value: unknown) => {
    const i = index.get(key)
    if (i !== undefined) {
      attributes[i] = { key, value: toAnyValue(value, limits) }
      return
    }
    if (attributes.length >= limits.maxAttributes) {
      dropped++
      return
    }
    index.set(key, attributes.length)
    attributes.push({ key, value: toAnyValue(value, limits) })
  }
  putAll(event.annotations, put, () => dropped++)
  putAll(fieldsOf(event), put, () => dropped++) // an aggregate's marker as `_count`, … (seed keys)
  if (event.correlationId !== undefined) put("correlation_id", event.correlationId)
  if (event.spans !== undefined && event.spans.length > 0) {
    const spans: Record<string, number> = {}
    const t = event.timestamp
    for (const [label, start] of event.spans) spans[label] = t - start
    put("log.spans", spans)
  }
  if (event.cause !== undefined) {
    put("exception.stacktrace", causeText(event.cause))
    const first = firstError(event.cause, limits)
    if (first !== undefined) {
      put("exception.type", first.type)
      put("exception.message", first.message)
    }
  }
  let traceId: string | undefined
  let spanId: string | undefined
  if (event.traceId !== undefined) {
    if (isHex(event.traceId, 32)) traceId = event.traceId.toLowerCase()
    else put("trace_id", event.traceId)
  }
  if (event.spanId !== undefined) {
    if (isHex(event.spanId, 16)) spanId = event.spanId.toLowerCase()
    else put("span_id", event.spanId)
  }
  const record: OtlpProtobuf.LogRecord = {
    timeUnixNano: millisToNanos(event.timestamp),
    observedTimeUnixNano: observedNanos,
    severityNumber: severityNumber(event.level),
    severityText: Level.text[event.level],
    body: { stringValue: cut(event.message, limits.maxStringLength) },
    attributes,
    droppedAttributesCount: dropped,
    ...(traceId !== undefined ? { traceId } : {}),
    ...(spanId !== undefined ? { spanId } : {})
  }
  return record
}

/** Groups events by logger name (the instrumentation scope), keeping their order. @internal */
export const toLogsData = (
  events: ReadonlyArray<LogEvent.LogEvent>,
  resource: Array<KeyValue>,
  observedNanos: string,
  limits: Limits
): LogsData => {
  const scopes = new Map<string, Array<OtlpProtobuf.LogRecord>>()
  for (const event of events) {
    if (event.control !== undefined) continue
    let records = scopes.get(event.logger)
    if (records === undefined) scopes.set(event.logger, records = [])
    records.push(toLogRecord(event, observedNanos, limits))
  }
  const scopeLogs: Array<OtlpProtobuf.ScopeLogs> = []
  for (const [name, logRecords] of scopes) scopeLogs.push({ scope: { name }, logRecords })
  return { resourceLogs: [{ resource: { attributes: resource, droppedAttributesCount: 0 }, scopeLogs }] }
}

/** Epoch milliseconds as decimal nanoseconds. @internal */
export const millisToNanos = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "0"
  const whole = Math.floor(ms)
  const frac = Math.round((ms - whole) * 1e6)
  return (BigInt(whole) * 1_000_000n + BigInt(frac)).toString()
}

// -----------------------------------------------------------------------------
// request body
// -----------------------------------------------------------------------------

/** How requests are encoded: `application/x-protobuf` or `application/json`. @internal */
export type Encoding = "protobuf" | "json"

/** One serialized export request. @internal */
export interface Body {
  readonly bytes: Uint8Array
  readonly contentType: string
}

/**
 * The request serializer of an encoding, resolved once per sink when its export loop starts:
 * OTLP/JSON is Effect's `OtlpSerialization.layerJson`; protobuf is `otlpProtobuf.ts`, which
 * writes the same bytes as `OtlpSerialization.layerProtobuf` ten times faster (the figures are
 * in that module).
 *
 * @internal
 */
export const serializer = (encoding: Encoding): Effect.Effect<(data: LogsData) => Body> =>
  encoding === "protobuf"
    ? Effect.succeed((data: LogsData): Body => ({
      bytes: OtlpProtobuf.encodeLogsData(data),
      contentType: "application/x-protobuf"
    }))
    : Effect.service(OtlpSerialization.OtlpSerialization).pipe(
      Effect.map((serialization) => (data: LogsData): Body => bodyOf(serialization.logs(data))),
      Effect.provide(OtlpSerialization.layerJson)
    )

/** `layerJson` builds an in-memory body (`HttpBody.text`). */
const bodyOf = (body: HttpBody.HttpBody): Body => {
  if (body._tag !== "Uint8Array") throw new Error(`unexpected OTLP body ${body._tag}`)
  return { bytes: body.body, contentType: body.contentType }
}

// -----------------------------------------------------------------------------
// responses
// -----------------------------------------------------------------------------

/**
 * `Retry-After` as milliseconds from `now` (Effect's `Headers.parseRetryAfter`: delta-seconds or
 * an HTTP date); `undefined` when absent or unparsable. Capped at `max`.
 *
 * @internal
 */
export const parseRetryAfter = (header: string | null | undefined, now: number, max: number): number | undefined => {
  if (header === null || header === undefined) return undefined
  const parsed = Headers.parseRetryAfter(header)
  if (Result.isFailure(parsed)) return undefined
  return Math.min(Duration.toMillis(Headers.retryAfterDelay(parsed.success, now)), max)
}

/**
 * How many records a successful response says were rejected (`partialSuccess`), from a JSON or
 * protobuf `ExportLogsServiceResponse`.
 *
 * @internal
 */
export const rejectedRecords = (body: Uint8Array, contentType: string | null): { readonly rejected: number; readonly message: string } => {
  if (body.length === 0) return { rejected: 0, message: "" }
  try {
    if (contentType !== null && contentType.includes("json")) {
      const json = JSON.parse(Buffer.from(body).toString("utf8")) as {
        partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string }
      }
      const p = json.partialSuccess
      return { rejected: Number(p?.rejectedLogRecords ?? 0) || 0, message: p?.errorMessage ?? "" }
    }
    return OtlpProtobuf.decodePartialSuccess(body)
  } catch {
    return { rejected: 0, message: "" }
  }
}

/**
 * `k=v,k2=v2` (the `OTEL_EXPORTER_OTLP_HEADERS` / `OTEL_RESOURCE_ATTRIBUTES` format), keys and
 * values URL-decoded and trimmed; throws on a malformed entry.
 *
 * @internal
 */
export const parseKeyValueList = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const part of text.split(",")) {
    if (part.trim() === "") continue
    const eq = part.indexOf("=")
    if (eq <= 0) throw new Error(`expected key=value, got "${part.trim()}"`)
    const key = decodeURIComponent(part.slice(0, eq).trim())
    if (key === "") throw new Error(`empty key in "${part.trim()}"`)
    out[key] = decodeURIComponent(part.slice(eq + 1).trim())
  }
  return out
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const hexRe = /^[0-9a-fA-F]+$/

const isHex = (s: string, length: number): boolean => s.length === length && hexRe.test(s) && !/^0+$/.test(s)

const cut = (s: string, max: number): string => s.length <= max ? s : s.slice(0, max) + "…[truncated]"

/**
 * A value as attribute text: its safe JSON rendering, except that a rendering which is a JSON
 * string (a Date, a symbol, a function, a "[Throws: …]" marker) is unquoted, so backends show
 * `1970-01-01T00:00:00.000Z`, not `"1970-01-01T00:00:00.000Z"`.
 */
const safeEncode = (value: unknown, limits: Limits): string => {
  try {
    const json = limits.encodeValue(value)
    if (json.length >= 2 && json.charCodeAt(0) === 34 && json.charCodeAt(json.length - 1) === 34) {
      const text: unknown = JSON.parse(json)
      if (typeof text === "string") return text
    }
    return json
  } catch {
    return "[unencodable]"
  }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function convert(value: unknown, limits: Limits, stack: Array<object>): AnyValue {
  switch (typeof value) {
    case "string":
      return { stringValue: cut(value, limits.maxStringLength) }
    case "boolean":
      return { boolValue: value }
    case "number":
      if (Number.isSafeInteger(value)) return { intValue: String(value) }
      if (Number.isFinite(value)) return { doubleValue: value }
      return { stringValue: String(value) }
    case "bigint":
      return value >= INT64_MIN && value <= INT64_MAX ? { intValue: value.toString() } : { stringValue: value.toString() }
    case "undefined":
      return {}
    case "object": {
      if (value === null) return {}
      if (stack.length >= limits.maxDepth || stack.includes(value)) return { stringValue: safeEncode(value, limits) }
      if (Array.isArray(value)) {
        stack.push(value)
        const values: Array<AnyValue> = []
        const n = Math.min(value.length, limits.maxArrayLength)
        for (let i = 0; i < n; i++) values.push(guarded(() => value[i], limits, stack))
        if (value.length > n) values.push({ stringValue: `[${value.length - n} more items]` })
        stack.pop()
        return { arrayValue: { values } }
      }
      if (isPlainObject(value)) {
        stack.push(value)
        const values: Array<KeyValue> = []
        const keys = Object.keys(value)
        const n = Math.min(keys.length, limits.maxKeys)
        for (let i = 0; i < n; i++) {
          const key = keys[i]!
          values.push({ key, value: guarded(() => (value as Record<string, unknown>)[key], limits, stack) })
        }
        if (keys.length > n) values.push({ key: "[truncated]", value: { intValue: String(keys.length - n) } })
        stack.pop()
        return { kvlistValue: { values } }
      }
      return { stringValue: safeEncode(value, limits) }
    }
    default:
      // symbol, function
      return { stringValue: safeEncode(value, limits) }
  }
}

function guarded(get: () => unknown, limits: Limits, stack: Array<object>): AnyValue {
  let v: unknown
  try {
    v = get()
  } catch (e) {
    return { stringValue: `[getter threw: ${errorMessage(e)}]` }
  }
  const depth = stack.length
  try {
    return convert(v, limits, stack)
  } catch {
    stack.length = depth
    return { stringValue: safeEncode(v, limits) }
  }
}

const putAll = (
  record: Readonly<Record<string, unknown>> | undefined,
  put: (key: string, value: unknown) => void,
  onThrow: () => void
): void => {
  if (record === undefined) return
  let keys: Array<string>
  try {
    keys = Object.keys(record)
  } catch {
    onThrow()
    return
  }
  for (const key of keys) {
    let v: unknown
    try {
      v = record[key]
    } catch (e) {
      v = `[getter threw: ${errorMessage(e)}]`
    }
    put(key, v)
  }
}

const causeText = (cause: Cause.Cause<unknown>): string => {
  try {
    return Cause.pretty(cause)
  } catch (e) {
    return `[cause could not be rendered: ${errorMessage(e)}]`
  }
}

const firstError = (cause: Cause.Cause<unknown>, limits: Limits): { type: string; message: string } | undefined => {
  try {
    for (const reason of cause.reasons) {
      if (reason._tag === "Fail" || reason._tag === "Die") {
        const e: unknown = reason._tag === "Fail" ? reason.error : reason.defect
        if (e instanceof Error) return { type: e.name, message: e.message }
        if (typeof e === "object" && e !== null && "_tag" in e) {
          return { type: String((e as { _tag: unknown })._tag), message: safeEncode(e, limits) }
        }
        return { type: typeof e, message: typeof e === "string" ? e : safeEncode(e, limits) }
      }
    }
  } catch {
    // hostile error object
  }
  return undefined
}
