/**
 * Builds events at the call site, from the calling fiber (not API).
 *
 * Callers: the facades (`internal/facade.ts`, after the level check, with {@link fromContext})
 * and the layer's Effect logger (`Fapilog.layer`, from Effect's `Logger.Options`). Each `Loggers`
 * instance owns one {@link EventBuilder}, shared by its facades and its Effect logger; a facade
 * built outside a layer owns its own. Two layers never share one.
 *
 * Why an instance with a cache: an event takes annotations, log spans, the correlation region and
 * id, and the `Clock` from the fiber's context. Effect replaces the context object whenever a
 * reference changes, so consecutive calls from the same fiber and region share one lookup: the
 * builder remembers the last context object it read and what it read from it (`docs/benchmarks.md`:
 * "read annotations, spans, correlation id and `Clock` once per fiber context, not per call",
 * facade 0.46 → 0.9 M events/s; measured earlier: no cache ~+400 ns per call, a module `WeakMap`
 * +15–20 ns). The cache belongs to the instance (no module-level state): it keeps at most one
 * context alive, the last one its owner logged from, and is dropped with its owner.
 *
 * Must never: throw for what a caller logs (a getter that throws becomes `"[Throws: …]"`).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import type * as Cause from "effect/Cause"
import type * as Fiber from "effect/Fiber"
import type * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import type { LogEvent } from "../LogEvent.ts"
import * as Event from "./event.ts"
import { isPlainObject } from "./plainRecord.ts"

/** Builds events from fibers, with the last-context cache of its owner (see the module's comment). */
export class EventBuilder {
  private lastContext: unknown = undefined
  private lastFiberContext: Event.FiberContext = Event.fiberContext(undefined, undefined, undefined, undefined, undefined as never)

  /** What an event takes from the fiber's context, read once per distinct context object. */
  contextOf(fiber: Fiber.Fiber<unknown, unknown>): Event.FiberContext {
    const context = fiber.context
    if (context === this.lastContext) return this.lastFiberContext
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    const spans = fiber.getRef(References.CurrentLogSpans)
    const region = fiber.getRef(Event.CurrentRegion)
    const read = Event.fiberContext(
      isEmpty(annotations) ? undefined : annotations,
      spans.length === 0 ? undefined : spans,
      region !== undefined ? region.correlationId : fiber.getRef(Event.CurrentCorrelationId),
      region,
      fiber.getRef(Clock.Clock)
    )
    this.lastContext = context
    this.lastFiberContext = read
    return read
  }

  /**
   * An event from what Effect hands a `Logger`: the first string argument is the message, plain
   * objects among the others are merged into `fields`, other values are kept under `args`. `ctx`:
   * what {@link contextOf} read for `options.fiber`, when the caller already holds it.
   */
  fromOptions(options: Logger.Options<unknown>, logger: string, ctx: Event.FiberContext = this.contextOf(options.fiber)): LogEvent {
    const { message, fields } = splitMessage(options.message)
    const cause = options.cause.reasons.length > 0 ? options.cause : undefined
    const level = options.logLevel as LogLevel.Severity
    return fromContext(ctx, options.fiber, options.date.getTime(), level, message, logger, fields, cause, undefined)
  }
}

/**
 * An event from `ctx`, what {@link EventBuilder.contextOf} read for `fiber` (a caller that
 * already holds it, such as a facade, saves a second lookup), and the fiber's current span.
 */
export const fromContext = (
  ctx: Event.FiberContext,
  fiber: Fiber.Fiber<unknown, unknown>,
  timestamp: number,
  level: LogLevel.Severity,
  message: string,
  logger: string,
  fields: Readonly<Record<string, unknown>> | undefined,
  cause: Cause.Cause<unknown> | undefined,
  template: string | undefined
): LogEvent => {
  const span = fiber.cache.span
  let traceId: string | undefined
  let spanId: string | undefined
  if (span !== undefined && span._tag === "Span") {
    traceId = span.traceId
    spanId = span.spanId
  }
  return new Event.Record(
    timestamp,
    level,
    message,
    logger,
    fields,
    ctx.annotations,
    ctx.spans,
    ctx.correlationId,
    traceId,
    spanId,
    cause,
    template,
    undefined,
    undefined
  )
}

const isEmpty = (record: Readonly<Record<string, unknown>>): boolean => {
  for (const _ in record) return false
  return true
}

const splitMessage = (
  message: unknown
): { message: string; fields: Record<string, unknown> | undefined } => {
  if (!Array.isArray(message)) {
    return typeof message === "string" ? { message, fields: undefined } : { message: "", fields: { args: [message] } }
  }
  if (message.length === 1 && typeof message[0] === "string") return { message: message[0], fields: undefined }
  // the common `Effect.logInfo("text", { ...fields })`: the caller's record is used as is, as the
  // facade does (the redactor and the encoder read it safely; no copy per event)
  if (message.length === 2 && typeof message[0] === "string" && isPlainObject(message[1])) {
    return { message: message[0], fields: message[1] }
  }
  let text: string | undefined
  let fields: Record<string, unknown> | undefined
  let args: Array<unknown> | undefined
  for (let i = 0; i < message.length; i++) {
    const part: unknown = message[i]
    if (text === undefined && typeof part === "string") {
      text = part
    } else if (isPlainObject(part)) {
      // never throws: a getter that throws becomes "[Throws: …]" (a log call must not fail its fiber)
      fields = Event.mergeFields(fields ?? {}, part) as Record<string, unknown>
    } else {
      ;(args ??= []).push(part)
    }
  }
  if (args !== undefined) (fields ??= {}).args = args
  return { message: text ?? "", fields }
}
