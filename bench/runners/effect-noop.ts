/**
 * The floor: Effect's `Effect.logInfo(message, fields)` into a no-op `Logger.make(() => {})`
 * that replaces the default loggers. It writes nothing; it measures what `Effect.log` itself
 * costs, which no Effect logger can beat.
 *
 * @module
 */
import * as Logger from "effect/Logger"
import * as Runner from "../lib/Runner.ts"

Runner.main("effect-noop", async ({ events, file }, latency) => {
  void file
  const layer = Logger.layer([Logger.make(() => {})])
  return { wallMs: await Runner.runEffectLog(events, latency, layer) }
})
