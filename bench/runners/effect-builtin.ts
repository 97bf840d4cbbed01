/**
 * Effect's built-in file logger: `Logger.toFile(Logger.formatJson, path)` (batched writes, default
 * 1 s batch window), replacing the default loggers, with `NodeFileSystem.layer` as its FileSystem.
 * Events are logged with `Effect.logInfo(message, fields)`.
 *
 * Timed: from the first `Effect.logInfo` until the layer is released (final batch written, file
 * closed).
 *
 * @module
 */
import { NodeFileSystem } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Runner from "../lib/Runner.ts"

Runner.main("effect-builtin", async ({ events, file }, latency) => {
  const layer = Logger.layer([Logger.toFile(Logger.formatJson, file)]).pipe(
    Layer.provide(NodeFileSystem.layer)
  )
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
