/**
 * effect-fapilog: a functional logging layer for Effect programs on Node.js.
 *
 * @since 0.1.0
 */
import * as Fapilog from "./Fapilog.ts"

/** @since 0.1.0 */
export * as Aggregator from "./Aggregator.ts"
/** @since 0.1.0 */
export * as Config from "./Config.ts"
/** @since 0.1.0 */
export * as Encoder from "./Encoder.ts"
/** @since 0.1.0 */
export * as Enricher from "./Enricher.ts"
/** @since 0.1.0 */
export * as Fapilog from "./Fapilog.ts"
/** @since 0.1.0 */
export * as Handle from "./Handle.ts"
/** @since 0.1.0 */
export * as Http from "./Http.ts"
/** @since 0.1.0 */
export * as LogEvent from "./LogEvent.ts"
/** @since 0.1.0 */
export * as Logger from "./Logger.ts"
/** @since 0.1.0 */
export * as Pipeline from "./Pipeline.ts"
/** @since 0.1.0 */
export * as Redactor from "./Redactor.ts"
/** @since 0.1.0 */
export * as Sampler from "./Sampler.ts"
/** @since 0.1.0 */
export * as Sink from "./Sink.ts"
/** @since 0.1.0 */
export * as Worker from "./Worker.ts"

/**
 * `Fapilog.live`: options from the environment, JSON on stdout by default.
 *
 * @example A named logger with the default layer
 * ```ts
 * import { Effect } from "effect"
 * import { FapilogLive, Logger } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const log = yield* Logger.named("app")
 *   yield* log.info("started")
 * }).pipe(Effect.provide(FapilogLive))
 * ```
 *
 * @since 0.1.0
 */
export const FapilogLive = Fapilog.live
