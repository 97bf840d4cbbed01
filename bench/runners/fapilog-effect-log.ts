/**
 * effect-fapilog through plain `Effect.logInfo(message, fields)` under
 * `Fapilog.layer({ sinks: [Sink.file(path)], queue: { capacity: 10_000, policy: "block" } })`
 * (the layer installs its logger in place of Effect's default ones).
 *
 * Timed: from the first `Effect.logInfo` until the layer is released (queue drained, file closed).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { Fapilog, Sink } from "../../src/index.ts"
import * as Runner from "../lib/Runner.ts"

Runner.main("fapilog-effect-log", async ({ events, file }, latency) => {
  const layer = Fapilog.layer({ sinks: [Sink.file(file)], queue: { capacity: 10_000, policy: "block" } })
  const { MESSAGE, USER, SAMPLE_MASK, now } = Runner
  let t0 = 0
  const program = Effect.gen(function*() {
    t0 = now()
    for (let i = 0; i < events; i++) {
      if ((i & SAMPLE_MASK) === 0) {
        const s = now()
        yield* Effect.logInfo(MESSAGE, { i, user: USER })
        latency.record((now() - s) * 1000)
      } else {
        yield* Effect.logInfo(MESSAGE, { i, user: USER })
      }
    }
  })
  await Effect.runPromise(program.pipe(Effect.provide(layer)))
  return { wallMs: now() - t0 }
})
