import { assert, describe, expect, it } from "@effect/vitest"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Deferred, Effect, Layer, Stream } from "effect"
import * as References from "effect/References"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import fc from "fast-check"
import { createServer, request as httpRequest } from "node:http"
import * as Fapilog from "../src/Fapilog.ts"
import * as Http from "../src/Http.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Logger from "../src/Logger.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Sampler from "../src/Sampler.ts"
import * as Sink from "../src/Sink.ts"

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

type App = Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, HttpServerRequest.HttpServerRequest>

/**
 * Serves `app` behind `Http.middleware(options)` on a real Node server on 127.0.0.1 (port 0),
 * with `Fapilog.layer({ sinks: [memory], pipeline })`. Scoped: closing the scope stops both.
 */
const serve = (app: App, options: Http.Options = {}, pipeline?: Pipeline.Pipeline) =>
  Effect.gen(function*() {
    const memory = Sink.memory()
    const context = yield* Layer.build(
      HttpServer.serve(app, Http.middleware(options)).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
        Layer.provideMerge(Fapilog.layer(pipeline === undefined ? { sinks: [memory] } : { sinks: [memory], pipeline }))
      )
    )
    return harness(context, memory)
  })

const harness = (
  context: Context.Context<HttpServer.HttpServer | Logger.Loggers>,
  memory: Sink.MemorySink
) => {
  const base = HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
  const loggers = Context.get(context, Logger.Loggers)
  const request = (path: string, init?: RequestInit) =>
    Effect.promise(async () => {
      const response = await fetch(base + path, init)
      const body = await response.text()
      return { response, body, headers: response.headers, status: response.status }
    })
  const flush = Effect.forEach(loggers.workers(), (w) => w.flush, { discard: true })
  /** Every ordinary event written so far (after flushing every worker). */
  const events = Effect.andThen(flush, Effect.map(memory.events, (es) => es.filter((e) => e.control === undefined)))
  const requestLines = Effect.map(events, (es) => es.filter((e) => e.logger === "http"))
  const metrics = Effect.andThen(flush, loggers.root.metrics)
  return { base, request, flush, events, requestLines, metrics, memory, loggers }
}

/** A small app: `/fail` fails, `/die` dies, `/error-log` logs an error, `/500` returns 500. */
const app: App = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const path = request.url.split("?")[0]!
  yield* Effect.logInfo("handler start", { path })
  if (path === "/fail") return yield* Effect.fail(new Error("boom"))
  if (path === "/die") return yield* Effect.die(new Error("defect"))
  if (path === "/error-log") yield* Effect.logError("something went wrong")
  yield* Effect.logInfo("handler end")
  if (path === "/500") return HttpServerResponse.text("unavailable", { status: 500 })
  if (path === "/created") return HttpServerResponse.text("created!", { status: 201 })
  if (path === "/slow") {
    yield* Effect.sleep("25 millis")
  }
  return HttpServerResponse.text("ok")
})

const ev = (input: Partial<LogEvent.Input>): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "app", ...input })

const runStream = (stream: Stream.Stream<LogEvent.LogEvent>) =>
  Effect.gen(function*() {
    const { counters, snapshot } = Pipeline.makeCounters()
    const out = yield* Stream.runCollect(stream).pipe(Effect.provideService(Pipeline.Counters, counters))
    return { out: Array.from(out), dropped: snapshot().dropped }
  })

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

// -----------------------------------------------------------------------------
// pure helpers
// -----------------------------------------------------------------------------

describe("correlationIdFromHeaders", () => {
  it("takes the first usable header in order; traceparent gives its trace id", () => {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert.strictEqual(Http.correlationIdFromHeaders({ "x-request-id": "a", "x-correlation-id": "b", traceparent: tp }), "a")
    assert.strictEqual(Http.correlationIdFromHeaders({ "x-correlation-id": "b", traceparent: tp }), "b")
    assert.strictEqual(Http.correlationIdFromHeaders({ traceparent: tp }), "4bf92f3577b34da6a3ce929d0e0e4736")
    assert.strictEqual(
      Http.correlationIdFromHeaders({ traceparent: tp.toUpperCase() }),
      "4bf92f3577b34da6a3ce929d0e0e4736"
    )
    assert.strictEqual(Http.correlationIdFromHeaders({}), undefined)
    // configurable order and names (case-insensitive)
    assert.strictEqual(
      Http.correlationIdFromHeaders({ "x-request-id": "a", traceparent: tp }, ["traceparent", "X-Request-Id"]),
      "4bf92f3577b34da6a3ce929d0e0e4736"
    )
    assert.strictEqual(Http.correlationIdFromHeaders({ "x-amzn-trace-id": "t" }, ["X-Amzn-Trace-Id"]), "t")
    // arrays (Node's IncomingHttpHeaders) use the first value
    assert.strictEqual(Http.correlationIdFromHeaders({ "x-request-id": ["first", "second"] }), "first")
  })

  it("skips unusable values and falls through to the next header", () => {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    for (const bad of ["", "   ", "a b", "line\nbreak", "x".repeat(129), "héllo", "tab\there"]) {
      assert.strictEqual(Http.correlationIdFromHeaders({ "x-request-id": bad, traceparent: tp }), "4bf92f3577b34da6a3ce929d0e0e4736", JSON.stringify(bad))
    }
    assert.strictEqual(Http.correlationIdFromHeaders({ "x-request-id": "  padded  " }), "padded")
    assert.strictEqual(Http.correlationIdFromHeaders({ "x-request-id": "x".repeat(128) }), "x".repeat(128))
    for (
      const bad of [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", // 31 digits
        "garbage"
      ]
    ) {
      assert.strictEqual(Http.correlationIdFromHeaders({ traceparent: bad }), undefined, bad)
    }
    // a future version may append fields
    assert.strictEqual(
      Http.correlationIdFromHeaders({ traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra" }),
      "4bf92f3577b34da6a3ce929d0e0e4736"
    )
  })

  it("returns any visible-ASCII id of 1..128 characters unchanged (property)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x7e]{1,128}$/), (id) => {
        assert.strictEqual(Http.correlationIdFromHeaders({ "x-request-id": id }), id)
      }),
      { numRuns: 300, seed: 7 }
    )
  })
})

describe("redaction and path rules", () => {
  it("isSecretKey flags secret-looking keys only", () => {
    for (
      const k of [
        "token",
        "access_token",
        "refreshToken",
        "password",
        "passwd",
        "pwd",
        "client_secret",
        "api_key",
        "apiKey",
        "API-KEY",
        "key",
        "auth",
        "x-auth",
        "authorization",
        "signature",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "sig",
        "code",
        "session_id",
        "jwt"
      ]
    ) assert.isTrue(Http.isSecretKey(k), k)
    for (const k of ["page", "q", "sort", "author", "keyboard", "monkey", "user", "limit", "id"]) {
      assert.isFalse(Http.isSecretKey(k), k)
    }
  })

  it("redactUrl masks secret values, keeps the rest as sent, drops the fragment", () => {
    assert.strictEqual(Http.redactUrl("/a"), "/a")
    assert.strictEqual(Http.redactUrl("/a?page=2&q=x%20y"), "/a?page=2&q=x%20y")
    assert.strictEqual(
      Http.redactUrl("/login?user=ann&password=hunter2&token=abc"),
      "/login?user=ann&password=[REDACTED]&token=[REDACTED]"
    )
    assert.strictEqual(Http.redactUrl("/a?api%5Fkey=s3cr3t&x=1#frag"), "/a?api%5Fkey=[REDACTED]&x=1")
    assert.strictEqual(Http.redactUrl("/a?token&x=1"), "/a?token=[REDACTED]&x=1")
    assert.strictEqual(Http.redactUrl("/a?token=1&token=2"), "/a?token=[REDACTED]&token=[REDACTED]")
    assert.strictEqual(Http.redactUrl("/a?%E0%A4%A=1"), "/a?%E0%A4%A=1") // undecodable key kept
    assert.strictEqual(Http.redactUrl("/a?user=1&name=2", (k) => k === "user"), "/a?user=[REDACTED]&name=2")
  })

  it("no secret value survives redaction (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("token", "password", "page", "q", "api_key", "sig"), fc.stringMatching(/^[A-Za-z0-9]{6,12}$/)), { maxLength: 6 }),
        (pairs) => {
          const url = "/p?" + pairs.map(([k, v]) => `${k}=SECRET${v}`).join("&")
          const out = Http.redactUrl(url)
          for (const [k, v] of pairs) {
            if (Http.isSecretKey(k)) assert.notInclude(out, `SECRET${v}`)
            else assert.include(out, `${k}=SECRET${v}`)
          }
        }
      ),
      { numRuns: 200, seed: 3 }
    )
  })

  it("pathMatcher: * within a segment, ** across segments, trailing slash and query ignored", () => {
    const m = Http.pathMatcher(["/api/v1/payments/*", "/health", "/static/**", "/a.b"])
    assert.isTrue(m("/api/v1/payments/42"))
    assert.isTrue(m("/api/v1/payments/42/"))
    assert.isTrue(m("/api/v1/payments/42?x=1"))
    assert.isFalse(m("/api/v1/payments/42/refunds"))
    assert.isFalse(m("/api/v1/paymentsX/42"))
    assert.isTrue(m("/health"))
    assert.isTrue(m("/health/"))
    assert.isFalse(m("/healthz"))
    assert.isTrue(m("/static/css/site.css"))
    assert.isTrue(m("/a.b"))
    assert.isFalse(m("/aXb")) // "." is literal
    assert.isFalse(Http.pathMatcher([])("/anything"))
  })

  it("pathMatcher normalises paths as the router reads them: case, repeated slashes, %xx", () => {
    const payments = Http.pathMatcher(["/api/v1/payments/**"])
    for (const path of ["/API/v1/payments/2", "/api//v1/payments/3", "/api/v1/pay%6Dents/4", "//api/v1/payments/5/"]) {
      assert.isTrue(payments(path), path)
    }
    assert.isFalse(payments("/api/v1/pay%ZZments/6"))
    assert.isFalse(payments("/api/v1/refunds/7"))
  })
})

describe("Sampler rules (_sample_rule annotation)", () => {
  it.effect("byCorrelation keeps 'always' events and samples 'never' events as rate 0", () =>
    Effect.gen(function*() {
      const always = { [Sampler.ruleAnnotation]: "always" }
      const never = { [Sampler.ruleAnnotation]: "never" }
      const events = [
        ev({ correlationId: "a", annotations: always, message: "always" }),
        ev({ correlationId: "n", annotations: never, message: "never" }),
        ev({ correlationId: "n", annotations: never, message: "never error", level: "Error" }),
        ev({ annotations: never, message: "never without id" }),
        ev({ annotations: always, message: "always without id" }),
        ev({ correlationId: "plain", message: "plain" })
      ]
      const dropAll = yield* runStream(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 0 })))
      assert.deepStrictEqual(dropAll.out.map((e) => e.message), ["always", "never error", "always without id"])
      // the marks are merged over the event's annotations; the caller's fields are left alone
      assert.deepStrictEqual(dropAll.out[0]!.annotations, { ...always, _sampled: true, _sample_rate: 1, _sample_reason: "rule" })
      assert.deepStrictEqual(dropAll.out[1]!.annotations, { ...never, _sampled: true, _sample_rate: 0, _sample_reason: "error" })
      assert.strictEqual(dropAll.out[0]!.fields, undefined)
      assert.strictEqual(dropAll.out[1]!.fields, undefined)
      assert.strictEqual(dropAll.dropped["sampled out"], 3)
      const keepAll = yield* runStream(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 1 })))
      assert.deepStrictEqual(keepAll.out.map((e) => e.message), ["always", "never error", "always without id", "plain"])
    }))

  it.effect("with tail, a 'never' request that logs an error is kept whole; Sampler.tail honours 'always'", () =>
    Effect.gen(function*() {
      const never = { [Sampler.ruleAnnotation]: "never" }
      const events = [
        ev({ correlationId: "n", annotations: never, message: "one" }),
        ev({ correlationId: "n", annotations: never, message: "two" }),
        ev({ correlationId: "n", annotations: never, message: "boom", level: "Error" }),
        ev({ correlationId: "q", annotations: never, message: "quiet" }),
        LogEvent.correlationEnd("q"),
        ev({ correlationId: "a", annotations: { [Sampler.ruleAnnotation]: "always" }, message: "audited" })
      ]
      const { dropped, out } = yield* runStream(
        Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 1, tail: true }))
      )
      assert.deepStrictEqual(out.map((e) => e.control?._tag ?? e.message), ["one", "two", "boom", "CorrelationEnd", "audited"])
      assert.strictEqual(dropped["sampled out"], 1)
      const tailOnly = yield* runStream(Stream.fromIterable(events).pipe(Sampler.tail()))
      assert.deepStrictEqual(tailOnly.out.map((e) => e.control?._tag ?? e.message), ["one", "two", "boom", "CorrelationEnd", "audited"])
    }))

  it.effect("withRule annotates the region's logs (dual)", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const program = Effect.gen(function*() {
        const annotations = yield* References.CurrentLogAnnotations
        seen.push(annotations[Sampler.ruleAnnotation])
      })
      yield* Sampler.withRule(program, "always")
      yield* program.pipe(Sampler.withRule("never"))
      yield* program
      assert.deepStrictEqual(seen, ["always", "never", undefined])
    }))
})

// -----------------------------------------------------------------------------
// the middleware on a real server
// -----------------------------------------------------------------------------

describe("Http.middleware on a NodeHttpServer", () => {
  it.live("honours x-request-id, x-correlation-id and traceparent; generates an id otherwise; echoes it", () =>
    Effect.scoped(Effect.gen(function*() {
      const h = yield* serve(app)
      const a = yield* h.request("/ok", { headers: { "x-request-id": "req-abc" } })
      const b = yield* h.request("/ok", { headers: { "x-correlation-id": "corr-1" } })
      const c = yield* h.request("/ok", {
        headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }
      })
      const d = yield* h.request("/ok")
      const e = yield* h.request("/ok")
      assert.strictEqual(a.headers.get("x-request-id"), "req-abc")
      assert.strictEqual(b.headers.get("x-request-id"), "corr-1")
      assert.strictEqual(c.headers.get("x-request-id"), "4bf92f3577b34da6a3ce929d0e0e4736")
      const generated = d.headers.get("x-request-id")!
      expect(generated).toMatch(uuidPattern)
      assert.notStrictEqual(e.headers.get("x-request-id"), generated)
      assert.strictEqual(a.body, "ok")

      const events = yield* h.events
      // every line of a request (handler's Effect.log and the request line) carries its id
      for (const id of ["req-abc", "corr-1", "4bf92f3577b34da6a3ce929d0e0e4736", generated]) {
        const mine = events.filter((ev) => ev.correlationId === id)
        assert.deepStrictEqual(mine.map((ev) => ev.message), ["handler start", "handler end", "http request"], id)
      }
      assert.isTrue(events.every((ev) => ev.correlationId !== undefined))
    })))

  it.live("excluded paths produce no request line (default /health, /metrics) but keep the correlation id", () =>
    Effect.scoped(Effect.gen(function*() {
      const h = yield* serve(app)
      const health = yield* h.request("/health", { headers: { "x-request-id": "probe-1" } })
      yield* h.request("/metrics/")
      yield* h.request("/ok", { headers: { "x-request-id": "real-1" } })
      assert.strictEqual(health.status, 200)
      assert.strictEqual(health.headers.get("x-request-id"), "probe-1")
      assert.strictEqual(health.headers.get("x-log-sampled"), "1")
      const lines = yield* h.requestLines
      assert.deepStrictEqual(lines.map((l) => l.fields?.path), ["/ok"])
      const events = yield* h.events
      assert.isTrue(events.some((e) => e.correlationId === "probe-1" && e.message === "handler start"))

      const custom = yield* serve(app, { exclude: ["/internal/**"] })
      yield* custom.request("/internal/ready/now")
      yield* custom.request("/health")
      assert.deepStrictEqual((yield* custom.requestLines).map((l) => l.fields?.path), ["/health"])
    })))

  it.live("X-Log-Sampled is Sampler.decide(id, rate), and the pipeline keeps exactly those requests' lines", () =>
    Effect.scoped(Effect.gen(function*() {
      const rate = 0.3
      const h = yield* serve(app, { rate }, Sampler.byCorrelation({ rate }))
      const ids = Array.from({ length: 40 }, (_, i) => `req-${i + 1}`)
      const sampled = new Map<string, string | null>()
      for (const id of ids) {
        const r = yield* h.request("/ok", { headers: { "x-request-id": id } })
        sampled.set(id, r.headers.get("x-log-sampled"))
      }
      // generated ids are decided the same way
      const anon = yield* h.request("/ok")
      const anonId = anon.headers.get("x-request-id")!
      assert.strictEqual(anon.headers.get("x-log-sampled"), Sampler.decide(anonId, rate) ? "1" : "0")

      const events = yield* h.events
      let kept = 0
      for (const id of ids) {
        const decision = Sampler.decide(id, rate)
        assert.strictEqual(sampled.get(id), decision ? "1" : "0", id)
        const lines = events.filter((e) => e.correlationId === id)
        // the handler's own Effect.log lines and the request line follow the same decision
        assert.strictEqual(lines.length, decision ? 3 : 0, id)
        if (decision) kept++
      }
      assert.isAbove(kept, 0)
      assert.isBelow(kept, ids.length)
      const metrics = yield* h.metrics
      assert.isAbove(metrics.dropped["sampled out"] ?? 0, 0)
    })))

  it.live("always / never path rules override the rate, in the header and in the pipeline", () =>
    Effect.scoped(Effect.gen(function*() {
      const h = yield* serve(
        app,
        { rate: 0.5, always: ["/api/v1/payments/*"], never: ["/poll", "/error-log"] },
        Sampler.byCorrelation({ rate: 0.5 })
      )
      // ids chosen so that the rate alone would decide the other way
      const dropId = Array.from({ length: 100 }, (_, i) => `d-${i}`).find((id) => !Sampler.decide(id, 0.5))!
      const keepId = Array.from({ length: 100 }, (_, i) => `k-${i}`).find((id) => Sampler.decide(id, 0.5))!
      const pay = yield* h.request("/api/v1/payments/42", { headers: { "x-request-id": dropId } })
      const poll = yield* h.request("/poll", { headers: { "x-request-id": keepId } })
      const err = yield* h.request("/error-log", { headers: { "x-request-id": "never-err" } })
      assert.strictEqual(pay.headers.get("x-log-sampled"), "1")
      assert.strictEqual(poll.headers.get("x-log-sampled"), "0")
      assert.strictEqual(err.headers.get("x-log-sampled"), "0")

      const events = yield* h.events
      const payLines = events.filter((e) => e.correlationId === dropId)
      assert.deepStrictEqual(payLines.map((e) => e.message), ["handler start", "handler end", "http request"])
      for (const e of payLines) {
        assert.strictEqual(e.annotations?.[Sampler.ruleAnnotation], "always")
        assert.strictEqual(LogEvent.get(e, "_sample_reason"), "rule")
      }
      assert.deepStrictEqual(events.filter((e) => e.correlationId === keepId), [])
      // "never" still writes errors
      assert.deepStrictEqual(events.filter((e) => e.correlationId === "never-err").map((e) => e.message), ["something went wrong"])
    })))

  it.live("request line: method, path with secrets redacted, status, duration_ms from Clock, bytes, level", () =>
    Effect.scoped(Effect.gen(function*() {
      const h = yield* serve(app)
      yield* h.request("/created?user=ann&token=abc123&api_key=k", { method: "POST", headers: { "x-request-id": "r-1" } })
      yield* h.request("/slow", { headers: { "x-request-id": "r-2" } })
      yield* h.request("/500", { headers: { "x-request-id": "r-3" } })
      yield* h.request("/nothing-here-but-ok", { method: "DELETE", headers: { "x-request-id": "r-4" } })
      const lines = yield* h.requestLines
      assert.strictEqual(lines.length, 4)
      const [created, slow, failed, deleted] = lines as [LogEvent.LogEvent, LogEvent.LogEvent, LogEvent.LogEvent, LogEvent.LogEvent]
      assert.strictEqual(created.logger, "http")
      assert.strictEqual(created.level, "Info")
      assert.strictEqual(created.correlationId, "r-1")
      assert.strictEqual(created.message, "http request")
      const { duration_ms, ...rest } = created.fields!
      assert.deepStrictEqual(rest, {
        method: "POST",
        path: "/created?user=ann&token=[REDACTED]&api_key=[REDACTED]",
        status: 201,
        bytes: "created!".length
      })
      assert.isNumber(duration_ms)
      expect(duration_ms as number).toBeGreaterThanOrEqual(0)
      expect(slow.fields?.duration_ms as number).toBeGreaterThanOrEqual(24)
      expect(slow.fields?.duration_ms as number).toBeLessThan(10_000)
      assert.strictEqual(failed.level, "Error")
      assert.strictEqual(failed.fields?.status, 500)
      assert.strictEqual(deleted.fields?.method, "DELETE")
      // the secret is nowhere in the written output
      const lines2 = yield* h.memory.lines
      assert.isFalse(lines2.some((l) => l.includes("abc123")))
    })))

  it.live("a failing handler keeps all its lines under rate 0 + tail; a quiet one is discarded at its end", () =>
    Effect.scoped(Effect.gen(function*() {
      const sampler = Sampler.byCorrelation({ rate: 0, tail: true })
      const h = yield* serve(app, { rate: 0 }, sampler)
      const fail = yield* h.request("/fail", { headers: { "x-request-id": "f-1" } })
      const die = yield* h.request("/die", { headers: { "x-request-id": "f-2" } })
      const logged = yield* h.request("/error-log", { headers: { "x-request-id": "f-3" } })
      const five = yield* h.request("/500", { headers: { "x-request-id": "f-4" } })
      const quiet = yield* h.request("/ok", { headers: { "x-request-id": "q-1" } })
      assert.strictEqual(fail.status, 500)
      assert.strictEqual(die.status, 500)
      // headers are set on failure responses too
      assert.strictEqual(fail.headers.get("x-request-id"), "f-1")
      assert.strictEqual(fail.headers.get("x-log-sampled"), "0")
      assert.strictEqual(quiet.headers.get("x-log-sampled"), "0")
      assert.strictEqual(logged.status, 200)
      assert.strictEqual(five.status, 500)

      const events = yield* h.events
      const of = (id: string) => events.filter((e) => e.correlationId === id)
      assert.deepStrictEqual(of("f-1").map((e) => [e.message, e.level]), [["handler start", "Info"], ["http request", "Error"]])
      const failLine = of("f-1")[1]!
      assert.strictEqual(failLine.fields?.status, 500)
      assert.strictEqual(failLine.fields?.error, "Error: boom")
      assert.strictEqual(LogEvent.get(failLine, "_sample_reason"), "error")
      assert.strictEqual(LogEvent.get(of("f-1")[0]!, "_sample_reason"), "error")
      assert.deepStrictEqual(of("f-2").map((e) => e.message), ["handler start", "http request"])
      assert.strictEqual(of("f-2")[1]!.fields?.error, "Error: defect")
      assert.deepStrictEqual(of("f-3").map((e) => e.message), ["handler start", "something went wrong", "handler end", "http request"])
      assert.deepStrictEqual(of("f-4").map((e) => e.message), ["handler start", "handler end", "http request"])
      // the quiet request: nothing written, its held lines discarded when it ended
      assert.deepStrictEqual(of("q-1"), [])
      assert.deepStrictEqual(sampler.buffered(), { requests: 0, events: 0 })
      const metrics = yield* h.metrics
      assert.strictEqual(metrics.dropped["sampled out"], 3) // handler start, handler end, request line
    })))

  it.live("headers are set with HttpRouter.serve (middleware option) and the matched route is logged with HttpRouter.middleware", () =>
    Effect.scoped(Effect.gen(function*() {
      const memory = Sink.memory()
      const route = HttpRouter.add("GET", "/users/:id", Effect.as(Effect.logInfo("get user"), HttpServerResponse.text("user")))
      const context = yield* Layer.build(
        HttpRouter.serve(
          route.pipe(Layer.provide(HttpRouter.middleware(Http.middleware({ logger: "access" })).layer)),
          { disableLogger: true, disableListenLog: true }
        ).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
          Layer.provideMerge(Fapilog.layer({ sinks: [memory] }))
        )
      )
      const h = harness(context, memory)
      const r = yield* h.request("/users/7?sig=xyz", { headers: { "x-request-id": "u-7" } })
      assert.strictEqual(r.body, "user")
      assert.strictEqual(r.headers.get("x-request-id"), "u-7")
      assert.strictEqual(r.headers.get("x-log-sampled"), "1")
      const events = yield* h.events
      const line = events.find((e) => e.logger === "access")!
      assert.strictEqual(line.fields?.route, "/users/:id")
      assert.strictEqual(line.fields?.path, "/users/7?sig=[REDACTED]")
      assert.strictEqual(line.correlationId, "u-7")
      assert.deepStrictEqual(events.filter((e) => e.correlationId === "u-7").map((e) => e.message), ["get user", "http request"])

      // the same middleware given to HttpRouter.serve, which wraps the sending of the response
      const memory2 = Sink.memory()
      const context2 = yield* Layer.build(
        HttpRouter.serve(route, { disableLogger: true, disableListenLog: true, middleware: Http.middleware() }).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
          Layer.provideMerge(Fapilog.layer({ sinks: [memory2] }))
        )
      )
      const h2 = harness(context2, memory2)
      const r2 = yield* h2.request("/users/8", { headers: { "x-request-id": "u-8" } })
      const missing = yield* h2.request("/nope", { headers: { "x-request-id": "u-9" } })
      assert.strictEqual(r2.headers.get("x-request-id"), "u-8")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.headers.get("x-request-id"), "u-9")
      const lines = yield* h2.requestLines
      assert.deepStrictEqual(lines.map((l) => [l.fields?.path, l.fields?.status, l.level]), [["/users/8", 200, "Info"], ["/nope", 404, "Info"]])
    })))

  it.live("a client that goes away is logged with status 499 at Info (not as a server error)", () =>
    Effect.scoped(Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const handler: App = Effect.gen(function*() {
        yield* Effect.logInfo("waiting")
        yield* Deferred.succeed(started, undefined)
        return yield* Effect.never
      })
      const memory = Sink.memory()
      // route handlers are interruptible (a bare app given to HttpServer.serve is not)
      const context = yield* Layer.build(
        HttpRouter.serve(HttpRouter.add("GET", "/hang", handler), {
          disableLogger: true,
          disableListenLog: true,
          middleware: Http.middleware()
        }).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
          Layer.provideMerge(Fapilog.layer({ sinks: [memory] }))
        )
      )
      const h = harness(context, memory)
      const client = httpRequest(h.base + "/hang", { headers: { "x-request-id": "gone-1" } })
      client.on("error", () => {}) // the socket is destroyed on purpose
      client.end()
      yield* Deferred.await(started)
      client.destroy()
      // the server notices the closed connection asynchronously: wait (bounded) for the line
      let lines: ReadonlyArray<LogEvent.LogEvent> = []
      for (let i = 0; i < 200 && lines.length === 0; i++) {
        yield* Effect.sleep("10 millis")
        lines = yield* h.requestLines
      }
      assert.strictEqual(lines.length, 1)
      assert.strictEqual(lines[0]!.fields?.status, 499)
      assert.strictEqual(lines[0]!.level, "Info")
      assert.strictEqual(lines[0]!.correlationId, "gone-1")
      assert.isUndefined(lines[0]!.fields?.error)
    })))

  it.live("CurrentRequest gives the handler the id and the decision", () =>
    Effect.scoped(Effect.gen(function*() {
      const handler: App = Effect.gen(function*() {
        const info = yield* Http.CurrentRequest
        return HttpServerResponse.text(JSON.stringify(info))
      })
      const h = yield* serve(handler, { rate: 0, always: ["/vip"] })
      const a = yield* h.request("/x", { headers: { "x-request-id": "i-1" } })
      const b = yield* h.request("/vip", { headers: { "x-request-id": "i-2" } })
      assert.deepStrictEqual(JSON.parse(a.body), { correlationId: "i-1", sampled: false })
      assert.deepStrictEqual(JSON.parse(b.body), { correlationId: "i-2", sampled: true, rule: "always" })
    })))
})

describe("Http.levelsRoute", () => {
  it.live("GET reads the table, PUT sets and resets a level, behind authorize; bad input is a 400", () =>
    Effect.scoped(Effect.gen(function*() {
      const memory = Sink.memory()
      const levels = Http.levelsRoute({
        authorize: (request) => Effect.succeed(request.headers["authorization"] === "Bearer admin")
      })
      const context = yield* Layer.build(
        HttpRouter.serve(levels, { disableLogger: true, disableListenLog: true }).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
          Layer.provideMerge(Fapilog.layer({ sinks: [memory] }))
        )
      )
      const h = harness(context, memory)
      const admin = { authorization: "Bearer admin", "content-type": "application/json" }
      const put = (name: string, body: string, headers: Record<string, string> = admin) =>
        h.request(`/admin/log-levels/${name}`, { method: "PUT", headers, body })

      const denied = yield* h.request("/admin/log-levels")
      assert.strictEqual(denied.status, 401)
      const deniedPut = yield* put("payments", `{"level":"debug"}`, { authorization: "Bearer guest" })
      assert.strictEqual(deniedPut.status, 401)
      assert.deepStrictEqual(yield* Logger.levels.pipe(Effect.provideContext(context)), { root: "Info" })

      const read = yield* h.request("/admin/log-levels", { headers: admin })
      assert.strictEqual(read.status, 200)
      assert.deepStrictEqual(JSON.parse(read.body), { levels: { root: "Info" } })

      const set = yield* put("payments.stripe", `{"level":"debug"}`)
      assert.strictEqual(set.status, 200)
      assert.deepStrictEqual(JSON.parse(set.body), { levels: { root: "Info", "payments.stripe": "Debug" } })
      const stripe = yield* Logger.named("payments.stripe").pipe(Effect.provideContext(context))
      assert.isTrue(stripe.isEnabled("Debug"))

      for (const [name, body] of [["payments.stripe", `{"level":"verbose"}`], ["payments.stripe", "not json"], ["a..b", `{"level":"debug"}`]] as const) {
        const bad = yield* put(name, body)
        assert.strictEqual(bad.status, 400, `${name} ${body}`)
        assert.isString(JSON.parse(bad.body).error)
      }

      const reset = yield* put("payments.stripe", `{"level":null}`)
      assert.deepStrictEqual(JSON.parse(reset.body), { levels: { root: "Info" } })
      assert.isFalse(stripe.isEnabled("Debug"))
      const changes = (yield* h.events).filter((e) => e.logger === "effect-fapilog")
      assert.strictEqual(changes.length, 2)
    })))
})

describe("Http.middleware and run-time levels", () => {
  it.live("the request line follows Logger.setLevel of its logger name", () =>
    Effect.scoped(Effect.gen(function*() {
      const h = yield* serve(app)
      yield* h.request("/ok-1")
      yield* Effect.provideService(Logger.setLevel("http", "Warn"), Logger.Loggers, h.loggers)
      yield* h.request("/ok-2")
      yield* Effect.provideService(Logger.resetLevel("http"), Logger.Loggers, h.loggers)
      yield* h.request("/ok-3")
      const lines = yield* h.requestLines
      assert.deepStrictEqual(lines.map((l) => l.fields?.path), ["/ok-1", "/ok-3"])
    })))
})
