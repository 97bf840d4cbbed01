/**
 * An example checkout service on `effect/http`, logging the way a real service would: one named
 * logger per module, the HTTP middleware (correlation ids, one sampling decision per request,
 * request lines), request-aware and tail sampling, aggregation of repetitive chatter, redaction,
 * a JSON-lines file under `logs/` and a short pretty excerpt on the console.
 *
 * `examples/demo.ts` (`npm start`) drives a bounded load through it and checks the result;
 * `examples/serve.ts` (`npm run serve`) runs it until interrupted.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import { Aggregator, Enricher, Fapilog, Http, Logger, Pipeline, Sampler, Sink } from "../src/index.ts"

/** The fraction of ordinary requests whose lines are kept (payments are always kept). */
export const SAMPLE_RATE = 0.25

/** Call-site latency of every facade call the handlers make, in microseconds. */
export const callSiteMicros: Array<number> = []

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const start = performance.now()
    return Effect.tap(effect, () => Effect.sync(() => callSiteMicros.push((performance.now() - start) * 1000)))
  })

const json = (body: unknown, status = 200) => HttpServerResponse.jsonUnsafe(body, { status })

const payments = HttpRouter.add(
  "POST",
  "/api/v1/payments",
  Effect.gen(function*() {
    const log = yield* Logger.named("payments")
    const db = yield* Logger.named("db.pool")
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = (yield* Effect.orDie(request.json)) as { amount: number; card: { number: string; token: string } }
    yield* timed(db.debug("Connection pool size: {size}", { size: 10 }))
    yield* timed(log.info("charge requested", { amount: body.amount, card: body.card, authorization: request.headers.authorization }))
    if (body.amount % 97 === 0) {
      yield* timed(log.error("card declined", { amount: body.amount, code: "insufficient_funds" }))
      return json({ ok: false }, 402)
    }
    yield* timed(log.info("charge created", { amount: body.amount, event_type: "business" }))
    return json({ ok: true }, 201)
  })
)

const userAction = HttpRouter.add(
  "POST",
  "/api/v1/users/:id/actions",
  Effect.gen(function*() {
    const { id } = yield* HttpRouter.params
    yield* timed(Effect.logInfo("user action", { user_id: id, action: "add_to_cart" }))
    return json({ ok: true })
  })
)

const catalog = HttpRouter.add(
  "GET",
  "/api/v1/catalog",
  Effect.gen(function*() {
    const db = yield* Logger.named("db.pool")
    // the kind of chatter that aggregation exists for
    for (let i = 0; i < 12; i++) yield* timed(db.debug("Connection pool size: {size}", { size: 10 + (i % 2) }))
    yield* timed(Effect.logInfo("catalog served", { items: 42 }))
    return json({ items: 42 })
  })
)

const report = HttpRouter.add(
  "GET",
  "/api/v1/report",
  Effect.gen(function*() {
    yield* timed(Effect.logInfo("report started"))
    yield* timed(Effect.logDebug("report query planned", { tables: 3 }))
    // one in a few reports fails: tail sampling keeps every line of those requests
    const request = yield* HttpServerRequest.HttpServerRequest
    const n = Number(new URL(request.url, "http://localhost").searchParams.get("n"))
    if (n % 5 === 0) {
      yield* timed(Effect.logError("report failed", { reason: "upstream timeout" }))
      return json({ ok: false }, 503)
    }
    yield* timed(Effect.logInfo("report finished", { rows: 1200 }))
    return json({ ok: true })
  })
)

const health = HttpRouter.add("GET", "/health", Effect.succeed(HttpServerResponse.text("ok")))

const routes = Layer.mergeAll(payments, userAction, catalog, report, health)

/**
 * The logging pipeline of the service: enrich, sample whole requests, aggregate. Redaction runs
 * after it by default (`Fapilog.layer`'s `redact` option), here with one extra key.
 */
export const pipeline = Pipeline.compose(
  Enricher.pipeline({ service: "checkout", version: "1.4.2", environment: "demo" }),
  Sampler.byCorrelation({ rate: SAMPLE_RATE, tail: true }),
  Aggregator.repetitive({ threshold: 5, window: "1 second" })
)

/**
 * The service as a layer: the logging layer, and the HTTP server on `port` (0: any free port).
 */
export const make = (options: {
  readonly port: number
  readonly logFile: string
  readonly console: Sink.Sink
}) => {
  const logging = Fapilog.layer({
    level: "Debug",
    sinks: [options.console, Sink.file(options.logFile, { rotate: { maxBytes: 1024 * 1024, maxFiles: 3 } })],
    pipeline,
    redact: { extraKeys: ["card"] }
  })
  const server = HttpRouter.serve(routes, {
    disableLogger: true,
    disableListenLog: true,
    middleware: Http.middleware({ rate: SAMPLE_RATE, always: ["/api/v1/payments/**", "/api/v1/payments"] })
  }).pipe(Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: options.port, host: "127.0.0.1" })))
  return server.pipe(Layer.provideMerge(logging))
}
