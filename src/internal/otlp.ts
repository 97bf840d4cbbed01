/**
 * OTLP/HTTP logs: the mapping from `LogEvent` to the OpenTelemetry log data model, its JSON and
 * protobuf encodings (field numbers of opentelemetry/proto/logs/v1/logs.proto and
 * common/v1/common.proto), `Retry-After` parsing and the partial-success response.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Encoder from "../Encoder.ts"
import type * as LogEvent from "../LogEvent.ts"
import { fieldsOf } from "./event.ts"

// -----------------------------------------------------------------------------
// model (the OTLP/JSON shape; the protobuf encoder walks the same tree)
// -----------------------------------------------------------------------------

/** @internal */
export type AnyValue =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  | { readonly intValue: string }
  | { readonly doubleValue: number }
  | { readonly arrayValue: { readonly values: ReadonlyArray<AnyValue> } }
  | { readonly kvlistValue: { readonly values: ReadonlyArray<KeyValue> } }
  | Record<string, never>

/** @internal */
export interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

/** @internal */
export interface LogRecord {
  readonly timeUnixNano: string
  readonly observedTimeUnixNano: string
  readonly severityNumber: number
  readonly severityText: string
  readonly body: AnyValue
  readonly attributes: ReadonlyArray<KeyValue>
  readonly droppedAttributesCount: number
  readonly traceId?: string
  readonly spanId?: string
}

/** @internal */
export interface ScopeLogs {
  readonly scope: { readonly name: string }
  readonly logRecords: ReadonlyArray<LogRecord>
}

/** @internal */
export interface LogsData {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<KeyValue> }
    readonly scopeLogs: ReadonlyArray<ScopeLogs>
  }>
}

/** Severity numbers of the OTel log data model. @internal */
export const severityNumber: Readonly<Record<string, number>> = {
  Trace: 1,
  Debug: 5,
  Info: 9,
  Warn: 13,
  Error: 17,
  Fatal: 21
}

const severityText: Readonly<Record<string, string>> = {
  Trace: "TRACE",
  Debug: "DEBUG",
  Info: "INFO",
  Warn: "WARN",
  Error: "ERROR",
  Fatal: "FATAL"
}

/** Limits of the attribute conversion. @internal */
export interface Limits {
  readonly maxAttributes: number
  readonly maxDepth: number
  readonly maxStringLength: number
  readonly maxArrayLength: number
  readonly maxKeys: number
}

/** @internal */
export const defaultLimits: Limits = {
  maxAttributes: 128,
  maxDepth: 5,
  maxStringLength: Encoder.defaults.maxStringLength,
  maxArrayLength: 1000,
  maxKeys: Encoder.defaults.maxKeys
}

/** Any JS value as an OTLP `AnyValue`; never throws. @internal */
export const toAnyValue = (value: unknown, limits: Limits = defaultLimits): AnyValue => {
  try {
    return convert(value, limits, [])
  } catch {
    return { stringValue: safeEncode(value) }
  }
}

/** The resource attributes of `service.name` and the user's record. @internal */
export const resourceAttributes = (
  serviceName: string | undefined,
  attributes: Readonly<Record<string, unknown>> | undefined
): Array<KeyValue> => {
  const out: Array<KeyValue> = []
  const seen = new Set<string>()
  if (attributes !== undefined) {
    for (const key of Object.keys(attributes)) {
      seen.add(key)
      out.push({ key, value: toAnyValue(attributes[key]) })
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
export const toLogRecord = (event: LogEvent.LogEvent, observedNanos: string, limits: Limits = defaultLimits): LogRecord => {
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
    const first = firstError(event.cause)
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
  const record: LogRecord = {
    timeUnixNano: millisToNanos(event.timestamp),
    observedTimeUnixNano: observedNanos,
    severityNumber: severityNumber[event.level] ?? 0,
    severityText: severityText[event.level] ?? String(event.level).toUpperCase(),
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
  resource: ReadonlyArray<KeyValue>,
  observedNanos: string,
  limits: Limits = defaultLimits
): LogsData => {
  const scopes = new Map<string, Array<LogRecord>>()
  for (const event of events) {
    if (event.control !== undefined) continue
    let records = scopes.get(event.logger)
    if (records === undefined) scopes.set(event.logger, records = [])
    records.push(toLogRecord(event, observedNanos, limits))
  }
  const scopeLogs: Array<ScopeLogs> = []
  for (const [name, logRecords] of scopes) scopeLogs.push({ scope: { name }, logRecords })
  return { resourceLogs: [{ resource: { attributes: resource }, scopeLogs }] }
}

/** OTLP/JSON text (int64 as decimal strings, ids as hex, non-finite doubles as strings). @internal */
export const encodeJson = (data: LogsData): string => JSON.stringify(data)

/** Epoch milliseconds as decimal nanoseconds. @internal */
export const millisToNanos = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "0"
  const whole = Math.floor(ms)
  const frac = Math.round((ms - whole) * 1e6)
  return (BigInt(whole) * 1_000_000n + BigInt(frac)).toString()
}

// -----------------------------------------------------------------------------
// protobuf
// -----------------------------------------------------------------------------

/** `ExportLogsServiceRequest` (same wire shape as `LogsData`) as protobuf bytes. @internal */
export const encodeProtobuf = (data: LogsData): Uint8Array => {
  const w = new ProtoWriter()
  for (const rl of data.resourceLogs) {
    const a = w.begin(1)
    const r = w.begin(1)
    for (const kv of rl.resource.attributes) writeKeyValue(w, 1, kv)
    w.end(r)
    for (const sl of rl.scopeLogs) {
      const s = w.begin(2)
      const sc = w.begin(1)
      w.string(1, sl.scope.name)
      w.end(sc)
      for (const rec of sl.logRecords) writeLogRecord(w, 2, rec)
      w.end(s)
    }
    w.end(a)
  }
  return w.finish()
}

const writeLogRecord = (w: ProtoWriter, field: number, rec: LogRecord): void => {
  const m = w.begin(field)
  w.fixed64(1, BigInt(rec.timeUnixNano))
  if (rec.severityNumber !== 0) w.uint(2, rec.severityNumber)
  w.string(3, rec.severityText)
  const b = w.begin(5)
  writeAnyValueBody(w, rec.body)
  w.end(b)
  for (const kv of rec.attributes) writeKeyValue(w, 6, kv)
  if (rec.droppedAttributesCount > 0) w.uint(7, rec.droppedAttributesCount)
  if (rec.traceId !== undefined) w.bytes(9, hexToBytes(rec.traceId))
  if (rec.spanId !== undefined) w.bytes(10, hexToBytes(rec.spanId))
  w.fixed64(11, BigInt(rec.observedTimeUnixNano))
  w.end(m)
}

const writeKeyValue = (w: ProtoWriter, field: number, kv: KeyValue): void => {
  const m = w.begin(field)
  w.string(1, kv.key)
  const v = w.begin(2)
  writeAnyValueBody(w, kv.value)
  w.end(v)
  w.end(m)
}

const writeAnyValueBody = (w: ProtoWriter, value: AnyValue): void => {
  if ("stringValue" in value) w.string(1, value.stringValue)
  else if ("boolValue" in value) w.uint(2, value.boolValue ? 1 : 0)
  else if ("intValue" in value) w.int64(3, BigInt(value.intValue))
  else if ("doubleValue" in value) w.double(4, value.doubleValue)
  else if ("arrayValue" in value) {
    const m = w.begin(5)
    for (const item of value.arrayValue.values) {
      const i = w.begin(1)
      writeAnyValueBody(w, item)
      w.end(i)
    }
    w.end(m)
  } else if ("kvlistValue" in value) {
    const m = w.begin(6)
    for (const kv of value.kvlistValue.values) writeKeyValue(w, 1, kv)
    w.end(m)
  }
}

/**
 * A growable protobuf writer. `begin` reserves one byte for a length prefix; `end` writes the
 * length, shifting the body when the varint needs more than one byte.
 */
class ProtoWriter {
  private buf = new Uint8Array(4096)
  private view = new DataView(this.buf.buffer)
  private pos = 0

  begin(field: number): number {
    this.tag(field, 2)
    this.ensure(1)
    return this.pos++
  }

  end(mark: number): void {
    const len = this.pos - mark - 1
    const size = varintSize(len)
    if (size > 1) {
      this.ensure(size - 1)
      this.buf.copyWithin(mark + size, mark + 1, this.pos)
      this.pos += size - 1
    }
    let p = mark
    let n = len
    while (n > 127) {
      this.buf[p++] = (n & 127) | 128
      n = Math.floor(n / 128)
    }
    this.buf[p] = n
  }

  string(field: number, s: string): void {
    this.tag(field, 2)
    const len = Buffer.byteLength(s, "utf8")
    this.varint(len)
    this.ensure(len)
    Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength).write(s, this.pos, len, "utf8")
    this.pos += len
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2)
    this.varint(b.length)
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  uint(field: number, n: number): void {
    this.tag(field, 0)
    this.varint(n)
  }

  int64(field: number, n: bigint): void {
    this.tag(field, 0)
    let u = BigInt.asUintN(64, n)
    this.ensure(10)
    while (u > 127n) {
      this.buf[this.pos++] = Number(u & 127n) | 128
      u >>= 7n
    }
    this.buf[this.pos++] = Number(u)
  }

  fixed64(field: number, n: bigint): void {
    this.tag(field, 1)
    this.ensure(8)
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, n), true)
    this.pos += 8
  }

  double(field: number, n: number): void {
    this.tag(field, 1)
    this.ensure(8)
    this.view.setFloat64(this.pos, n, true)
    this.pos += 8
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos)
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }

  private varint(n: number): void {
    this.ensure(10)
    while (n > 127) {
      this.buf[this.pos++] = (n & 127) | 128
      n = Math.floor(n / 128)
    }
    this.buf[this.pos++] = n
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }
}

const varintSize = (n: number): number => {
  let size = 1
  while (n > 127) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

// -----------------------------------------------------------------------------
// responses
// -----------------------------------------------------------------------------

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; `undefined` when
 * absent or unparsable. Capped at `max`.
 *
 * @internal
 */
export const parseRetryAfter = (header: string | null | undefined, now: number, max: number): number | undefined => {
  if (header === null || header === undefined) return undefined
  const text = header.trim()
  if (text === "") return undefined
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, max)
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.min(Math.max(0, date - now), max)
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
    // ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1 }
    // ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2 }
    let rejected = 0
    let message = ""
    for (const f of readFields(body)) {
      if (f.field === 1 && f.bytes !== undefined) {
        for (const g of readFields(f.bytes)) {
          if (g.field === 1 && g.varint !== undefined) rejected = Number(g.varint)
          if (g.field === 2 && g.bytes !== undefined) message = Buffer.from(g.bytes).toString("utf8")
        }
      }
    }
    return { rejected, message }
  } catch {
    return { rejected: 0, message: "" }
  }
}

/** A minimal protobuf field reader (varint and length-delimited fields; others skipped). @internal */
export const readFields = (buf: Uint8Array): Array<{ field: number; varint?: bigint; bytes?: Uint8Array }> => {
  const out: Array<{ field: number; varint?: bigint; bytes?: Uint8Array }> = []
  let pos = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (pos >= buf.length) throw new Error("truncated varint")
      const b = buf[pos++]!
      result |= BigInt(b & 127) << shift
      if (b < 128) return result
      shift += 7n
    }
  }
  while (pos < buf.length) {
    const key = Number(varint())
    const field = key >>> 3
    switch (key & 7) {
      case 0:
        out.push({ field, varint: varint() })
        break
      case 1:
        pos += 8
        break
      case 2: {
        const len = Number(varint())
        if (pos + len > buf.length) throw new Error("truncated field")
        out.push({ field, bytes: buf.subarray(pos, pos + len) })
        pos += len
        break
      }
      case 5:
        pos += 4
        break
      default:
        throw new Error("bad wire type")
    }
  }
  return out
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

const hexToBytes = (hex: string): Uint8Array => Buffer.from(hex, "hex")

const cut = (s: string, max: number): string => s.length <= max ? s : s.slice(0, max) + "…[truncated]"

/**
 * A value as attribute text: its safe JSON rendering, except that a rendering which is a JSON
 * string (a Date, a symbol, a function, a "[Throws: …]" marker) is unquoted, so backends show
 * `1970-01-01T00:00:00.000Z`, not `"1970-01-01T00:00:00.000Z"`.
 */
const safeEncode = (value: unknown): string => {
  try {
    const json = Encoder.encodeValue(value)
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

const isPlainObject = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

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
      if (stack.length >= limits.maxDepth || stack.includes(value)) return { stringValue: safeEncode(value) }
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
      return { stringValue: safeEncode(value) }
    }
    default:
      // symbol, function
      return { stringValue: safeEncode(value) }
  }
}

function guarded(get: () => unknown, limits: Limits, stack: Array<object>): AnyValue {
  let v: unknown
  try {
    v = get()
  } catch (e) {
    return { stringValue: `[getter threw: ${errorText(e)}]` }
  }
  const depth = stack.length
  try {
    return convert(v, limits, stack)
  } catch {
    stack.length = depth
    return { stringValue: safeEncode(v) }
  }
}

const errorText = (e: unknown): string => {
  try {
    return e instanceof Error ? e.message : String(e)
  } catch {
    return "unknown"
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
      v = `[getter threw: ${errorText(e)}]`
    }
    put(key, v)
  }
}

const causeText = (cause: Cause.Cause<unknown>): string => {
  try {
    return Cause.pretty(cause)
  } catch (e) {
    return `[cause could not be rendered: ${errorText(e)}]`
  }
}

const firstError = (cause: Cause.Cause<unknown>): { type: string; message: string } | undefined => {
  try {
    for (const reason of cause.reasons) {
      if (reason._tag === "Fail" || reason._tag === "Die") {
        const e: unknown = reason._tag === "Fail" ? reason.error : reason.defect
        if (e instanceof Error) return { type: e.name, message: e.message }
        if (typeof e === "object" && e !== null && "_tag" in e) {
          return { type: String((e as { _tag: unknown })._tag), message: safeEncode(e) }
        }
        return { type: typeof e, message: typeof e === "string" ? e : safeEncode(e) }
      }
    }
  } catch {
    // hostile error object
  }
  return undefined
}
