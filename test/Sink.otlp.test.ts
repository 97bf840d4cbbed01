/**
 * The OTLP sink against a real HTTP receiver on loopback. The receiver decodes JSON bodies with
 * JSON.parse and protobuf bodies with the official OTLP definitions: the protobufjs static code
 * that @opentelemetry/otlp-transformer generates from opentelemetry-proto.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Scope } from "effect"
import { OtlpSerialization } from "effect/observability"
import * as http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import * as Fapilog from "../src/Fapilog.ts"
import * as Logger from "../src/Logger.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"
import * as Otlp from "../src/internal/otlp.ts"
import * as Encoder from "../src/Encoder.ts"

// -----------------------------------------------------------------------------
// receiver
// -----------------------------------------------------------------------------

interface Received {
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  /** The body as sent; `body` is it gunzipped when `content-encoding: gzip`. */
  readonly raw: Buffer
  readonly body: Buffer
  readonly at: number
}

interface Reply {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string
}

/** The conversion limits `Sink.otlp` uses: the public encoder handed to the internal converter. */
const limits = Otlp.makeLimits(Encoder)

const receiver = (replies: Array<Reply> = []) =>
  Effect.acquireRelease(
    Effect.callback<{ url: string; port: number; received: Array<Received>; server: http.Server }>((resume) => {
      const received: Array<Received> = []
      const server = http.createServer((req, res) => {
        const parts: Array<Buffer> = []
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => {
          const raw = Buffer.concat(parts)
          const body = req.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(raw) : raw
          received.push({ path: req.url ?? "", headers: req.headers, raw, body, at: performance.now() })
          const reply = replies.shift() ?? { status: 200 }
          res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers })
          res.end(reply.body ?? "{}")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}/v1/logs`, port, received, server }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** A port on which nothing listens (bound, then released). */
const closedPort = Effect.callback<number>((resume) => {
  const server = http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

// -----------------------------------------------------------------------------
// the official OTLP protobuf definitions (protobufjs static code generated from
// opentelemetry-proto by @opentelemetry/otlp-transformer; independent of src/)
// -----------------------------------------------------------------------------

/** The decoded request as `toObject({ longs: String, defaults: true })` gives it, bytes as hex. */
type AnyValue =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  | { readonly intValue: string }
  | { readonly doubleValue: number }
  | { readonly arrayValue: { readonly values: ReadonlyArray<AnyValue> } }
  | { readonly kvlistValue: { readonly values: ReadonlyArray<KeyValue> } }
  | Record<string, never>

interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

interface LogRecord {
  readonly timeUnixNano: string
  readonly observedTimeUnixNano: string
  readonly severityNumber: number
  readonly severityText: string
  readonly body: AnyValue
  readonly attributes: ReadonlyArray<KeyValue>
  readonly droppedAttributesCount: number
  readonly flags: number
  readonly traceId: string
  readonly spanId: string
}

interface ScopeLogs {
  readonly scope: {
    readonly name: string
    readonly version: string
    readonly attributes: ReadonlyArray<KeyValue>
    readonly droppedAttributesCount: number
  }
  readonly logRecords: ReadonlyArray<LogRecord>
  readonly schemaUrl: string
}

interface ExportLogsServiceRequest {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<KeyValue>; readonly droppedAttributesCount: number }
    readonly scopeLogs: ReadonlyArray<ScopeLogs>
    readonly schemaUrl: string
  }>
}

/** The part of a protobufjs static message class the test uses (the generated root.d.ts has no types). */
interface ProtobufType {
  decode(bytes: Uint8Array): object
  encode(message: object): { finish(): Uint8Array }
  verify(message: object): string | null
  toObject(message: object, options: { readonly longs: StringConstructor; readonly defaults: boolean }): object
}

const officialLogsService = createRequire(import.meta.url)(
  "@opentelemetry/otlp-transformer/build/src/generated/root.js"
).opentelemetry.proto.collector.logs.v1

const OfficialExportLogsServiceRequest: ProtobufType = officialLogsService.ExportLogsServiceRequest
const OfficialExportLogsServiceResponse: ProtobufType = officialLogsService.ExportLogsServiceResponse

const bytesToHex = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex")
  if (Array.isArray(value)) return value.map(bytesToHex)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bytesToHex(v)]))
  }
  return value
}

/**
 * Decodes with the official `ExportLogsServiceRequest` (throws on malformed bytes), checks it
 * verifies, and checks that re-encoding gives as many bytes: the official decoder silently skips
 * unknown fields and keeps only the last of a repeated scalar, so an equal length proves there
 * were none. Every field comes back, defaults included, so a `deepStrictEqual` checks them all.
 */
const decodeRequest = (bytes: Uint8Array): ExportLogsServiceRequest => {
  const message = OfficialExportLogsServiceRequest.decode(bytes)
  assert.isNull(OfficialExportLogsServiceRequest.verify(message))
  assert.strictEqual(OfficialExportLogsServiceRequest.encode(message).finish().length, bytes.length)
  return bytesToHex(
    OfficialExportLogsServiceRequest.toObject(message, { longs: String, defaults: true })
  ) as ExportLogsServiceRequest
}

/** Request bodies as the export loop serializes them (`Otlp.serializer`, resolved once per sink). */
const encodeProtobuf = (data: Otlp.LogsData): Uint8Array => Effect.runSync(Otlp.serializer("protobuf"))(data).bytes
const encodeJson = (data: Otlp.LogsData): string =>
  Buffer.from(Effect.runSync(Otlp.serializer("json"))(data).bytes).toString("utf8")

// expected values, built by hand
const NONE: AnyValue = {}
const str = (stringValue: string): AnyValue => ({ stringValue })
const int = (n: number | bigint | string): AnyValue => ({ intValue: String(n) })
const dbl = (doubleValue: number): AnyValue => ({ doubleValue })
const bool = (boolValue: boolean): AnyValue => ({ boolValue })
const arr = (...values: Array<AnyValue>): AnyValue => ({ arrayValue: { values } })
const kvs = (entries: Record<string, AnyValue>): Array<KeyValue> =>
  Object.entries(entries).map(([key, value]) => ({ key, value }))
const kvl = (entries: Record<string, AnyValue>): AnyValue => ({ kvlistValue: { values: kvs(entries) } })

const record = (r: {
  readonly time: string
  readonly observed: string
  readonly severity: readonly [number, string]
  readonly body: AnyValue
  readonly attributes?: Array<KeyValue>
  readonly dropped?: number
  readonly traceId?: string
  readonly spanId?: string
}): LogRecord => ({
  timeUnixNano: r.time,
  observedTimeUnixNano: r.observed,
  severityNumber: r.severity[0],
  severityText: r.severity[1],
  body: r.body,
  attributes: r.attributes ?? [],
  droppedAttributesCount: r.dropped ?? 0,
  flags: 0, // LogEvent carries no trace flags, so none are sent
  traceId: r.traceId ?? "",
  spanId: r.spanId ?? ""
})

const scope = (name: string, logRecords: Array<LogRecord>): ScopeLogs => ({
  scope: { name, version: "", attributes: [], droppedAttributesCount: 0 },
  logRecords,
  schemaUrl: ""
})

// -----------------------------------------------------------------------------
// events
// -----------------------------------------------------------------------------

const TRACE = "0af7651916cd43dd8448eb211c80319c"
const SPAN = "b7ad6b7169203331"

const events = (): Array<LogEvent.LogEvent> => [
  LogEvent.make({
    timestamp: 1_700_000_000_123,
    level: "Info",
    message: "order placed",
    logger: "shop",
    fields: { n: 42, f: 1.5, ok: true, big: 12n, nested: { a: [1, "x", null] }, when: new Date(0) },
    annotations: { region: "eu", n: 1 },
    traceId: TRACE,
    spanId: SPAN,
    correlationId: "req-1"
  }),
  LogEvent.make({ timestamp: 1_700_000_000_124, level: "Error", message: "failed", logger: "db" }),
  LogEvent.make({ timestamp: 1_700_000_000_125, level: "Trace", message: "t", logger: "shop" }),
  LogEvent.make({ timestamp: 1_700_000_000_126, level: "Fatal", message: "f", logger: "shop" })
]

const fast = { retryBase: "10 millis", retryMax: "50 millis" } as const

/** Values at every edge of the conversion: hostile objects, limits, non-finite and huge numbers. */
const edgeEvent = (): LogEvent.LogEvent => {
  const cyclic: Record<string, unknown> = { a: 1 }
  cyclic.self = cyclic
  const getter = Object.defineProperty({}, "boom", {
    enumerable: true,
    get() {
      throw new Error("nope")
    }
  })
  const proxy = new Proxy({}, {
    ownKeys() {
      throw new Error("trap")
    }
  })
  const err = new Error("bad")
  err.stack = "Error: bad\n    at here"
  return LogEvent.make({
    timestamp: 1_700_000_000_127.25,
    level: "Debug",
    message: "h\u00e9llo\u0000\n\u65e5\u672c\ud800",
    logger: "edge",
    annotations: { region: "eu" },
    fields: {
      cyclic,
      getter,
      proxy,
      sym: Symbol("s"),
      fn: function named() {},
      nan: NaN,
      inf: -Infinity,
      huge: 2n ** 70n,
      min: -(2n ** 63n),
      max: Number.MAX_SAFE_INTEGER,
      neg: -5,
      float: 2 ** 60,
      deep: { a: { b: { c: { d: { e: { f: 1 } } } } } },
      err,
      map: new Map([["k", 1]]),
      text: "a\u0000b\n\u2028\ud800",
      long: "x".repeat(20_000),
      list: Array.from({ length: 1001 }, (_, i) => i % 2 === 0),
      wide: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, i])),
      u: undefined,
      nul: null
    },
    traceId: "not-a-trace-id",
    spanId: "0000000000000000"
  })
}

const failure = Cause.fail(new Error("boom"))

/** An error with a log span, a cause and upper-case ids. */
const failedEvent = (): LogEvent.LogEvent =>
  LogEvent.make({
    timestamp: 1_700_000_000_200,
    level: "Error",
    message: "query failed",
    logger: "db",
    spans: [["query", 1_700_000_000_188]],
    cause: failure,
    traceId: TRACE.toUpperCase(),
    spanId: SPAN.toUpperCase()
  })

/** More attributes than the 128 an OTLP record keeps: the rest are counted as dropped. */
const crowdedEvent = (): LogEvent.LogEvent =>
  LogEvent.make({
    timestamp: 1_700_000_000_300,
    level: "Warn",
    message: "crowded",
    logger: "db",
    fields: Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`f${i}`, i])),
    correlationId: "req-2"
  })

/** The whole request {@link events} + edge + failed + crowded should decode to. */
const expectedRequest = (observed: string): ExportLogsServiceRequest => ({
  resourceLogs: [{
    resource: {
      attributes: kvs({
        "service.name": str("checkout"),
        "deployment.environment": str("test"),
        "host.cpus": int(4),
        build: kvl({ id: str("b-7"), ok: bool(true) }),
        "telemetry.sdk.name": str("effect-fapilog"),
        "telemetry.sdk.language": str("nodejs")
      }),
      droppedAttributesCount: 0
    },
    scopeLogs: [
      scope("shop", [
        record({
          time: "1700000000123000000",
          observed,
          severity: [9, "INFO"],
          body: str("order placed"),
          attributes: kvs({
            region: str("eu"),
            n: int(42), // the field wins over the annotation, in the annotation's place
            f: dbl(1.5),
            ok: bool(true),
            big: int(12),
            nested: kvl({ a: arr(int(1), str("x"), NONE) }),
            when: str("1970-01-01T00:00:00.000Z"),
            correlation_id: str("req-1")
          }),
          traceId: TRACE,
          spanId: SPAN
        }),
        record({ time: "1700000000125000000", observed, severity: [1, "TRACE"], body: str("t") }),
        record({ time: "1700000000126000000", observed, severity: [21, "FATAL"], body: str("f") })
      ]),
      scope("db", [
        record({ time: "1700000000124000000", observed, severity: [17, "ERROR"], body: str("failed") }),
        record({
          time: "1700000000200000000",
          observed,
          severity: [17, "ERROR"],
          body: str("query failed"),
          attributes: kvs({
            "log.spans": kvl({ query: int(12) }),
            "exception.stacktrace": str(Cause.pretty(failure)),
            "exception.type": str("Error"),
            "exception.message": str("boom")
          }),
          traceId: TRACE,
          spanId: SPAN
        }),
        record({
          time: "1700000000300000000",
          observed,
          severity: [13, "WARN"],
          body: str("crowded"),
          attributes: Array.from({ length: 128 }, (_, i) => ({ key: `f${i}`, value: int(i) })),
          dropped: 3 // f128, f129 and correlation_id
        })
      ]),
      scope("edge", [
        record({
          time: "1700000000127250000",
          observed,
          severity: [5, "DEBUG"],
          // a lone surrogate cannot be UTF-8: it arrives as U+FFFD
          body: str("h\u00e9llo\u0000\n\u65e5\u672c\ufffd"),
          attributes: kvs({
            region: str("eu"),
            cyclic: kvl({ a: int(1), self: str("{\"a\":1,\"self\":\"[Circular]\"}") }),
            getter: kvl({ boom: str("[getter threw: nope]") }),
            proxy: str("[Throws: trap]"),
            sym: str("Symbol(s)"),
            fn: str("[Function named]"),
            nan: str("NaN"),
            inf: str("-Infinity"),
            huge: str("1180591620717411303424"),
            min: int("-9223372036854775808"),
            max: int("9007199254740991"),
            neg: int(-5),
            float: dbl(2 ** 60),
            deep: kvl({ a: kvl({ b: kvl({ c: kvl({ d: kvl({ e: str("{\"f\":1}") }) }) }) }) }),
            err: str(JSON.stringify({ name: "Error", message: "bad", stack: "Error: bad\n    at here" })),
            map: str("[[\"k\",1]]"),
            text: str("a\u0000b\n\u2028\ufffd"),
            long: str("x".repeat(16_384) + "\u2026[truncated]"),
            list: arr(...Array.from({ length: 1000 }, (_, i) => bool(i % 2 === 0)), str("[1 more items]")),
            wide: { kvlistValue: { values: [...Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: int(i) })), { key: "[truncated]", value: int(1) }] } },
            u: NONE,
            nul: NONE,
            trace_id: str("not-a-trace-id"),
            span_id: str("0000000000000000")
          })
        })
      ])
    ],
    schemaUrl: ""
  }]
})


// -----------------------------------------------------------------------------
// tests
// -----------------------------------------------------------------------------

describe("Sink.otlp", () => {
  it.live("JSON: every field of the OTel log data model round-trips", () =>
    Effect.gen(function*() {
      const r = yield* receiver()
      const writer = yield* Sink.otlp({
        url: r.url,
        encoding: "json",
        serviceName: "checkout",
        resource: { "deployment.environment": "test" },
        headers: { authorization: "Bearer t0k" }
      }).open
      yield* writer.write(Sink.makeBatch(events()))
      yield* writer.flush!
      assert.strictEqual(r.received.length, 1)
      const req = r.received[0]!
      assert.strictEqual(req.path, "/v1/logs")
      assert.strictEqual(req.headers["content-type"], "application/json")
      assert.strictEqual(req.headers.authorization, "Bearer t0k")
      const data = JSON.parse(req.body.toString("utf8"))
      const rl = data.resourceLogs[0]
      const resource = Object.fromEntries(rl.resource.attributes.map((kv: any) => [kv.key, kv.value]))
      assert.deepStrictEqual(resource["service.name"], { stringValue: "checkout" })
      assert.deepStrictEqual(resource["deployment.environment"], { stringValue: "test" })
      assert.deepStrictEqual(rl.scopeLogs.map((s: any) => s.scope.name), ["shop", "db"])
      const shop = rl.scopeLogs[0].logRecords
      assert.deepStrictEqual(shop.map((x: any) => x.severityNumber), [9, 1, 21])
      assert.deepStrictEqual(shop.map((x: any) => x.severityText), ["INFO", "TRACE", "FATAL"])
      assert.strictEqual(rl.scopeLogs[1].logRecords[0].severityNumber, 17)
      const rec = shop[0]
      assert.strictEqual(rec.timeUnixNano, "1700000000123000000")
      assert.match(rec.observedTimeUnixNano, /^\d{19}$/)
      assert.deepStrictEqual(rec.body, { stringValue: "order placed" })
      assert.strictEqual(rec.traceId, TRACE)
      assert.strictEqual(rec.spanId, SPAN)
      const attrs = Object.fromEntries(rec.attributes.map((kv: any) => [kv.key, kv.value]))
      assert.deepStrictEqual(attrs.n, { intValue: "42" }) // the field wins over the annotation
      assert.deepStrictEqual(attrs.f, { doubleValue: 1.5 })
      assert.deepStrictEqual(attrs.ok, { boolValue: true })
      assert.deepStrictEqual(attrs.big, { intValue: "12" })
      assert.deepStrictEqual(attrs.region, { stringValue: "eu" })
      assert.deepStrictEqual(attrs.correlation_id, { stringValue: "req-1" })
      assert.deepStrictEqual(attrs.when, { stringValue: "1970-01-01T00:00:00.000Z" })
      assert.deepStrictEqual(attrs.nested, {
        kvlistValue: {
          values: [{ key: "a", value: { arrayValue: { values: [{ intValue: "1" }, { stringValue: "x" }, {}] } } }]
        }
      })
      assert.strictEqual(writer.takeLost!(), 0)
    }).pipe(Effect.scoped))

  for (const gzip of [false, true]) {
    it.live(`protobuf${gzip ? " (gzip)" : ""}: the official decoder finds every field of every record`, () =>
      Effect.gen(function*() {
        const r = yield* receiver()
        const writer = yield* Sink.otlp({
          url: r.url,
          serviceName: "checkout",
          resource: { "deployment.environment": "test", "host.cpus": 4, build: { id: "b-7", ok: true } },
          gzip
        }).open
        const before = BigInt(Date.now()) * 1_000_000n
        yield* writer.write(Sink.makeBatch([...events(), edgeEvent(), failedEvent(), crowdedEvent()]))
        yield* writer.flush!
        const after = BigInt(Date.now()) * 1_000_000n
        assert.strictEqual(writer.takeLost!(), 0)
        assert.strictEqual(r.received.length, 1)
        const req = r.received[0]!
        assert.strictEqual(req.path, "/v1/logs")
        assert.strictEqual(req.headers["content-type"], "application/x-protobuf")
        if (gzip) {
          assert.strictEqual(req.headers["content-encoding"], "gzip")
          assert.deepStrictEqual([...req.raw.subarray(0, 2)], [0x1f, 0x8b])
          assert.isBelow(req.raw.length, req.body.length)
        } else {
          assert.isUndefined(req.headers["content-encoding"])
          assert.isTrue(req.raw.equals(req.body))
        }
        const decoded = decodeRequest(req.body)
        // the observed time is the export's clock reading, shared by the batch, within the test's
        // wall-clock window (a second of slack for the clock's own origin)
        const observed = decoded.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.observedTimeUnixNano ?? "0"
        assert.match(observed, /^\d{19}$/)
        assert.isTrue(BigInt(observed) >= before - 1_000_000_000n, `observed ${observed} before ${before}`)
        assert.isTrue(BigInt(observed) <= after + 1_000_000_000n, `observed ${observed} after ${after}`)
        assert.deepStrictEqual(decoded, expectedRequest(observed))
      }).pipe(Effect.scoped))
  }

  it("protobuf: long strings, negative ints and large records keep their lengths (multi-byte varints)", () => {
    const long = "\u00e9".repeat(70_000)
    const event = LogEvent.make({
      timestamp: 1,
      level: "Warn",
      message: long,
      logger: "x",
      fields: { neg: -5, list: Array.from({ length: 300 }, (_, i) => i) }
    })
    const bytes = encodeProtobuf(Otlp.toLogsData([event], Otlp.resourceAttributes("s", undefined, limits), "7", limits))
    assert.isAbove(bytes.length, 16_384 * 2) // length prefixes of 3 bytes
    assert.deepStrictEqual(decodeRequest(bytes).resourceLogs[0]!.scopeLogs, [
      scope("x", [record({
        time: "1000000",
        observed: "7",
        severity: [13, "WARN"],
        body: str("\u00e9".repeat(16_384) + "\u2026[truncated]"),
        attributes: kvs({ neg: int(-5), list: arr(...Array.from({ length: 300 }, (_, i) => int(i))) })
      })])
    ])
  })

  it("protobuf: the same bytes as Effect's OtlpSerialization.layerProtobuf", () => {
    const effect = Effect.runSync(
      Effect.service(OtlpSerialization.OtlpSerialization).pipe(Effect.provide(OtlpSerialization.layerProtobuf))
    )
    const resource = Otlp.resourceAttributes("checkout", { "host.cpus": 4, build: { id: "b-7", ok: true } }, limits)
    const all = [...events(), edgeEvent(), failedEvent(), crowdedEvent()]
    for (const batch of [[], all.slice(0, 1), all]) {
      const data = Otlp.toLogsData(batch, resource, "1700000000999000000", limits)
      const body = effect.logs(data)
      assert.strictEqual(body._tag, "Uint8Array")
      const theirs = body._tag === "Uint8Array" ? body.body : new Uint8Array(0)
      assert.isTrue(Buffer.from(encodeProtobuf(data)).equals(Buffer.from(theirs)))
    }
  })

  it("hostile values become strings, never throw", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const getter = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("nope")
      }
    })
    const proxy = new Proxy({}, {
      ownKeys() {
        throw new Error("trap")
      }
    })
    const event = LogEvent.make({
      timestamp: 0,
      level: "Info",
      message: "m",
      logger: "x",
      fields: { cyclic, getter, proxy, sym: Symbol("s"), fn: () => 1, nan: NaN, huge: 2n ** 70n }
    })
    const data = Otlp.toLogsData([event], [], "0", limits)
    const attrs = Object.fromEntries(data.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes.map((kv) => [kv.key, kv.value]))
    assert.deepStrictEqual((attrs.cyclic as any).kvlistValue.values[1], { key: "self", value: { stringValue: "{\"a\":1,\"self\":\"[Circular]\"}" } })
    assert.include(JSON.stringify(attrs.getter), "nope")
    assert.property(attrs.proxy, "stringValue")
    assert.deepStrictEqual(attrs.nan, { stringValue: "NaN" })
    assert.deepStrictEqual(attrs.huge, { stringValue: (2n ** 70n).toString() })
    // and both encodings carry the same tree (the official decoder reads the protobuf one)
    const json = JSON.parse(encodeJson(data))
    const decoded = decodeRequest(encodeProtobuf(data))
    assert.deepStrictEqual(decoded.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes, json.resourceLogs[0].scopeLogs[0].logRecords[0].attributes)
  })

  it.live("503 then 200: retried and delivered once", () =>
    Effect.gen(function*() {
      const r = yield* receiver([{ status: 503 }, { status: 503 }])
      const writer = yield* Sink.otlp({ url: r.url, ...fast }).open
      yield* writer.write(Sink.makeBatch(events()))
      yield* writer.flush!
      assert.strictEqual(r.received.length, 3)
      assert.isTrue(r.received[0]!.body.equals(r.received[2]!.body))
      assert.strictEqual(writer.takeLost!(), 0)
    }).pipe(Effect.scoped))

  it.live("429 with Retry-After: 1 waits about a second (not the 10 ms backoff)", () =>
    Effect.gen(function*() {
      const r = yield* receiver([{ status: 429, headers: { "retry-after": "1" } }])
      const writer = yield* Sink.otlp({ url: r.url, ...fast, retryMax: "5 seconds" }).open
      yield* writer.write(Sink.makeBatch(events()))
      yield* writer.flush!
      assert.strictEqual(r.received.length, 2)
      const gap = r.received[1]!.at - r.received[0]!.at
      assert.isAtLeast(gap, 950)
      assert.isBelow(gap, 2500)
      assert.strictEqual(writer.takeLost!(), 0)
    }).pipe(Effect.scoped))

  it.live("400 is not retried: counted as lost and reported by flush", () =>
    Effect.gen(function*() {
      const r = yield* receiver([{ status: 400, body: "bad payload" }])
      const writer = yield* Sink.otlp({ url: r.url, ...fast }).open
      yield* writer.write(Sink.makeBatch(events()))
      const error = yield* Effect.flip(writer.flush!)
      assert.include(error.message, "HTTP 400")
      assert.include(error.message, "bad payload")
      assert.strictEqual(r.received.length, 1)
      assert.strictEqual(writer.takeLost!(), 4)
    }).pipe(Effect.scoped))

  it.live("partialSuccess rejections are counted", () =>
    Effect.gen(function*() {
      const r = yield* receiver([{ status: 200, body: JSON.stringify({ partialSuccess: { rejectedLogRecords: "3", errorMessage: "too old" } }) }])
      const writer = yield* Sink.otlp({ url: r.url, encoding: "json" }).open
      yield* writer.write(Sink.makeBatch(events()))
      const error = yield* Effect.flip(writer.flush!)
      assert.include(error.message, "too old")
      assert.strictEqual(writer.takeLost!(), 3)
    }).pipe(Effect.scoped))

  it.live("partialSuccess rejections are counted from a protobuf answer too", () =>
    Effect.gen(function*() {
      const answer = OfficialExportLogsServiceResponse.encode({
        partialSuccess: { rejectedLogRecords: 2, errorMessage: "too big" }
      }).finish()
      // every byte of this answer is ASCII, so the receiver's text body carries it unchanged
      assert.isTrue(answer.every((b) => b < 128))
      const r = yield* receiver([{
        status: 200,
        headers: { "content-type": "application/x-protobuf" },
        body: Buffer.from(answer).toString("latin1")
      }])
      const writer = yield* Sink.otlp({ url: r.url }).open
      yield* writer.write(Sink.makeBatch(events()))
      const error = yield* Effect.flip(writer.flush!)
      assert.include(error.message, "collector rejected 2 log records: too big")
      assert.strictEqual(writer.takeLost!(), 2)
    }).pipe(Effect.scoped))

  it.live("collector down: counted as that sink's failures after the retries (not drops: another sink got them), the worker survives", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const sink = Sink.otlp({ url: `http://127.0.0.1:${port}/v1/logs`, maxRetries: 2, ...fast })
      const memory = Sink.memory()
      yield* Effect.gen(function*() {
        const log = yield* Logger.named("api")
        yield* log.info("one")
        yield* log.info("two")
        yield* log.flush
        const m = yield* log.metrics
        assert.strictEqual(m.sinkFailedEvents[sink.name], 2)
        assert.strictEqual(m.dropped["sink failure"], undefined)
        yield* log.info("three")
        yield* log.flush
        // every event the memory sink got (including the worker's WARN summary) failed on OTLP
        const written = yield* memory.events
        assert.deepStrictEqual(written.filter((e) => e.level === "Info").map((e) => e.message), ["one", "two", "three"])
        const after = yield* log.metrics
        assert.strictEqual(after.sinkFailedEvents[sink.name], written.length)
        assert.strictEqual(after.dropped["sink failure"], undefined)
      }).pipe(Effect.provide(Fapilog.layer({ sinks: [sink, memory] })))
    }))

  it.live("a full export queue drops the oldest and counts them", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const writer = yield* Sink.otlp({ url: `http://127.0.0.1:${port}/v1/logs`, maxRetries: 0, maxQueueSize: 2, maxBatchSize: 1 }).open
      yield* writer.write(Sink.makeBatch([...events(), ...events()]))
      yield* Effect.ignore(writer.flush!)
      assert.strictEqual(writer.takeLost!(), 8)
    }).pipe(Effect.scoped))

  it.effect("otlpConfig reads the standard OTEL_* variables", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        Effect.provideService(Effect.gen(function*() {
          return yield* Sink.otlpConfig
        }), ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
      assert.isUndefined(yield* read({}))
      const base = yield* read({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%20b,x-team = core ",
        OTEL_SERVICE_NAME: "checkout",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_COMPRESSION: "gzip"
      })
      assert.strictEqual(base?.url, "http://collector:4318/v1/logs")
      assert.deepStrictEqual(base?.headers, { "api-key": "a b", "x-team": "core" })
      assert.strictEqual(base?.serviceName, "checkout")
      assert.deepStrictEqual(base?.resource, { "deployment.environment": "prod" })
      assert.strictEqual(base?.encoding, "json")
      assert.strictEqual(base?.gzip, true)
      const logs = yield* read({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "https://logs.example/custom"
      })
      assert.strictEqual(logs?.url, "https://logs.example/custom")
      assert.strictEqual(logs?.encoding, "protobuf")
      const bad = yield* Effect.exit(read({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_EXPORTER_OTLP_HEADERS: "novalue" }))
      assert.isTrue(Exit.isFailure(bad))
      assert.include(JSON.stringify(bad), "OTEL_EXPORTER_OTLP_HEADERS")
    }))

  it("Retry-After: seconds and HTTP dates", () => {
    const now = Date.parse("2025-01-01T00:00:00Z")
    assert.strictEqual(Otlp.parseRetryAfter("3", now, 60_000), 3000)
    assert.strictEqual(Otlp.parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now, 60_000), 10_000)
    assert.strictEqual(Otlp.parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now, 5000), 5000)
    assert.strictEqual(Otlp.parseRetryAfter("soon", now, 60_000), undefined)
    assert.strictEqual(Otlp.parseRetryAfter(null, now, 60_000), undefined)
  })

  it.live("closing the sink reports on stderr how many records were not delivered", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const sink = Sink.otlp({ url: `http://127.0.0.1:${port}/v1/logs`, maxRetries: 0, shutdownTimeout: "5 seconds" })
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(sink.open, scope)
      // not flushed: the close waits for the failed export, then counts its records
      yield* writer.write(Sink.makeBatch(events()))
      const lines: Array<string> = []
      const write = process.stderr.write
      process.stderr.write = ((chunk: string) => {
        lines.push(String(chunk))
        return true
      }) as typeof process.stderr.write
      yield* Effect.ensuring(
        Scope.close(scope, Exit.void),
        Effect.sync(() => {
          process.stderr.write = write
        })
      )
      const report = lines.find((line) => line.includes(`sink ${sink.name} closed with`))
      assert.isDefined(report)
      assert.include(report, "closed with 4 log records not delivered")
    }).pipe(Effect.scoped))

  it.live("closing the sink waits for the queue (shutdown drains)", () =>
    Effect.gen(function*() {
      const r = yield* receiver([{ status: 503 }])
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.otlp({ url: r.url, ...fast }).open, scope)
      yield* writer.write(Sink.makeBatch(events()))
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(r.received.length, 2)
    }).pipe(Effect.scoped))
})
