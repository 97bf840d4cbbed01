/**
 * The Effect → pino bridge: what many Effect users write today to log through pino — a
 * `Logger.make` that forwards the message (strings joined, objects merged as fields), the
 * annotations and the log spans (as `spans: { label: ms }`) to a pino logger on pino's async
 * destination. Used by the matrix runner and the service benchmark.
 *
 * @module
 */
import * as EffectLogger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import { once } from "node:events"
import { pino } from "pino"

const pinoLevel: Record<LogLevel.LogLevel, "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent"> = {
  All: "trace",
  Fatal: "fatal",
  Error: "error",
  Warn: "warn",
  Info: "info",
  Debug: "debug",
  Trace: "trace",
  None: "silent"
}

/**
 * A `Logger.make` forwarding every event to `logger`.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as EffectLogger from "effect/Logger"
 * import { pino } from "pino"
 * import * as Bridge from "./Bridge.ts"
 * const program = Effect.logInfo("hi").pipe(Effect.provide(EffectLogger.layer([Bridge.logger(pino())])))
 * ```
 */
export const logger = (target: pino.Logger): EffectLogger.Logger<unknown, void> =>
  EffectLogger.make(({ date, fiber, logLevel, message }) => {
    const fields: Record<string, unknown> = {}
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    for (const key in annotations) fields[key] = annotations[key]
    const spans = fiber.getRef(References.CurrentLogSpans)
    if (spans.length > 0) {
      const at = date.getTime()
      const out: Record<string, number> = {}
      for (const [label, start] of spans) out[label] = at - start
      fields["spans"] = out
    }
    let text = ""
    for (const part of Array.isArray(message) ? message : [message]) {
      if (typeof part === "object" && part !== null) Object.assign(fields, part)
      else text = text === "" ? String(part) : `${text} ${String(part)}`
    }
    target[pinoLevel[logLevel]](fields, text)
  })

/** pino's async destination on `file` (`sync: false, minLength: 4096`), once it is ready. */
export const destination = async (file: string): Promise<ReturnType<typeof pino.destination>> => {
  const dest = pino.destination({ dest: file, sync: false, minLength: 4096 })
  await once(dest, "ready")
  return dest
}

/** Ends `dest` and resolves once it has flushed and closed its file. */
export const close = async (dest: ReturnType<typeof pino.destination>): Promise<void> => {
  const closed = once(dest, "close")
  dest.end()
  await closed
}
