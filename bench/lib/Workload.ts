/**
 * The non-repetitive "full pipeline" workload of issues 4, 5 and 7, shared by the runners, the
 * in-process pipeline benchmark, the event-loop and the memory benchmarks.
 *
 * Events come in requests of {@link PER_REQUEST} lines: event `i` belongs to correlation id
 * `req-${i >> 4}` and carries message `MESSAGES[i & 15]` (16 distinct messages, no `{`, so no
 * template) and the fields `{ i, user: "alice" }`. The aggregator keys on (logger, level,
 * template ?? message, correlation id), so every key occurs exactly once: nothing is ever
 * aggregated, and the aggregator pays its full bookkeeping price (a new key per event, an LRU
 * eviction per event once 1,000 keys are tracked).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Aggregator from "../../src/Aggregator.ts"
import * as Enricher from "../../src/Enricher.ts"
import * as Fapilog from "../../src/Fapilog.ts"
import * as LogEvent from "../../src/LogEvent.ts"
import * as Logger from "../../src/Logger.ts"
import * as Pipeline from "../../src/Pipeline.ts"
import * as Redactor from "../../src/Redactor.ts"
import * as Sampler from "../../src/Sampler.ts"
import * as Sink from "../../src/Sink.ts"
import * as Runner from "./Runner.ts"
import * as Stats from "./Stats.ts"

/** Lines per request (per correlation id). */
export const PER_REQUEST = 16

/** The 16 distinct messages of a request, one per line. */
export const MESSAGES: ReadonlyArray<string> = Array.from(
  { length: PER_REQUEST },
  (_, k) => `request step ${String(k).padStart(2, "0")} done`
)

/**
 * The correlation id of event `i`.
 *
 * @example
 * ```ts
 * import * as Workload from "./Workload.ts"
 * Workload.correlationId(17) // "req-1"
 * ```
 */
export const correlationId = (i: number): string => `req-${i >> 4}`

/** The message of event `i`. */
export const message = (i: number): string => MESSAGES[i & (PER_REQUEST - 1)]!

/** Which stages a pipeline variant has. */
export interface Stages {
  readonly enrich?: boolean
  readonly redact?: boolean
  /** `undefined`: no sampler; otherwise `Sampler.byCorrelation({ rate })`. */
  readonly samplerRate?: number | undefined
  readonly aggregate?: boolean
}

/**
 * The full default pipeline of issue 7:
 * `Pipeline.compose(Enricher.pipeline({ service: "bench" }), Redactor.pipeline(),
 * Sampler.byCorrelation({ rate: 1 }), Aggregator.repetitive())`.
 *
 * @example
 * ```ts
 * import * as Workload from "./Workload.ts"
 * const pipeline = Workload.fullPipeline()
 * ```
 */
export const fullPipeline = (): Pipeline.Pipeline =>
  pipeline({ enrich: true, redact: true, samplerRate: 1, aggregate: true })

/**
 * The full default pipeline as `Fapilog.layer` runs it: enrichment, sampling and aggregation in
 * the `pipeline` option, redaction by the layer's default `redact` stage after them.
 *
 * @example
 * ```ts
 * import * as Workload from "./Workload.ts"
 * const pipeline = Workload.layerPipeline()
 * ```
 */
export const layerPipeline = (): Pipeline.Pipeline => pipeline({ enrich: true, samplerRate: 1, aggregate: true })

/**
 * A pipeline with the chosen stages, in the full pipeline's order (enrich, redact, sample,
 * aggregate).
 *
 * @example
 * ```ts
 * import * as Workload from "./Workload.ts"
 * const noSampler = Workload.pipeline({ enrich: true, redact: true, aggregate: true })
 * ```
 */
export const pipeline = (stages: Stages): Pipeline.Pipeline => {
  const parts: Array<Pipeline.Pipeline> = []
  if (stages.enrich === true) parts.push(Enricher.pipeline({ service: "bench" }))
  if (stages.redact === true) parts.push(Redactor.pipeline())
  if (stages.samplerRate !== undefined) parts.push(Sampler.byCorrelation({ rate: stages.samplerRate }))
  if (stages.aggregate === true) parts.push(Aggregator.repetitive())
  return Pipeline.compose(...parts)
}

/**
 * The workload as ready-made `LogEvent`s in chunks of `chunkSize` (what the worker hands to the
 * pipeline), for in-process pipeline benchmarks: `events` ordinary events of logger `bench` at
 * Info, 100 per simulated millisecond, with a `CorrelationEnd` control event after each request
 * (as `Logger.withCorrelationId` sends one when its region ends).
 *
 * @example
 * ```ts
 * import * as Workload from "./Workload.ts"
 * const chunks = Workload.chunks(1000, 256)
 * ```
 */
export const chunks = (events: number, chunkSize: number): ReadonlyArray<ReadonlyArray<LogEvent.LogEvent>> => {
  const start = Date.UTC(2024, 0, 1)
  const all: Array<LogEvent.LogEvent> = []
  for (let i = 0; i < events; i++) {
    const cid = correlationId(i)
    all.push(LogEvent.make({
      timestamp: start + Math.floor(i / 100),
      level: "Info",
      logger: "bench",
      message: message(i),
      fields: { i, user: "alice" },
      correlationId: cid
    }))
    if ((i & (PER_REQUEST - 1)) === PER_REQUEST - 1 || i === events - 1) {
      all.push(LogEvent.correlationEnd(cid, start + Math.floor(i / 100)))
    }
  }
  const out: Array<ReadonlyArray<LogEvent.LogEvent>> = []
  for (let i = 0; i < all.length; i += chunkSize) out.push(all.slice(i, i + chunkSize))
  return out
}

/**
 * Logs lines `from` … `to - 1` of the workload: requests of `PER_REQUEST` lines, each inside
 * `Logger.withCorrelationId`, line `i` as `log(MESSAGES[i % PER_REQUEST], { i, user })`. `onLine`
 * may wrap each call (the runners time 1 call in 61 with it).
 *
 * @example
 * ```ts
 * import * as Workload from "./Workload.ts"
 * // yield* Workload.logRange(log.info, 0, 1000)
 * ```
 */
export const logRange = (
  log: (message: string, fields: Readonly<Record<string, unknown>>) => Effect.Effect<void>,
  from: number,
  to: number,
  onLine: (i: number, line: Effect.Effect<void>) => Effect.Effect<void> = (_, line) => line
): Effect.Effect<void> => {
  // One generator function serves every request, its bounds passed in `first`/`end`: V8 runs a
  // generator closure created per request much slower (~1.8 µs more per request in plain
  // JavaScript, docs/benchmarks.md), a cost of this loop that the peers' plain loops do not pay.
  let first = 0
  let end = 0
  const request = Effect.gen(function*() {
    for (let i = first; i < end; i++) yield* onLine(i, log(MESSAGES[i & (PER_REQUEST - 1)]!, { i, user: Runner.USER }))
  })
  return Effect.gen(function*() {
    for (let start = from; start < to; start += PER_REQUEST) {
      first = start
      end = Math.min(to, start + PER_REQUEST)
      yield* Logger.withCorrelationId(correlationId(start))(request)
    }
  })
}

/**
 * The full-pipeline benchmark shared by the facade and the `Effect.logInfo` runners: requests of
 * `PER_REQUEST` lines, each inside `Logger.withCorrelationId`, through
 * `Fapilog.layer({ sinks: [Sink.file(file)], queue: { policy: "block" }, pipeline: layerPipeline() })`;
 * 1 call in 61 is timed. `logger` picks how a line is logged. Resolves to the wall time from the
 * first call until the layer is released (queue drained, file closed), and in `extra` the
 * percentiles of the timed calls during which the calling fiber was not switched out
 * (`latencyUnswitchedUs`) with the number of those that were (`switchedSamples`).
 *
 * @example
 * ```ts
 * import * as Workload from "./Workload.ts"
 * // const { wallMs } = await Workload.runFull(1000, latency, "/tmp/out.jsonl", (log) => log.info)
 * ```
 */
export const runFull = async (
  events: number,
  latency: Runner.Latency,
  file: string,
  logger: (facade: Logger.NamedLogger) => (message: string, fields: Readonly<Record<string, unknown>>) => Effect.Effect<void>
): Promise<Runner.Timed> => {
  const layer = Fapilog.layer({
    sinks: [Sink.file(file)],
    queue: { capacity: 10_000, policy: "block" },
    pipeline: layerPipeline() // + the layer's default redaction
  })
  const { isSampled, now } = Runner
  // the same samples, split by whether the calling fiber was switched out during the call
  // (Effect's cooperative yield, or a `block` wait): the fiber's op count restarts at every resume
  const unswitched = Runner.makeLatency(events)
  let switched = 0
  const timed = (i: number, line: Effect.Effect<void>) =>
    !isSampled(i) ? line : Effect.withFiber((fiber) => {
      const ops = fiber.currentOpCount
      const s = now()
      return Effect.tap(line, () =>
        Effect.withFiber((after) => {
          const us = (now() - s) * 1000
          latency.record(us)
          if (after.currentOpCount > ops) unswitched.record(us)
          else switched++
          return Effect.void
        }))
    })
  let t0 = 0
  const program = Effect.gen(function*() {
    const log = logger(yield* Logger.named("bench"))
    t0 = now()
    yield* logRange(log, 0, events, timed)
  })
  await Effect.runPromise(program.pipe(Effect.provide(layer)))
  const wallMs = now() - t0
  return {
    wallMs,
    extra: {
      latencyUnswitchedUs: Stats.percentiles(unswitched.samples()),
      switchedSamples: switched
    }
  }
}
