/**
 * effect-fapilog through plain `Effect.logInfo(message, fields)` under
 * `Fapilog.layer({ sinks: [Sink.file(path)], queue: { capacity: 10_000, policy: "block" } })`
 * (the layer installs its logger in place of Effect's default ones).
 *
 * Timed: from the first `Effect.logInfo` until the layer is released (queue drained, file closed).
 *
 * @module
 */
import { Fapilog, Sink } from "../../src/index.ts"
import * as Runner from "../lib/Runner.ts"

Runner.main("fapilog-effect-log", async ({ events, file }, latency) => {
  void file
  const layer = Fapilog.layer({ sinks: [Sink.file(file)], queue: { capacity: 10_000, policy: "block" } })
  return { wallMs: await Runner.runEffectLog(events, latency, layer) }
})
