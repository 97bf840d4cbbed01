/**
 * The OTLP sink against a real HTTP receiver on loopback. The receiver decodes JSON bodies with
 * JSON.parse and protobuf bodies with the small decoder below, written from the field numbers of
 * opentelemetry-proto (logs/v1/logs.proto, common/v1/common.proto, resource/v1/resource.proto).
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import * as Fapilog from "../src/Fapilog.ts"
import * as Logger from "../src/Logger.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"
import * as Otlp from "../src/internal/otlp.ts"

// -----------------------------------------------------------------------------
// receiver
// -----------------------------------------------------------------------------

interface Received {
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
  readonly at: number
}

interface Reply {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string
}

const receiver = (replies: Array<Reply> = []) =>
  Effect.acquireRelease(
    Effect.callback<{ url: string; port: number; received: Array<Received>; server: http.Server }>((resume) => {
      const received: Array<Received> = []
      const server = http.createServer((req, res) => {
        const parts: Array<Buffer> = []
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => {
          let body = Buffer.concat(parts)
          if (req.headers["content-encoding"] === "gzip") body = zlib.gunzipSync(body)
          received.push({ path: req.url ?? "", headers: req.headers, body, at: performance.now() })
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
// a protobuf decoder for the test (independent of src/)
// -----------------------------------------------------------------------------

type Field = { readonly n: number; readonly wire: number; readonly v: bigint | Buffer }

const fields = (buf: Buffer): Array<Field> => {
  const out: Array<Field> = []
  let pos = 0
  const varint = () => {
    let r = 0n
    let s = 0n
    for (;;) {
      const b = buf[pos++]
      if (b === undefined) throw new Error("truncated")
      r |= BigInt(b & 0x7f) << s
      if (b < 0x80) return r
      s += 7n
    }
  }
  while (pos < buf.length) {
    const key = Number(varint())
    const n = key >> 3
    const wire = key & 7
    if (wire === 0) out.push({ n, wire, v: varint() })
    else if (wire === 1) {
      out.push({ n, wire, v: buf.subarray(pos, pos + 8) })
      pos += 8
    } else if (wire === 2) {
      const len = Number(varint())
      out.push({ n, wire, v: buf.subarray(pos, pos + len) })
      pos += len
    } else if (wire === 5) {
      out.push({ n, wire, v: buf.subarray(pos, pos + 4) })
      pos += 4
    } else throw new Error(`wire type ${wire}`)
  }
  assert.strictEqual(pos, buf.length)
  return out
}
const all = (buf: Buffer, n: number) => fields(buf).filter((f) => f.n === n).map((f) => f.v as Buffer)
const one = (buf: Buffer, n: number) => fields(buf).find((f) => f.n === n)?.v

const decodeAnyValue = (buf: Buffer): unknown => {
  const f = fields(buf)[0]
  if (f === undefined) return null
  const v = f.v
  switch (f.n) {
    case 1:
      return { string: (v as Buffer).toString("utf8") }
    case 2:
      return { bool: v === 1n }
    case 3:
      return { int: BigInt.asIntN(64, v as bigint).toString() }
    case 4:
      return { double: (v as Buffer).readDoubleLE(0) }
    case 5:
      return { array: all(v as Buffer, 1).map(decodeAnyValue) }
    case 6:
      return { kvlist: Object.fromEntries(all(v as Buffer, 1).map(decodeKeyValue)) }
    default:
      return { unknown: f.n }
  }
}
const decodeKeyValue = (buf: Buffer): [string, unknown] => [
  (one(buf, 1) as Buffer).toString("utf8"),
  decodeAnyValue((one(buf, 2) as Buffer | undefined) ?? Buffer.alloc(0))
]

const decodeRequest = (buf: Buffer) =>
  all(buf, 1).map((rl) => ({
    resource: Object.fromEntries(all(one(rl, 1) as Buffer, 1).map(decodeKeyValue)),
    scopes: all(rl, 2).map((sl) => ({
      name: (one(one(sl, 1) as Buffer, 1) as Buffer).toString("utf8"),
      records: all(sl, 2).map((r) => ({
        time: (one(r, 1) as Buffer).readBigUInt64LE(0).toString(),
        observed: (one(r, 11) as Buffer).readBigUInt64LE(0).toString(),
        severityNumber: Number(one(r, 2) ?? 0n),
        severityText: (one(r, 3) as Buffer).toString("utf8"),
        body: decodeAnyValue(one(r, 5) as Buffer),
        attributes: Object.fromEntries(all(r, 6).map(decodeKeyValue)),
        traceId: (one(r, 9) as Buffer | undefined)?.toString("hex"),
        spanId: (one(r, 10) as Buffer | undefined)?.toString("hex")
      }))
    }))
  }))

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
      assert.deepStrictEqual(attrs.when, { stringValue: "\"1970-01-01T00:00:00.000Z\"" })
      assert.deepStrictEqual(attrs.nested, {
        kvlistValue: {
          values: [{ key: "a", value: { arrayValue: { values: [{ intValue: "1" }, { stringValue: "x" }, {}] } } }]
        }
      })
      assert.strictEqual(writer.takeLost!(), 0)
    }).pipe(Effect.scoped))

  it.live("protobuf (gzip): content type, encoding and every key field decode", () =>
    Effect.gen(function*() {
      const r = yield* receiver()
      const writer = yield* Sink.otlp({ url: r.url, serviceName: "checkout", gzip: true }).open
      yield* writer.write(Sink.makeBatch(events()))
      yield* writer.flush!
      assert.strictEqual(r.received.length, 1)
      const req = r.received[0]!
      assert.strictEqual(req.headers["content-type"], "application/x-protobuf")
      assert.strictEqual(req.headers["content-encoding"], "gzip")
      assert.isAbove(req.body.length, 100)
      const [rl] = decodeRequest(req.body)
      assert.deepStrictEqual(rl!.resource["service.name"], { string: "checkout" })
      assert.deepStrictEqual(rl!.resource["telemetry.sdk.language"], { string: "nodejs" })
      assert.deepStrictEqual(rl!.scopes.map((s) => s.name), ["shop", "db"])
      const rec = rl!.scopes[0]!.records[0]!
      assert.strictEqual(rec.time, "1700000000123000000")
      assert.isAbove(Number(BigInt(rec.observed) / 1_000_000n), 0)
      assert.strictEqual(rec.severityNumber, 9)
      assert.strictEqual(rec.severityText, "INFO")
      assert.deepStrictEqual(rec.body, { string: "order placed" })
      assert.strictEqual(rec.traceId, TRACE)
      assert.strictEqual(rec.spanId, SPAN)
      assert.deepStrictEqual(rec.attributes.n, { int: "42" })
      assert.deepStrictEqual(rec.attributes.f, { double: 1.5 })
      assert.deepStrictEqual(rec.attributes.ok, { bool: true })
      assert.deepStrictEqual(rec.attributes.nested, { kvlist: { a: { array: [{ int: "1" }, { string: "x" }, null] } } })
      assert.deepStrictEqual(rl!.scopes.flatMap((s) => s.records.map((x) => x.severityNumber)), [9, 1, 21, 17])
    }).pipe(Effect.scoped))

  it("protobuf: long strings, negative ints and large records keep their lengths (multi-byte varints)", () => {
    const long = "é".repeat(70_000)
    const event = LogEvent.make({
      timestamp: 1,
      level: "Warn",
      message: long,
      logger: "x",
      fields: { neg: -5, list: Array.from({ length: 300 }, (_, i) => i) }
    })
    const bytes = Buffer.from(Otlp.encodeProtobuf(Otlp.toLogsData([event], Otlp.resourceAttributes("s", undefined), "7")))
    const rec = decodeRequest(bytes)[0]!.scopes[0]!.records[0]!
    assert.strictEqual((rec.body as { string: string }).string.length, 16_384 + "…[truncated]".length)
    assert.deepStrictEqual(rec.attributes.neg, { int: "-5" })
    assert.strictEqual((rec.attributes.list as { array: Array<unknown> }).array.length, 300)
    assert.strictEqual(rec.observed, "7")
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
    const data = Otlp.toLogsData([event], [], "0")
    const attrs = Object.fromEntries(data.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes.map((kv) => [kv.key, kv.value]))
    assert.deepStrictEqual((attrs.cyclic as any).kvlistValue.values[1], { key: "self", value: { stringValue: "{\"a\":1,\"self\":\"[Circular]\"}" } })
    assert.include(JSON.stringify(attrs.getter), "nope")
    assert.property(attrs.proxy, "stringValue")
    assert.deepStrictEqual(attrs.nan, { stringValue: "NaN" })
    assert.deepStrictEqual(attrs.huge, { stringValue: (2n ** 70n).toString() })
    // and both encodings accept the tree
    assert.isAbove(Otlp.encodeProtobuf(data).length, 0)
    assert.doesNotThrow(() => JSON.parse(Otlp.encodeJson(data)))
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

  it.live("collector down: counted as sink failures after the retries, the worker survives", () =>
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
        assert.strictEqual(m.dropped["sink failure"], 2)
        yield* log.info("three")
        yield* log.flush
        // every event the memory sink got (including the worker's WARN drop summary) failed on OTLP
        const written = yield* memory.events
        assert.deepStrictEqual(written.filter((e) => e.level === "Info").map((e) => e.message), ["one", "two", "three"])
        assert.strictEqual((yield* log.metrics).dropped["sink failure"], written.length)
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
