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
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Runner from "../lib/Runner.ts"

Runner.main("effect-builtin", async ({ events, file }, latency) => {
  void file
  const layer = Logger.layer([Logger.toFile(Logger.formatJson, file)]).pipe(Layer.provide(NodeFileSystem.layer))
  return { wallMs: await Runner.runEffectLog(events, latency, layer) }
})
