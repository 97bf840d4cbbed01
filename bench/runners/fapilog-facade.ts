/**
 * effect-fapilog through its facade: `Logger.named("bench")` then `log.info(message, fields)`,
 * under `Fapilog.layer({ sinks: [Sink.file(path)], queue: { capacity: 10_000, policy: "block" } })`.
 * Policy `block` so that nothing is dropped (the parent checks every line is there).
 *
 * Timed: from the first `log.info` until the layer is released (queue drained, file closed).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { Fapilog, Logger, Sink } from "../../src/index.ts"
import * as Runner from "../lib/Runner.ts"

Runner.main("fapilog-facade", async ({ events, file }, latency) => {
  const layer = Fapilog.layer({ sinks: [Sink.file(file)], queue: { capacity: 10_000, policy: "block" } })
  const { MESSAGE, USER, isSampled, now } = Runner
  let t0 = 0
  const program = Effect.gen(function*() {
    const log = yield* Logger.named("bench")
    t0 = now()
    for (let i = 0; i < events; i++) {
      if (isSampled(i)) {
        const s = now()
        yield* log.info(MESSAGE, { i, user: USER })
        latency.record((now() - s) * 1000)
      } else {
        yield* log.info(MESSAGE, { i, user: USER })
      }
    }
  })
  await Effect.runPromise(program.pipe(Effect.provide(layer)))
  return { wallMs: now() - t0 }
})
