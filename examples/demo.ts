/**
 * `npm start`: the example checkout service (examples/service.ts) under a bounded, realistic load
 * over loopback — payments carrying card tokens and bearer tokens, user actions, catalog reads
 * with connection-pool chatter, reports that sometimes fail, health checks — then a graceful
 * shutdown, a summary a person can read at a glance, and checks of the demo's own claims. It
 * exits non-zero if a claim fails.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Context, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import * as fs from "node:fs"
import { Logger, Sink, type Worker } from "../src/index.ts"
import * as Service from "./service.ts"

const LOG_FILE = "logs/service.jsonl"
const CARD_TOKEN = "tok_live_9fJ2kLmN8qRsT1uV"
const BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA"
const CARD_NUMBER = "4242 4242 4242 4242"

fs.mkdirSync("logs", { recursive: true })
// the file rotates at 1 MiB (service.jsonl.1, .2, …): start from none of them
for (const f of fs.readdirSync("logs")) if (f.startsWith("service.jsonl")) fs.rmSync(`logs/${f}`)

/** Everything written, oldest rotated file first. */
const readLog = (): string =>
  fs.readdirSync("logs")
    .filter((f) => f.startsWith("service.jsonl"))
    .map((f) => ({ f, n: f === "service.jsonl" ? 0 : Number(f.slice("service.jsonl.".length)) }))
    .sort((a, b) => b.n - a.n)
    .map(({ f }) => fs.readFileSync(`logs/${f}`, "utf8"))
    .join("")

/** The console shows the first two lines of each logger, so the summary stays readable. */
const seen = new Map<string, number>()
const excerpt = Sink.make(
  "console-excerpt",
  Effect.map(Sink.pretty({ stream: "stdout" }).open, (writer) => ({
    write: (batch) => {
      const events = batch.events.filter((e) => {
        const n = seen.get(e.logger) ?? 0
        seen.set(e.logger, n + 1)
        return n < 2
      })
      return events.length === 0 ? Effect.void : writer.write(Sink.makeBatch(events))
    },
    writeUnsafe: undefined
  }))
)

interface Call {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly body?: unknown
  readonly headers?: Record<string, string>
}

/** A deterministic mix of requests. */
const workload = (n: number): Array<Call> =>
  Array.from({ length: n }, (_, i): Call => {
    switch (i % 8) {
      case 0:
      case 1:
        return {
          method: "POST",
          path: "/api/v1/payments",
          headers: { authorization: `Bearer ${BEARER}`, "content-type": "application/json" },
          body: { amount: 13 + i, card: { number: CARD_NUMBER, token: CARD_TOKEN } }
        }
      case 2:
      case 3:
        return { method: "POST", path: `/api/v1/users/u${i % 50}/actions` }
      case 4:
        return { method: "GET", path: "/api/v1/catalog" }
      case 5:
        return { method: "GET", path: `/api/v1/report?n=${i}&api_key=${CARD_TOKEN}` }
      default:
        return { method: "GET", path: "/health" }
    }
  })

const REQUESTS = 800

const main = Effect.gen(function*() {
  const started = performance.now()
  const summary = yield* Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(Service.make({ port: 0, logFile: LOG_FILE, console: excerpt }))
    const base = HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
    const loggers = Context.get(context, Logger.Loggers)
    let served = 0
    const statuses = new Map<number, number>()
    yield* Effect.forEach(workload(REQUESTS), (call) =>
      Effect.promise(async () => {
        const init: RequestInit = { method: call.method }
        if (call.headers !== undefined) init.headers = call.headers
        if (call.body !== undefined) init.body = JSON.stringify(call.body)
        const response = await fetch(base + call.path, init)
        await response.arrayBuffer()
        served++
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
      }), { concurrency: 16, discard: true })
    // a graceful shutdown drains every worker; read the metrics just before it
    yield* Effect.forEach(loggers.workers(), (w) => w.flush, { discard: true })
    const metrics: Array<Worker.Snapshot> = yield* Effect.forEach(loggers.workers(), (w) => w.metrics)
    return { served, statuses, metrics }
  }))
  const millis = performance.now() - started
  const text = readLog()
  const lines = text.split("\n").filter((l) => l.length > 0)
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>)

  const sum = (f: (m: Worker.Snapshot) => number) => summary.metrics.reduce((n, m) => n + f(m), 0)
  const logged = sum((m) => m.eventsIn)
  const written = sum((m) => m.written)
  const absorbed = sum((m) => m.absorbed)
  const dropped: Record<string, number> = {}
  for (const m of summary.metrics) for (const [k, v] of Object.entries(m.dropped)) dropped[k] = (dropped[k] ?? 0) + v
  const tailKept = events.filter((e) => e._sample_reason === "error").length
  const aggregates = events.filter((e) => e._aggregated === true)
  const latencies = Service.callSiteMicros.slice().sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
  const lost = Object.entries(dropped).filter(([k]) => !k.startsWith("sampled out")).reduce((n, [, v]) => n + v, 0)

  const checks: Array<[string, boolean]> = [
    [`every request was served (${summary.served}/${REQUESTS})`, summary.served === REQUESTS],
    ["every written event is one valid JSON line in the file", events.length === written],
    ["no event was lost (only deliberately sampled out)", lost === 0],
    ["no planted secret (card token, bearer token, card number) reached the file", ![CARD_TOKEN, BEARER, CARD_NUMBER].some((s) => text.includes(s))],
    ["failing requests were kept whole by tail sampling", tailKept > 0],
    ["repetitive pool chatter was aggregated", aggregates.length > 0],
    ["no user action or business event was aggregated", aggregates.every((e) => e.user_id === undefined && e.event_type !== "business")],
    ["every payment request was logged (always-sample rule)", events.filter((e) => e.path === "/api/v1/payments").length === REQUESTS / 4],
    ["health checks produced no request line", !events.some((e) => e.path === "/health")]
  ]

  const row = (label: string, value: string | number) => `  ${label.padEnd(30)} ${value}`
  const out = [
    "",
    "── effect-fapilog demo: checkout service ──────────────────────────────",
    row("requests served", `${summary.served} (${[...summary.statuses].sort().map(([s, n]) => `${s}×${n}`).join(", ")})`),
    row("events logged", `${logged} through ${summary.metrics.length} loggers (${summary.metrics.map((m) => m.logger).join(", ")})`),
    row("events written", `${written} → ${LOG_FILE}`),
    row("sampled out", dropped["sampled out"] ?? 0),
    row("kept by tail sampling", `${tailKept} lines of failing requests`),
    row("absorbed by aggregation", `${absorbed} events into ${aggregates.length} aggregates`),
    row("dropped (lost)", lost === 0 ? "0" : JSON.stringify(dropped)),
    row("volume reduction", `${((1 - written / logged) * 100).toFixed(1)}%`),
    row("call-site latency", `p50 ${pct(0.5).toFixed(1)} µs, p99 ${pct(0.99).toFixed(1)} µs (${latencies.length} calls)`),
    row("wall time", `${(millis / 1000).toFixed(1)} s`),
    "",
    ...checks.map(([name, ok]) => `  ${ok ? "✔" : "✘"} ${name}`),
    ""
  ]
  process.stdout.write(out.join("\n") + "\n")
  if (checks.some(([, ok]) => !ok)) return yield* Effect.fail(new Error("the demo's own checks failed"))
})

NodeRuntime.runMain(main)
