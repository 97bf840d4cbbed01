/**
 * `npm start`: a short, finite tour of effect-fapilog.
 *
 * A pretend checkout service handles 200 requests. Each module logs through its own named
 * logger, every request runs under a correlation id, secrets are redacted before any sink sees
 * them, and events go to the console (pretty, a short excerpt) and to `logs/demo.jsonl`. At the
 * end the program prints a summary and checks its own claims; it exits non-zero if one fails.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import * as fs from "node:fs"
import { Enricher, Fapilog, Logger, Pipeline, Redactor, Sink } from "../src/index.ts"

const LOG_FILE = "logs/demo.jsonl"
const REQUESTS = 200
const SECRET = "sk_live_51HdemoSECRETtoken"

fs.mkdirSync("logs", { recursive: true })
fs.rmSync(LOG_FILE, { force: true })

/** The console shows the first three lines of each logger so the summary stays readable. */
const shown = new Map<string, number>()
const excerpt = Sink.make(
  "console-excerpt",
  Effect.map(Sink.pretty({ stream: "stdout" }).open, (writer) => ({
    write: (batch) => {
      const events = batch.events.filter((e) => {
        const n = shown.get(e.logger) ?? 0
        shown.set(e.logger, n + 1)
        return n < 3
      })
      return events.length === 0 ? Effect.void : writer.write(Sink.makeBatch(events))
    },
    writeUnsafe: undefined
  }))
)

const pipeline = Pipeline.compose(
  Enricher.pipeline({ service: "checkout", version: "1.4.2", environment: "demo" }),
  Redactor.pipeline()
)

const handle = (i: number) =>
  Effect.gen(function*() {
    const http = yield* Logger.named("http")
    const payments = yield* Logger.named("payments")
    const db = yield* Logger.named("db.pool")
    const route = i % 10 === 0 ? "/health" : i % 3 === 0 ? "/api/v1/payments" : "/api/v1/cart"
    yield* http.info("request received", { method: "POST", route })
    yield* db.debug("Connection pool size: {size}", { size: 10 + (i % 3) })
    if (route === "/api/v1/payments") {
      yield* payments.info("charge created", {
        amount: (i * 7) % 300,
        currency: "EUR",
        card: { last4: "4242", token: SECRET },
        authorization: `Bearer ${SECRET}`
      })
      if (i % 27 === 0) yield* payments.error("card declined", { code: "insufficient_funds" })
    }
    yield* Effect.logInfo("request finished", { status: i % 27 === 0 ? 402 : 200 })
  }).pipe(Logger.withCorrelationId(`req-${i}`))

const program = Effect.gen(function*() {
  const start = performance.now()
  yield* Effect.forEach(Array.from({ length: REQUESTS }, (_, i) => i + 1), handle, { concurrency: 8, discard: true })
  const loggers = yield* Logger.Loggers
  for (const worker of loggers.workers()) yield* worker.flush
  const metrics = yield* Effect.forEach(loggers.workers(), (w) => w.metrics)
  return { metrics, millis: performance.now() - start }
})

const layer = Fapilog.layer({
  level: "Debug",
  sinks: [excerpt, Sink.file(LOG_FILE)],
  pipeline
})

const main = Effect.gen(function*() {
  const { metrics, millis } = yield* program.pipe(Effect.provide(layer))
  // the layer is closed here: every facade was drained and the file closed
  const lines = fs.readFileSync(LOG_FILE, "utf8").split("\n").filter((l) => l.length > 0)
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  const offered = metrics.reduce((n, m) => n + m.eventsIn, 0)
  const dropped = metrics.reduce((n, m) => n + m.droppedTotal, 0)
  const checks: Array<[string, boolean]> = [
    ["every offered event is in the file", parsed.length === offered - dropped],
    ["no event was dropped", dropped === 0],
    ["the planted secret never reached the file", !lines.some((l) => l.includes(SECRET))],
    ["every request line carries its correlation id", parsed.filter((e) => e.msg === "request finished").every((e) => typeof e.correlation_id === "string")],
    ["every line is enriched with the service name", parsed.every((e) => e.service === "checkout")]
  ]
  const out = [
    "",
    "── effect-fapilog demo summary ──────────────────────────",
    `requests handled      ${REQUESTS}`,
    `events logged         ${offered} through ${metrics.length} named loggers (${metrics.map((m) => m.logger).join(", ")})`,
    `events written        ${parsed.length} to ${LOG_FILE}`,
    `events dropped        ${dropped}`,
    `wall time             ${millis.toFixed(0)} ms`,
    "",
    ...checks.map(([name, ok]) => `${ok ? "✔" : "✘"} ${name}`),
    ""
  ]
  process.stdout.write(out.join("\n") + "\n")
  if (checks.some(([, ok]) => !ok)) return yield* Effect.fail(new Error("the demo's own checks failed"))
})

NodeRuntime.runMain(main)
