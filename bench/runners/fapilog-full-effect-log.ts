/**
 * effect-fapilog with the full default pipeline of issue 7, through plain `Effect.logInfo(message, fields)`:
 * `Fapilog.layer({ sinks: [Sink.file(path)], queue: { capacity: 10_000, policy: "block" },
 * pipeline: Pipeline.compose(Enricher.pipeline({ service: "bench" }), Sampler.byCorrelation({ rate: 1 }),
 * Aggregator.repetitive()) })` — with the layer's default redaction after that pipeline.
 *
 * Workload (`bench/lib/Workload.ts`): requests of 16 lines, each request inside
 * `Logger.withCorrelationId("req-<n>")`, line `i` logged as `Effect.logInfo(MESSAGES[i & 15], { i, user })`
 * — 16 distinct messages per request, so no aggregation key ever repeats and every line is
 * written (the parent checks all N).
 *
 * Timed: from the first `Effect.logInfo` until the layer is released (queue drained, file closed).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Runner from "../lib/Runner.ts"
import * as Workload from "../lib/Workload.ts"

Runner.main(
  "fapilog-full-effect-log",
  ({ events, file }, latency) =>
    Workload.runFull(events, latency, file, () => (message, fields) => Effect.logInfo(message, fields))
)
