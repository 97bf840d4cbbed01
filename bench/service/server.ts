/**
 * The service of the service-level benchmark (`npm run bench -- --service`), in its own process:
 * an `effect/http` server on 127.0.0.1 (any free port) whose one route, `GET /work`, logs
 * {@link LINES} lines per request the way a service does — one request line from the HTTP
 * middleware, lines through named loggers, plain `Effect.logInfo` lines.
 *
 * `node bench/service/server.ts --system none|builtin|bridge|fapilog --file PATH`, started with an
 * IPC channel by `bench/lib/Service.ts`:
 * - `none`: the same handler, no logger installed and the minimum level at `None` (the calls stay,
 *   nothing is logged);
 * - `floor`: Effect's logging with a no-op `Logger.make` (the `builtin` shape, Effect's own HTTP
 *   response logger included): what every Effect logger pays before it sees an event;
 * - `builtin`: Effect's `Logger.toFile(Logger.formatJson, path)` and Effect's own HTTP response
 *   logger (`HttpRouter.serve` without `disableLogger`); named loggers are `annotateLogs({ logger })`;
 * - `bridge`: the Effect → pino bridge (`bench/lib/Bridge.ts`) on pino's async destination, same
 *   shape as `builtin`;
 * - `fapilog`: `Fapilog.layer` with request-aware sampling (`Sampler.byCorrelation({ rate: 1,
 *   tail: true })`: every request is kept, so every line can be counted) and aggregation
 *   (`Aggregator.repetitive()`), the default redaction, queue policy `block`, `Http.middleware`,
 *   `Logger.named` loggers.
 *
 * Messages (parent → server): `start` (reset the window: CPU, event-loop delay monitor, request
 * count), `stop` (report the window), `close` (stop the server, flush the logs, report the total
 * request count, exit). The server answers each with one message.
 *
 * @module
 */
import { NodeFileSystem, NodeHttpServer } from "@effect/platform-node"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as EffectLogger from "effect/Logger"
import * as References from "effect/References"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { pino } from "pino"
import { Aggregator, Fapilog, Http, Logger, Pipeline, Sampler, Sink } from "../../src/index.ts"
import * as Bridge from "../lib/Bridge.ts"

/** Lines logged per request: 1 request line + 9 handler lines. */
export const LINES = 10

type System = "none" | "floor" | "builtin" | "bridge" | "fapilog"
type Log = (logger: "orders" | "db" | undefined, message: string, fields: Record<string, unknown>) => Effect.Effect<void>

const argv = process.argv.slice(2)
const arg = (name: string): string => {
  const value = argv[argv.indexOf(name) + 1]
  if (!argv.includes(name) || value === undefined) throw new Error(`server needs ${name}`)
  return value
}
const system = arg("--system") as System
const file = arg("--file")
if (!["none", "floor", "builtin", "bridge", "fapilog"].includes(system)) throw new Error(`unknown system ${system}`)

const counter = { handled: 0 }

/** The handler: 9 lines, through `log`. */
const handler = (log: Log) =>
  Effect.gen(function*() {
    const id = ++counter.handled
    yield* log("orders", "order requested", { sku: "A-1", qty: 2 })
    yield* log("db", "query started", { table: "orders" })
    yield* log("db", "query finished", { rows: 3 })
    yield* log(undefined, "inventory checked", { sku: "A-1", available: true })
    yield* log("orders", "price computed", { amount: 42.5, currency: "EUR" })
    yield* log("db", "insert started", { table: "orders" })
    yield* log("db", "insert finished", { id })
    yield* log(undefined, "event published", { topic: "orders" })
    yield* log("orders", "order created", { id, event_type: "business" })
    return HttpServerResponse.text("ok")
  })

/** Effect's idiom for a named logger: an annotation. */
const effectLog: Log = (logger, message, fields) =>
  logger === undefined
    ? Effect.logInfo(message, fields)
    : Effect.logInfo(message, fields).pipe(Effect.annotateLogs("logger", logger))

/** effect-fapilog: `Logger.named` facades (cached by name) and plain `Effect.logInfo`. */
const fapilogLog: Log = (logger, message, fields) =>
  logger === undefined
    ? Effect.logInfo(message, fields)
    : Effect.flatMap(Logger.named(logger), (log) => log.info(message, fields)) as Effect.Effect<void>

const dest = system === "bridge" ? await Bridge.destination(file) : undefined

const logging = (): Layer.Layer<never, unknown> | Layer.Layer<Logger.Loggers, unknown> => {
  switch (system) {
    case "none":
      return Layer.succeedContext(
        Context.make(References.MinimumLogLevel, "None").pipe(Context.add(EffectLogger.CurrentLoggers, new Set()))
      )
    case "floor":
      return EffectLogger.layer([EffectLogger.make(() => {})])
    case "builtin":
      return EffectLogger.layer([EffectLogger.toFile(EffectLogger.formatJson, file)]).pipe(Layer.provide(NodeFileSystem.layer))
    case "bridge":
      return EffectLogger.layer([Bridge.logger(pino(dest!))])
    case "fapilog":
      return Fapilog.layer({
        sinks: [Sink.file(file)],
        queue: { capacity: 10_000, policy: "block" },
        pipeline: Pipeline.compose(Sampler.byCorrelation({ rate: 1, tail: true }), Aggregator.repetitive())
      })
  }
}

const routes = HttpRouter.add("GET", "/work", handler(system === "fapilog" ? fapilogLog : effectLog))
const served = system === "fapilog"
  ? HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true, middleware: Http.middleware({ rate: 1 }) })
  : HttpRouter.serve(routes, { disableLogger: system === "none", disableListenLog: true })
const announce = Layer.effectDiscard(Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const address = server.address
  process.send!({ type: "listening", port: "port" in address ? address.port : 0 })
}))
const app = Layer.mergeAll(served, announce).pipe(
  Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(logging())
)

const fiber = Effect.runFork(Layer.launch(app) as Effect.Effect<never, unknown>)

const window = {
  cpu: process.cpuUsage(),
  handled: 0,
  eld: monitorEventLoopDelay({ resolution: 1 })
}

// the parent is gone (killed, crashed): never outlive it
process.on("disconnect", () => process.exit(1))

process.on("message", (message: { type: string }) => {
  switch (message.type) {
    case "start":
      window.cpu = process.cpuUsage()
      window.handled = counter.handled
      window.eld.reset()
      window.eld.enable()
      process.send!({ type: "started" })
      return
    case "stop": {
      const cpu = process.cpuUsage(window.cpu)
      window.eld.disable()
      process.send!({
        type: "stopped",
        requests: counter.handled - window.handled,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        eventLoopDelayMs: {
          p50: window.eld.percentile(50) / 1e6,
          p99: window.eld.percentile(99) / 1e6,
          max: window.eld.max / 1e6
        },
        peakRssMb: process.resourceUsage().maxRSS / 1024
      })
      return
    }
    case "close":
      void Effect.runPromise(Fiber.interrupt(fiber)).then(async () => {
        if (dest !== undefined) await Bridge.close(dest)
        process.send!({ type: "closed", handled: counter.handled }, () => process.exit(0))
      })
      return
  }
})
