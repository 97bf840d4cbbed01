/**
 * The floor: Effect's `Effect.logInfo(message, fields)` into a no-op `Logger.make(() => {})`
 * that replaces the default loggers. It writes nothing; it measures what `Effect.log` itself
 * costs, which no Effect logger can beat.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Runner from "../lib/Runner.ts"

Runner.main("effect-noop", async ({ events }, latency) => {
  const noop = Logger.make(() => {})
  const layer = Logger.layer([noop])
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
