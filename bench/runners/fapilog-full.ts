/**
 * effect-fapilog with the full default pipeline of issue 7, through the facade:
 * `Fapilog.layer({ sinks: [Sink.file(path)], queue: { capacity: 10_000, policy: "block" },
 * pipeline: Pipeline.compose(Enricher.pipeline({ service: "bench" }), Sampler.byCorrelation({ rate: 1 }),
 * Aggregator.repetitive()) })` — with the layer's default redaction after that pipeline.
 *
 * Workload (`bench/lib/Workload.ts`): requests of 16 lines, each request inside
 * `Logger.withCorrelationId("req-<n>")`, line `i` logged as `log.info(MESSAGES[i & 15], { i, user })`
 * — 16 distinct messages per request, so no aggregation key ever repeats and every line is
 * written (the parent checks all N).
 *
 * Timed: from the first `log.info` until the layer is released (queue drained, file closed).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { Fapilog, Logger, Sink } from "../../src/index.ts"
import * as Runner from "../lib/Runner.ts"
import * as Workload from "../lib/Workload.ts"

Runner.main("fapilog-full", async ({ events, file }, latency) => {
  const layer = Fapilog.layer({
    sinks: [Sink.file(file)],
    queue: { capacity: 10_000, policy: "block" },
    pipeline: Workload.layerPipeline() // + the layer's default redaction
  })
  const { USER, SAMPLE_MASK, now } = Runner
  const { MESSAGES, PER_REQUEST } = Workload
  let t0 = 0
  const program = Effect.gen(function*() {
    const log = yield* Logger.named("bench")
    const request = (start: number, end: number) =>
      Effect.gen(function*() {
        for (let i = start; i < end; i++) {
          if ((i & SAMPLE_MASK) === 0) {
            const s = now()
            yield* log.info(MESSAGES[i & (PER_REQUEST - 1)]!, { i, user: USER })
            latency.record((now() - s) * 1000)
          } else {
            yield* log.info(MESSAGES[i & (PER_REQUEST - 1)]!, { i, user: USER })
          }
        }
      })
    t0 = now()
    for (let start = 0; start < events; start += PER_REQUEST) {
      yield* Logger.withCorrelationId(Workload.correlationId(start))(
        request(start, Math.min(events, start + PER_REQUEST))
      )
    }
  })
  await Effect.runPromise(program.pipe(Effect.provide(layer)))
  return { wallMs: now() - t0 }
})
