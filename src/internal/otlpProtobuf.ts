/**
 * The OTLP protobuf wire format of the logs service, both ways: `encodeLogsData` writes an
 * `ExportLogsServiceRequest`, `decodePartialSuccess` reads the `ExportLogsServiceResponse`.
 *
 * `encodeLogsData` writes into one growable buffer the same bytes as Effect's
 * `OtlpSerialization.layerProtobuf` (the field numbers of opentelemetry-proto's `logs.proto`,
 * `resource.proto` and `common.proto`, in the same order, defaults omitted the same way) from the
 * same input; the suite compares the two.
 *
 * Why not Effect's: its writer builds a `Uint8Array` per field and concatenates them at every
 * nesting level, writes every varint through a `BigInt`, and makes a `TextEncoder` per string.
 * Measured with `node bench/otlp-encode.ts` (100,000 events in batches of 512, medians of 3 fresh
 * processes each, 2 shared cores): this writer 309,000 events/s, Effect's 32,500 (an earlier,
 * more loaded run: 233,000 against 24,000). Through `Sink.otlp` to a loopback receiver the sink
 * moves 98,000 events/s with this writer and 22,000 with Effect's, each batch of 512 then
 * blocking the event loop ~20 ms. Drop this writer for `OtlpSerialization.layerProtobuf` (the
 * JSON branch of `otlp.ts`'s `serializer` shows how) once that script shows Effect's within noise.
 *
 * `decodePartialSuccess` has no counterpart in Effect: its exporter never reads the response.
 *
 * Callers: `otlp.ts` (`serializer`, `rejectedRecords`). `encodeLogsData` never throws on values
 * of the `AnyValue` model; `decodePartialSuccess` throws on malformed bytes.
 *
 * @internal
 */
import type * as OtlpLogger from "effect/observability/OtlpLogger"
import type * as OtlpResource from "effect/observability/OtlpResource"

/** `OtlpLogger`'s log record type, which `effect/observability` does not export by name. */
type EffectLogRecord = NonNullable<OtlpLogger.LogsData["resourceLogs"][number]["scopeLogs"][number]["logRecords"]>[number]

/** The severity numbers of the OTel log data model (0–24). @internal */
export type SeverityNumber = NonNullable<EffectLogRecord["severityNumber"]>

/** One log record, as this writer and `OtlpSerialization` take it. @internal */
export interface LogRecord {
  readonly timeUnixNano: string
  readonly observedTimeUnixNano: string
  readonly severityNumber: SeverityNumber
  readonly severityText: string
  readonly body: OtlpResource.AnyValue
  readonly attributes: Array<OtlpResource.KeyValue>
  readonly droppedAttributesCount: number
  readonly traceId?: string
  readonly spanId?: string
}

/** @internal */
export interface ScopeLogs {
  readonly scope: { readonly name: string }
  readonly logRecords: Array<LogRecord>
}

/**
 * An `ExportLogsServiceRequest`, as this writer and `OtlpSerialization` take it (assignable to
 * `OtlpLogger.LogsData`).
 *
 * @internal
 */
export interface LogsData {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource: OtlpResource.Resource
    readonly scopeLogs: Array<ScopeLogs>
  }>
}

/** `ExportLogsServiceRequest` (same wire shape as `LogsData`) as protobuf bytes. @internal */
export const encodeLogsData = (data: LogsData): Uint8Array => {
  const w = new ProtoWriter()
  for (const rl of data.resourceLogs) {
    const a = w.begin(1)
    const r = w.begin(1)
    for (const kv of rl.resource.attributes) writeKeyValue(w, 1, kv)
    if (rl.resource.droppedAttributesCount > 0) w.uint(2, rl.resource.droppedAttributesCount)
    w.end(r)
    for (const sl of rl.scopeLogs) {
      const s = w.begin(2)
      const sc = w.begin(1)
      w.string(1, sl.scope.name)
      w.end(sc)
      for (const rec of sl.logRecords) {
        const m = w.begin(2)
        w.fixed64(1, BigInt(rec.timeUnixNano))
        w.uint(2, rec.severityNumber)
        if (rec.severityText !== "") w.string(3, rec.severityText)
        const b = w.begin(5)
        writeAnyValue(w, rec.body)
        w.end(b)
        for (const kv of rec.attributes) writeKeyValue(w, 6, kv)
        if (rec.droppedAttributesCount > 0) w.uint(7, rec.droppedAttributesCount)
        if (rec.traceId !== undefined && rec.traceId !== "") w.bytes(9, Buffer.from(rec.traceId, "hex"))
        if (rec.spanId !== undefined && rec.spanId !== "") w.bytes(10, Buffer.from(rec.spanId, "hex"))
        w.fixed64(11, BigInt(rec.observedTimeUnixNano))
        w.end(m)
      }
      w.end(s)
    }
    w.end(a)
  }
  return w.finish()
}

/**
 * The `partial_success` of an `ExportLogsServiceResponse`:
 * `ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1 }`,
 * `ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2 }`.
 * Throws on truncated or malformed bytes.
 *
 * @internal
 */
export const decodePartialSuccess = (body: Uint8Array): { readonly rejected: number; readonly message: string } => {
  let rejected = 0
  let message = ""
  for (const f of readFields(body)) {
    if (f.field !== 1 || f.bytes === undefined) continue
    for (const g of readFields(f.bytes)) {
      if (g.field === 1 && g.varint !== undefined) rejected = Number(BigInt.asIntN(64, g.varint))
      if (g.field === 2 && g.bytes !== undefined) message = Buffer.from(g.bytes).toString("utf8")
    }
  }
  return { rejected, message }
}

const writeKeyValue = (w: ProtoWriter, field: number, kv: OtlpResource.KeyValue): void => {
  const m = w.begin(field)
  w.string(1, kv.key)
  const v = w.begin(2)
  writeAnyValue(w, kv.value)
  w.end(v)
  w.end(m)
}

/** The body of an `AnyValue` message: the first set field, in Effect's order (its model allows `null`). */
const writeAnyValue = (w: ProtoWriter, value: OtlpResource.AnyValue): void => {
  if (value.stringValue != null) w.string(1, value.stringValue)
  else if (value.boolValue != null) w.uint(2, value.boolValue ? 1 : 0)
  else if (value.intValue != null) w.int64(3, BigInt(value.intValue))
  else if (value.doubleValue != null) w.double(4, value.doubleValue)
  else if (value.arrayValue !== undefined) {
    const m = w.begin(5)
    for (const item of value.arrayValue.values) {
      const i = w.begin(1)
      writeAnyValue(w, item)
      w.end(i)
    }
    w.end(m)
  } else if (value.kvlistValue !== undefined) {
    const m = w.begin(6)
    for (const kv of value.kvlistValue.values) writeKeyValue(w, 1, kv)
    w.end(m)
  } else if (value.bytesValue !== undefined) w.bytes(7, value.bytesValue)
}

/**
 * A growable protobuf writer. `begin` reserves one byte for a length prefix; `end` writes the
 * length, shifting the body when the varint needs more than one byte.
 */
class ProtoWriter {
  private buf = Buffer.allocUnsafe(4096)
  private pos = 0

  begin(field: number): number {
    this.tag(field, 2)
    this.ensure(1)
    return this.pos++
  }

  end(mark: number): void {
    const len = this.pos - mark - 1
    let size = 1
    for (let n = len; n > 127; n = Math.floor(n / 128)) size++
    if (size > 1) {
      this.ensure(size - 1)
      this.buf.copyWithin(mark + size, mark + 1, this.pos)
      this.pos += size - 1
    }
    const end = this.pos
    this.pos = mark
    this.varint(len)
    this.pos = end
  }

  string(field: number, s: string): void {
    this.tag(field, 2)
    const len = Buffer.byteLength(s, "utf8")
    this.varint(len)
    this.ensure(len)
    this.pos += this.buf.write(s, this.pos, len, "utf8")
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
    this.pos = this.buf.writeBigUInt64LE(BigInt.asUintN(64, n), this.pos)
  }

  double(field: number, n: number): void {
    this.tag(field, 1)
    this.ensure(8)
    this.pos = this.buf.writeDoubleLE(n, this.pos)
  }

  finish(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.pos))
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
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }
}

/** The varint and length-delimited fields of a message, in order; fixed-width fields skipped. */
const readFields = (buf: Uint8Array): Array<{ field: number; varint?: bigint; bytes?: Uint8Array }> => {
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
