/**
 * Sampling operators for the pipeline: request-aware (consistent per correlation id, agreeing
 * with OpenTelemetry trace sampling), error-triggered tail sampling, zap-style burst sampling,
 * and adaptive sampling toward a target throughput.
 *
 * Every operator is a `Stream<LogEvent> => Stream<LogEvent>` stage. State is allocated each time
 * an operator is applied to a stream, so one operator value can be shared by several facades.
 * Operators forward control events unchanged and in order, read time only from `Clock` (or from
 * event timestamps, which come from `Clock`), never drop events at level Error or above, and
 * report every drop to the worker's {@link Pipeline.Counters}:
 *
 * | reason | by |
 * | --- | --- |
 * | `"sampled out"` | {@link byCorrelation} / {@link tail}: dropped by the rate, or a quiet request's buffer discarded |
 * | `"tail buffer overflow"` | {@link tail}: a bound on buffered events or requests was hit |
 * | `"tail buffer expired"` | {@link tail}: a buffer was held longer than `maxAge` |
 * | `"sampled out (burst)"` | {@link burst} |
 * | `"sampled out (adaptive)"` | {@link adaptive} |
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as LogEvent from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * Bounds of the error-triggered tail buffers. All optional.
 *
 * - `maxEventsPerRequest` (default 100): beyond it, the request's oldest held event is dropped.
 * - `maxRequests` (default 10,000): beyond it, the oldest request's whole buffer is dropped.
 * - `maxBufferedEvents` (default 100,000): total across requests; beyond it, the oldest request's
 *   whole buffer is dropped.
 * - `maxAge` (default 30 seconds, measured with `Clock` from the first held event): an older
 *   buffer is dropped, checked lazily whenever events arrive (no timer).
 *
 * Drops caused by the first three are counted as `"tail buffer overflow"`, by age as
 * `"tail buffer expired"`. The ids of requests that logged an error (whose later events are kept)
 * are remembered until their `CorrelationEnd`, at most about `2 × maxRequests` of them.
 *
 * @example Longer request buffers, held for a minute
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const tail: Sampler.TailOptions = { maxEventsPerRequest: 200, maxRequests: 5_000, maxAge: "1 minute" }
 * const sampler = Sampler.byCorrelation({ rate: 0.05, tail })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TailOptions {
  readonly maxEventsPerRequest?: number | undefined
  readonly maxRequests?: number | undefined
  readonly maxBufferedEvents?: number | undefined
  readonly maxAge?: Duration.Input | undefined
}

/**
 * Options of {@link byCorrelation}.
 *
 * - `rate`: the fraction of correlation ids (requests) kept, in [0, 1].
 * - `fallbackRate` (default 1): per-event keep probability for events with neither a correlation
 *   id nor a trace id, drawn from Effect's `Random` service (seed it with `Random.withSeed`).
 * - `tail`: hold the events of requests the rate drops and release them if the request logs an
 *   error (`true` for default bounds, or {@link TailOptions}).
 * - `mark` (default true): add `_sampled: true` and `_sample_rate` to kept events.
 *
 * @example A tenth of the requests, half of the other events, no marks
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * // 10% of requests, half of the events outside any request, errors always, no `_sampled` marks
 * const options: Sampler.ByCorrelationOptions = { rate: 0.1, fallbackRate: 0.5, tail: true, mark: false }
 * const sampler = Sampler.byCorrelation(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ByCorrelationOptions {
  readonly rate: number
  readonly fallbackRate?: number | undefined
  readonly tail?: boolean | TailOptions | undefined
  readonly mark?: boolean | undefined
}

/**
 * Options of {@link tail} used on its own: {@link TailOptions} plus the base `rate` at which
 * requests are kept without an error (default 0: keep only requests that log an error).
 *
 * @example One quiet request in a hundred, and every failed one
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * // keep 1% of quiet requests, and every request that logs an error
 * const options: Sampler.TailSamplerOptions = { rate: 0.01, maxEventsPerRequest: 50, maxAge: "10 seconds" }
 * const sampler = Sampler.tail(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TailSamplerOptions extends TailOptions {
  readonly rate?: number | undefined
  readonly fallbackRate?: number | undefined
  readonly mark?: boolean | undefined
}

/**
 * Options of {@link burst} (zap's sampler): per (level, message) and per `tick` (default 1
 * second), the `first` events pass, then every `thereafter`-th; `thereafter: 0` drops the rest.
 * `maxKeys` (default 4096) bounds the tracked keys; events of keys beyond it pass unsampled.
 *
 * @example Five a second, then every fiftieth
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * // per level and message: 5 per second, then every 50th
 * const options: Sampler.BurstOptions = { first: 5, thereafter: 50, tick: "1 second", maxKeys: 1024 }
 * const stage = Sampler.burst(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BurstOptions {
  readonly first: number
  readonly thereafter: number
  readonly tick?: Duration.Input | undefined
  readonly maxKeys?: number | undefined
}

/**
 * Options of {@link adaptive}.
 *
 * - `targetPerSecond`: the output rate (events below Error per second) to aim for.
 * - `window` (default 1 second): how often the rate is re-computed.
 * - `minRate` (default 0.0001): the rate never goes below it.
 * - `name`: value of the `sampler` attribute on the rate gauge, to tell samplers apart.
 * - `mark` (default true): add `_sampled: true` and `_sample_rate` to kept events.
 *
 * @example About a thousand events a second, never less than 1%
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const options: Sampler.AdaptiveOptions = { targetPerSecond: 1_000, window: "5 seconds", minRate: 0.01, name: "api" }
 * const sampler = Sampler.adaptive(options)
 * console.log(sampler.currentRate()) // => 1
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface AdaptiveOptions {
  readonly targetPerSecond: number
  readonly window?: Duration.Input | undefined
  readonly minRate?: number | undefined
  readonly name?: string | undefined
  readonly mark?: boolean | undefined
}

/**
 * A request-aware sampler: a pipeline stage that can also report what its tail buffers hold.
 *
 * `buffered()` sums over every stream the sampler is currently applied to.
 *
 * @example Reading what the tail buffers hold
 * ```ts
 * import { Fapilog } from "effect-fapilog"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const sampler: Sampler.Sampler = Sampler.byCorrelation({ rate: 0.1, tail: true })
 * const layer = Fapilog.layer({ pipeline: sampler })
 * // what the tail buffers hold right now: nothing yet, as no event has been logged
 * console.log(sampler.buffered()) // => { requests: 0, events: 0 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Sampler {
  <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>): Stream.Stream<LogEvent.LogEvent, E, R>
  readonly buffered: () => { readonly requests: number; readonly events: number }
}

/**
 * An adaptive sampler: a pipeline stage that can also report its current keep-rate.
 *
 * `currentRate()` is the rate most recently computed by any stream the sampler is applied to
 * (1 before the first window closes).
 *
 * @example Logging the current keep-rate
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog } from "effect-fapilog"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const sampler: Sampler.AdaptiveSampler = Sampler.adaptive({ targetPerSecond: 500 })
 * const layer = Fapilog.layer({ pipeline: sampler })
 * const report = Effect.suspend(() => Effect.logInfo(`keeping ${sampler.currentRate() * 100}% of events`))
 * console.log(sampler.currentRate()) // => 1
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface AdaptiveSampler {
  <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>): Stream.Stream<LogEvent.LogEvent, E, R>
  readonly currentRate: () => number
}

/**
 * A per-region override of request-aware sampling, carried by the log annotation
 * {@link ruleAnnotation} (set with {@link withRule}, or by the HTTP middleware's path rules):
 *
 * - `"always"`: {@link byCorrelation} and {@link tail} keep the event whatever the rate, marked
 *   `_sampled: true, _sample_rate: 1, _sample_reason: "rule"`;
 * - `"never"`: the event is sampled as if the rate were 0 — dropped, except events at level Error
 *   or above, and (with `tail`) held so that a request that then logs an error is still kept
 *   whole.
 *
 * @example Health checks sampled as if the rate were 0
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const rule: Sampler.Rule = "never"
 * // byCorrelation and tail treat these lines as rate 0 (errors are still kept)
 * const healthCheck = Effect.logInfo("health ok").pipe(Sampler.withRule(rule))
 *
 * // the events of such a region carry the rule: even at rate 1, only the error is kept
 * const annotations = { [Sampler.ruleAnnotation]: rule }
 * const events = Stream.make(
 *   LogEvent.make({ timestamp: 0, level: "Info", message: "health ok", logger: "app", correlationId: "r", annotations }),
 *   LogEvent.make({ timestamp: 1, level: "Error", message: "db down", logger: "app", correlationId: "r", annotations })
 * )
 * const kept = Effect.runSync(Stream.runCollect(events.pipe(Sampler.byCorrelation({ rate: 1 }))))
 * console.log(kept.map((e) => e.message)) // => [ 'db down' ]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Rule = "always" | "never"

// -----------------------------------------------------------------------------
// decision
// -----------------------------------------------------------------------------

/**
 * Whether `id` is a W3C trace id: 32 hex digits (either case), not all zero.
 *
 * @example A trace id, a request id and the invalid all-zero trace id
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * console.log(Sampler.isTraceId("4bf92f3577b34da6a3ce929d0e0e4736")) // => true
 * console.log(Sampler.isTraceId("req-1")) // => false
 * console.log(Sampler.isTraceId("0".repeat(32))) // => false
 * ```
 *
 * @since 0.1.0
 * @category decision
 */
export const isTraceId = (id: string): boolean => id.length === 32 && traceIdPattern.test(id) && !zeroTraceId.test(id)

/**
 * The 64-bit hash used for ids that are not trace ids: FNV-1a 64 over the id's UTF-8 bytes
 * (lone surrogates encoded as U+FFFD, like `TextEncoder`), followed by the splitmix64 finalizer
 * (`z ^= z >>> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >>> 27; z *= 0x94d049bb133111eb;
 * z ^= z >>> 31`, all mod 2^64) so that every input bit affects the low 56 bits.
 *
 * @example Hashing a request id
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * // the same in every process and every language that implements it
 * console.log(Sampler.hash64("req-1").toString(16)) // => a2881c3268a7392
 * ```
 *
 * @since 0.1.0
 * @category decision
 */
export const hash64 = (id: string): bigint => fnvSplitmix(id)

/**
 * The 56-bit randomness `R` the decision for `id` compares with the threshold: the low 56 bits
 * (last 14 hex digits) of the id when it is a W3C trace id, otherwise the low 56 bits of
 * {@link hash64}.
 *
 * @example Of a trace id, and of any other id
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * // a trace id's last 14 hex digits
 * console.log(Sampler.randomness("4bf92f3577b34da6a3ce929d0e0e4736").toString(16)) // => ce929d0e0e4736
 * // the low 56 bits of any other id's hash
 * console.log(Sampler.randomness("req-1") === (Sampler.hash64("req-1") & (2n ** 56n - 1n))) // => true
 * ```
 *
 * @since 0.1.0
 * @category decision
 */
export const randomness = (id: string): bigint => computeR(id)

/**
 * The rejection threshold of a rate, as in OpenTelemetry consistent probability sampling:
 * `2^56 − round(rate × 2^56)`. An id is kept when its {@link randomness} is at least this.
 *
 * @example The thresholds of a few rates, and the decision they make
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * console.log(Sampler.threshold(1)) // => 0n
 * console.log(Sampler.threshold(0.5) === 2n ** 55n) // => true
 * console.log(Sampler.threshold(0) === 2n ** 56n) // => true
 * // what Sampler.decide("req-3", 0.5) computes
 * console.log(Sampler.randomness("req-3") >= Sampler.threshold(0.5)) // => true
 * ```
 *
 * @since 0.1.0
 * @category decision
 */
export const threshold = (rate: number): bigint => {
  checkRate(rate, "rate")
  return MAX_ADJUSTED - BigInt(Math.round(rate * 2 ** 56))
}

/**
 * The sampling decision for a correlation id at `rate`: a pure function, identical in every
 * process and every language that implements the documented algorithm. A higher rate keeps a
 * superset of the ids a lower rate keeps; rate 1 keeps every id and rate 0 none.
 *
 * @example Deciding which requests to keep
 * ```ts
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const ids = ["req-1", "req-2", "req-3", "req-4"]
 * console.log(ids.filter((id) => Sampler.decide(id, 0.5))) // => [ 'req-3', 'req-4' ]
 * // a lower rate keeps a subset of those, a higher one a superset
 * console.log(ids.filter((id) => Sampler.decide(id, 0.2))) // => [ 'req-3' ]
 * console.log(ids.filter((id) => Sampler.decide(id, 1))) // => [ 'req-1', 'req-2', 'req-3', 'req-4' ]
 * ```
 *
 * @since 0.1.0
 * @category decision
 */
export const decide = (id: string, rate: number): boolean => randomness(id) >= threshold(rate)

/**
 * The log annotation that carries a sampling {@link Rule}: `"_sample_rule"`.
 *
 * @example Annotating a line by hand
 * ```ts
 * import { Effect } from "effect"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * console.log(Sampler.ruleAnnotation) // => _sample_rule
 * // the same as `Sampler.withRule("always")`
 * const kept = Effect.logInfo("audit").pipe(Effect.annotateLogs(Sampler.ruleAnnotation, "always"))
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const ruleAnnotation = "_sample_rule"

/**
 * Applies a sampling {@link Rule} to everything logged inside `self`: it annotates the region's
 * logs with `_sample_rule` (see {@link ruleAnnotation}), which {@link byCorrelation} and
 * {@link tail} honour over their rate. The annotation is an ordinary log annotation, so it is
 * also written with the events.
 *
 * Dual: `withRule(rule)(self)` or `withRule(self, rule)`.
 *
 * @example Keeping every line of an audited region
 * ```ts
 * import { Effect, References } from "effect"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * // every line of this region is kept, whatever the sampling rate
 * const audited = Effect.logInfo("refund issued").pipe(Sampler.withRule("always"))
 *
 * // the region's log annotations, which its events carry
 * const annotations = Effect.service(References.CurrentLogAnnotations).pipe(Sampler.withRule("always"))
 * console.log(Effect.runSync(annotations)) // => { _sample_rule: 'always' }
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const withRule: {
  (rule: Rule): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, rule: Rule): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, rule: Rule): Effect.Effect<A, E, R> =>
  Effect.annotateLogs(self, ruleAnnotation, rule))

// -----------------------------------------------------------------------------
// operators
// -----------------------------------------------------------------------------

/**
 * The dual of an operator whose data-last form is a value in its own right: `make(options)`
 * validates the options at once (a `RangeError` at construction) and returns the stream function,
 * which may carry observation methods (`buffered`, `currentRate`); the data-first form is that
 * value applied: `op(self, options)` is `make(options)(self)`. `Function.dual` cannot serve
 * here: its data-last form is a closure that would defer validation and drop those methods.
 * Data-first is chosen as in `dual` with a predicate: the first argument is a `Stream`.
 */
const operator = <O extends ReadonlyArray<unknown>>(
  make: (...options: O) => (self: Stream.Stream<LogEvent.LogEvent, any, any>) => Stream.Stream<LogEvent.LogEvent, any, any>
): never =>
  function(...args: Array<any>) {
    if (!Stream.isStream(args[0])) return make(...(args as unknown as O))
    return make(...(args.slice(1) as unknown as O))(args[0] as Stream.Stream<LogEvent.LogEvent, any, any>)
  } as never

/**
 * Request-aware sampling: one decision per correlation id ({@link decide}), applied to every
 * event of that id, so a request's lines are all kept or all dropped — in this process and in
 * every service that samples the same id at the same rate.
 *
 * The id of an event is its `correlationId`, or else its `traceId` (the current Effect span).
 * Events with neither fall back to `fallbackRate` per event (default 1, drawn from `Random`).
 * Events at level Error or above are never dropped; when the rate would have dropped them they
 * are marked `_sample_reason: "error"`. Kept events get `_sampled: true` and `_sample_rate`.
 * With `tail`, events the rate drops are held per request and released if the request logs an
 * error (see {@link tail}). Drops are counted as `"sampled out"`. A sampling {@link Rule} in the
 * event's annotations (see {@link withRule}; the HTTP middleware sets it from path rules)
 * overrides the rate: `"always"` keeps, `"never"` samples as rate 0.
 *
 * Dual: `byCorrelation(options)` or `byCorrelation(stream, options)`. Throws a `RangeError` at
 * construction when a rate is outside [0, 1].
 *
 * @example Half of the requests, each kept or dropped whole
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const event = (message: string, correlationId: string, level: "Info" | "Error" = "Info") =>
 *   LogEvent.make({ timestamp: 0, level, message, logger: "app", correlationId })
 * const sampled = Stream.make(
 *   event("a", "req-1"), event("b", "req-3"), event("c", "req-1", "Error"), event("d", "req-3")
 * ).pipe(Sampler.byCorrelation({ rate: 0.5 }))
 * const kept = Effect.runSync(Stream.runCollect(sampled))
 * // req-3 is kept at rate 0.5, req-1 is not: only its error is
 * console.log(kept.map((e) => `${e.message} ${JSON.stringify(e.annotations)}`)) // => [ 'b {"_sampled":true,"_sample_rate":0.5}', 'c {"_sampled":true,"_sample_rate":0.5,"_sample_reason":"error"}', 'd {"_sampled":true,"_sample_rate":0.5}' ]
 * ```
 *
 * @since 0.1.0
 * @category operators
 */
export const byCorrelation: {
  (options: ByCorrelationOptions): Sampler
  <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>, options: ByCorrelationOptions): Stream.Stream<LogEvent.LogEvent, E, R>
} = operator((options: ByCorrelationOptions) => sampler(makeConfig(options)))

/**
 * Error-triggered tail sampling on its own: events of requests that the base `rate` (default
 * 0) drops are held per correlation id. If the request then logs an event at level Error or
 * above, the held events are emitted in order (marked `_sample_reason: "error"`), then the
 * error, and the rest of the request is kept. When the request ends (a `CorrelationEnd` control
 * event) or the stream ends, its held events are discarded and counted as `"sampled out"`.
 *
 * A `Flush` barrier does not release held events: they are deliberately waiting for the
 * request's outcome. Buffers are bounded (see {@link TailOptions}); overflow is counted.
 *
 * Dual: `tail(options)` or `tail(stream, options)`.
 *
 * @example A failed request kept whole, a quiet one dropped
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const sampler = Sampler.tail({ maxEventsPerRequest: 50 })
 * const out = Stream.make(
 *   LogEvent.make({ timestamp: 0, level: "Info", message: "start", logger: "app", correlationId: "r" }),
 *   LogEvent.make({ timestamp: 1, level: "Info", message: "quiet", logger: "app", correlationId: "q" }),
 *   LogEvent.make({ timestamp: 2, level: "Error", message: "boom", logger: "app", correlationId: "r" })
 * ).pipe(sampler)
 * const kept = Effect.runSync(Stream.runCollect(out))
 * console.log(kept.map((e) => `${e.message} ${LogEvent.get(e, "_sample_reason")}`)) // => [ 'start error', 'boom error' ]
 * ```
 *
 * @since 0.1.0
 * @category operators
 */
export const tail: {
  (options?: TailSamplerOptions): Sampler
  <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>, options?: TailSamplerOptions): Stream.Stream<LogEvent.LogEvent, E, R>
} = operator((o?: TailSamplerOptions) =>
  sampler(makeConfig({ rate: o?.rate ?? 0, fallbackRate: o?.fallbackRate, mark: o?.mark, tail: o ?? true }))
)

/**
 * Burst sampling with zap's semantics: per (level, message template or message) and per tick
 * window starting at the key's first event, the first `first` events pass, then every
 * `thereafter`-th; with `thereafter: 0` the rest of the tick is dropped. Windows are measured
 * on event timestamps (which come from `Clock`). Events at level Error or above always pass and
 * are not counted. Drops are counted as `"sampled out (burst)"`.
 *
 * Dual: `burst(options)` or `burst(stream, options)`. Throws a `RangeError` at construction
 * when `first` or `thereafter` is negative.
 *
 * @example Two of the same line, then every third
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * // ten "tick"s within one second: the 1st, 2nd, 5th and 8th pass
 * const events = Stream.range(0, 9).pipe(
 *   Stream.map((i) => LogEvent.make({ timestamp: i * 100, level: "Info", message: "tick", logger: "app" }))
 * )
 * const limited = events.pipe(Sampler.burst({ first: 2, thereafter: 3, tick: "1 second" }))
 * console.log(Effect.runSync(Stream.runCollect(limited)).map((e) => e.timestamp)) // => [ 0, 100, 400, 700 ]
 * ```
 *
 * @since 0.1.0
 * @category operators
 */
export const burst: {
  (options: BurstOptions): Pipeline.Pipeline
  <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>, options: BurstOptions): Stream.Stream<LogEvent.LogEvent, E, R>
} = operator((options: BurstOptions): Pipeline.Pipeline => {
  const config = makeBurstConfig(options)
  return (self) => burstStream(self, config)
})

/**
 * Adaptive sampling: every `window` (measured on event timestamps, which come from `Clock`) the
 * sampler estimates the incoming rate of events below Error and sets its keep-rate to
 * `targetPerSecond / estimate`, capped to [`minRate`, 1]. The estimate jumps at once to a higher
 * observed rate (a flood is damped from the next window on) and otherwise halves its distance
 * to the observed rate each window (no oscillation when the load drops). Within a window, events are kept by a deterministic error-diffusion counter
 * (exactly `rate` of them, evenly spread), not per request: put {@link byCorrelation} first if
 * whole requests must be kept together.
 *
 * Errors and above always pass (and are not counted toward the target). The current rate is
 * published to the gauge `fapilog_sampler_adaptive_rate` (attribute `sampler` = `name` when
 * given) and returned by `currentRate()`. Kept events get `_sampled: true` and `_sample_rate`
 * (multiplied by an earlier `_sample_rate`, so it remains the event's overall keep probability).
 * Drops are counted as `"sampled out (adaptive)"`.
 *
 * Dual: `adaptive(options)` or `adaptive(stream, options)`; only the data-last value has
 * `currentRate()`.
 *
 * @example Four events a second brought down to two
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const sampler = Sampler.adaptive({ targetPerSecond: 2, window: "1 second" })
 * console.log(sampler.currentRate()) // => 1
 * // one event every 250 ms: the first window is kept whole, then half of each window
 * const events = Stream.range(0, 11).pipe(
 *   Stream.map((i) => LogEvent.make({ timestamp: i * 250, level: "Info", message: `e${i}`, logger: "app" }))
 * )
 * const kept = Effect.runSync(Stream.runCollect(events.pipe(sampler)))
 * console.log(kept.map((e) => e.message).join(" ")) // => e0 e1 e2 e3 e5 e7 e9 e11
 * console.log(sampler.currentRate()) // => 0.5
 * ```
 *
 * @since 0.1.0
 * @category operators
 */
export const adaptive: {
  (options: AdaptiveOptions): AdaptiveSampler
  <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>, options: AdaptiveOptions): Stream.Stream<LogEvent.LogEvent, E, R>
} = operator((options: AdaptiveOptions): AdaptiveSampler => {
  const config = makeAdaptiveConfig(options)
  const shared = { rate: 1 }
  const f = <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>) => adaptiveStream(self, config, shared)
  return Object.assign(f, { currentRate: () => shared.rate })
})

/**
 * The gauge adaptive samplers publish their current keep-rate to.
 *
 * @example Reading one sampler's rate from the gauge
 * ```ts
 * import { Effect, Metric, Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sampler from "effect-fapilog/Sampler"
 *
 * const sampler = Sampler.adaptive({ targetPerSecond: 2, name: "api" })
 * const rate = Metric.value(Metric.withAttributes(Sampler.adaptiveRateGauge, { sampler: "api" })).pipe(
 *   Effect.map((state) => state.value)
 * )
 * // four events a second for two seconds, then the gauge
 * const events = Stream.range(0, 7).pipe(
 *   Stream.map((i) => LogEvent.make({ timestamp: i * 250, level: "Info", message: "hi", logger: "app" }))
 * )
 * console.log(Effect.runSync(Stream.runDrain(events.pipe(sampler)).pipe(Effect.andThen(rate)))) // => 0.5
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const adaptiveRateGauge: Metric.Gauge<number> = Metric.gauge("fapilog_sampler_adaptive_rate", {
  description: "Current keep-rate of the adaptive log sampler"
})

// -----------------------------------------------------------------------------
// internal: decision arithmetic
// -----------------------------------------------------------------------------

const MAX_ADJUSTED = 1n << 56n
const MASK_56 = MAX_ADJUSTED - 1n
const traceIdPattern = /^[0-9a-fA-F]{32}$/
const zeroTraceId = /^0{32}$/
const FNV_OFFSET = 0xcbf29ce484222325n
const FNV_PRIME = 0x100000001b3n
// stateless; encodes lone surrogates as U+FFFD, as documented for `hash64`
const utf8 = new TextEncoder()

/**
 * FNV-1a 64 over the UTF-8 bytes of `id`, then the splitmix64 finalizer, in plain BigInt
 * arithmetic. A hand-rolled version in 32-bit halves was no faster: 100,000 distinct 30-character
 * ids took 340-450 ms with it and 285-415 ms with this, same process, interleaved, on a loaded
 * machine; decisions are cached per id, so this runs once per request.
 */
const fnvSplitmix = (id: string): bigint => {
  const bytes = utf8.encode(id)
  let h = FNV_OFFSET
  for (let i = 0; i < bytes.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(bytes[i]!)) * FNV_PRIME)
  h = BigInt.asUintN(64, (h ^ (h >> 30n)) * 0xbf58476d1ce4e5b9n)
  h = BigInt.asUintN(64, (h ^ (h >> 27n)) * 0x94d049bb133111ebn)
  return h ^ (h >> 31n)
}

/** R: the trace id's last 14 hex digits, or the low 56 bits of the hash. */
const computeR = (id: string): bigint =>
  isTraceId(id) ? BigInt("0x" + id.slice(18, 32)) : fnvSplitmix(id) & MASK_56

const checkRate = (rate: number, name: string): void => {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`Sampler: ${name} must be in [0, 1], got ${rate}`)
}

const checkPositive = (n: number, name: string): void => {
  if (!(n >= 1)) throw new RangeError(`Sampler: ${name} must be at least 1, got ${n}`)
}

/** A decision function for one rate, threshold precomputed, with a bounded cache. */
const makeDecider = (rate: number): (id: string) => boolean => {
  if (rate >= 1) return () => true
  if (rate <= 0) return () => false
  const t = threshold(rate)
  const cache = new GenerationalCache<boolean>(DECISION_CACHE)
  let lastId: string | undefined
  let lastKeep = false
  return (id) => {
    if (id === lastId) return lastKeep
    let keep = cache.get(id)
    if (keep === undefined) {
      keep = computeR(id) >= t
      cache.set(id, keep)
    }
    lastId = id
    lastKeep = keep
    return keep
  }
}

const DECISION_CACHE = 8192

/**
 * A bounded map that keeps between `size` and `2 × size` recent entries: when the current
 * generation is full it becomes the previous one (the older generation is dropped whole). O(1)
 * per operation, unlike evicting a `Map`'s first key, which V8 makes slower as deletions pile up.
 */
class GenerationalCache<A> {
  private current = new Map<string, A>()
  private previous = new Map<string, A>()
  private readonly size: number
  constructor(size: number) {
    this.size = size
  }
  get(key: string): A | undefined {
    const hit = this.current.get(key)
    if (hit !== undefined) return hit
    const old = this.previous.get(key)
    if (old !== undefined) this.set(key, old)
    return old
  }
  has(key: string): boolean {
    return this.get(key) !== undefined
  }
  set(key: string, value: A): void {
    if (this.current.size >= this.size) {
      this.previous = this.current
      this.current = new Map()
    }
    this.current.set(key, value)
  }
  delete(key: string): void {
    this.current.delete(key)
    this.previous.delete(key)
  }
}

// -----------------------------------------------------------------------------
// internal: stream plumbing
// -----------------------------------------------------------------------------

interface Env {
  readonly counters: Pipeline.CountersShape
  readonly clock: Clock.Clock
  readonly random: Random.Random
  readonly context: Context.Context<never>
}

interface Stage {
  /** Appends to `out` what `chunk` yields. */
  readonly chunk: (chunk: ReadonlyArray<LogEvent.LogEvent>, out: Array<LogEvent.LogEvent>) => void
  /** Runs once when the stream ends, fails or is interrupted. */
  readonly end?: (() => void) | undefined
}

/** Applies a per-application stateful stage, chunk by chunk; empty outputs pull again. */
const stateful = <E, R>(
  self: Stream.Stream<LogEvent.LogEvent, E, R>,
  make: (env: Env) => Stage
): Stream.Stream<LogEvent.LogEvent, E, R> =>
  Stream.transformPull(self, (pull, scope) =>
    Effect.gen(function*() {
      const env: Env = {
        counters: yield* Pipeline.Counters,
        clock: yield* Clock.Clock,
        random: yield* Random.Random,
        context: yield* Effect.context<never>()
      }
      const stage = make(env)
      const end = stage.end
      if (end !== undefined) yield* Scope.addFinalizer(scope, Effect.sync(end))
      const loop: typeof pull = Effect.flatMap(pull, (chunk) => {
        const out: Array<LogEvent.LogEvent> = []
        stage.chunk(chunk, out)
        return out.length === 0 ? loop : Effect.succeed(out as unknown as typeof chunk)
      })
      return loop
    }))

/**
 * A stage that decides event by event: what no sampler drops ({@link neverSampled}) passes as is;
 * every other event is handed to `sample`, which returns what to emit for it (the event, maybe
 * marked) or `undefined` to drop it. Drops are counted under `reason`, once per chunk.
 */
const perEvent = (
  counters: Pipeline.CountersShape,
  reason: string,
  sample: (event: LogEvent.LogEvent) => LogEvent.LogEvent | undefined
): Stage => ({
  chunk: (chunk, out) => {
    let dropped = 0
    for (let i = 0; i < chunk.length; i++) {
      const event = chunk[i]!
      const kept = neverSampled(event) ? event : sample(event)
      if (kept === undefined) dropped++
      else out.push(kept)
    }
    if (dropped > 0) counters.dropped(reason, dropped)
  }
})

// -----------------------------------------------------------------------------
// internal: byCorrelation / tail
// -----------------------------------------------------------------------------

interface Config {
  readonly rate: number
  readonly fallbackRate: number
  readonly mark: boolean
  readonly tail: TailConfig | undefined
  readonly keptMarks: Readonly<Record<string, unknown>>
  readonly errorMarks: Readonly<Record<string, unknown>>
  readonly fallbackMarks: Readonly<Record<string, unknown>>
  readonly ruleMarks: Readonly<Record<string, unknown>>
}

interface TailConfig {
  readonly maxEventsPerRequest: number
  readonly maxRequests: number
  readonly maxBufferedEvents: number
  readonly maxAgeMillis: number
}

interface Stats {
  requests: number
  events: number
}

interface Held {
  readonly id: string
  readonly events: Array<LogEvent.LogEvent>
  readonly since: number
}

const makeConfig = (options: ByCorrelationOptions): Config => {
  checkRate(options.rate, "rate")
  const fallbackRate = options.fallbackRate ?? 1
  checkRate(fallbackRate, "fallbackRate")
  const t = options.tail
  let tail: TailConfig | undefined
  if (t !== undefined && t !== false) {
    const o: TailOptions = t === true ? {} : t
    const maxBufferedEvents = o.maxBufferedEvents ?? 100_000
    const maxEventsPerRequest = Math.min(o.maxEventsPerRequest ?? 100, maxBufferedEvents)
    const maxRequests = o.maxRequests ?? 10_000
    checkPositive(maxBufferedEvents, "maxBufferedEvents")
    checkPositive(maxEventsPerRequest, "maxEventsPerRequest")
    checkPositive(maxRequests, "maxRequests")
    tail = {
      maxEventsPerRequest,
      maxRequests,
      maxBufferedEvents,
      maxAgeMillis: Duration.toMillis(o.maxAge ?? "30 seconds")
    }
  }
  return {
    rate: options.rate,
    fallbackRate,
    mark: options.mark ?? true,
    tail,
    keptMarks: { _sampled: true, _sample_rate: options.rate },
    errorMarks: { _sampled: true, _sample_rate: options.rate, _sample_reason: "error" },
    fallbackMarks: { _sampled: true, _sample_rate: fallbackRate },
    ruleMarks: { _sampled: true, _sample_rate: 1, _sample_reason: "rule" }
  }
}

const sampler = (config: Config): Sampler => {
  const stats: Stats = { requests: 0, events: 0 }
  const f = <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>) => byCorrelationStream(self, config, stats)
  return Object.assign(f, { buffered: () => ({ requests: stats.requests, events: stats.events }) })
}

/**
 * The buffers of tail sampling: requests whose events wait for an error (then they are emitted)
 * or for their end (then they are discarded). Invariant: `stats` counts exactly what `buffers`
 * holds, within `maxRequests`, `maxEventsPerRequest` and `maxBufferedEvents`; what the bounds
 * push out is counted in `overflow`, what `expire` discards in `expired`. A buffer is set once,
 * when its request's first event is held, so the Map iterates them oldest first.
 */
class TailBuffers {
  private readonly buffers = new Map<string, Held>()
  private held = 0
  overflow = 0
  expired = 0
  private readonly t: TailConfig
  private readonly stats: Stats

  constructor(t: TailConfig, stats: Stats) {
    this.t = t
    this.stats = stats
  }

  get size(): number {
    return this.buffers.size
  }

  /** Removes the request's buffer and returns it (`undefined` when nothing is held for it). */
  take(id: string): Held | undefined {
    const h = this.buffers.get(id)
    if (h === undefined) return undefined
    this.buffers.delete(id)
    const n = h.events.length
    this.held -= n
    this.stats.requests--
    this.stats.events -= n
    return h
  }

  /** Discards the request's buffer; returns how many events it held. */
  discard(id: string): number {
    return this.take(id)?.events.length ?? 0
  }

  hold(id: string, event: LogEvent.LogEvent, now: number): void {
    const t = this.t
    let h = this.buffers.get(id)
    if (h === undefined) {
      while (this.buffers.size >= t.maxRequests && this.evictOldest()) {}
      h = { id, events: [], since: now }
      this.buffers.set(id, h)
      this.stats.requests++
    } else if (h.events.length >= t.maxEventsPerRequest) {
      h.events.shift()
      this.held--
      this.stats.events--
      this.overflow++
    }
    h.events.push(event)
    this.held++
    this.stats.events++
    while (this.held > t.maxBufferedEvents && this.evictOldest()) {}
  }

  /** Discards the buffers older than `maxAge`, oldest first (deleting while iterating is safe). */
  expire(now: number): void {
    for (const h of this.buffers.values()) {
      if (now - h.since < this.t.maxAgeMillis) break
      this.expired += this.discard(h.id)
    }
  }

  /** Discards every buffer (the stream ended); returns how many events they held. */
  discardAll(): number {
    let n = 0
    for (const id of this.buffers.keys()) n += this.discard(id)
    return n
  }

  private evictOldest(): boolean {
    for (const h of this.buffers.values()) {
      this.overflow += this.discard(h.id)
      return true
    }
    return false
  }
}

const byCorrelationStream = <E, R>(
  self: Stream.Stream<LogEvent.LogEvent, E, R>,
  config: Config,
  stats: Stats
): Stream.Stream<LogEvent.LogEvent, E, R> =>
  stateful(self, ({ clock, counters, random }) => {
    const keep = makeDecider(config.rate)
    const { fallbackRate, mark } = config
    // marks are merged into annotations, one shared record per context (no per-event copy)
    const marker = (marks: Readonly<Record<string, unknown>>) =>
      mark ? LogEvent.annotator(marks) : (event: LogEvent.LogEvent) => event
    const keptMarks = marker(config.keptMarks)
    const errorMarks = marker(config.errorMarks)
    const fallbackMarks = marker(config.fallbackMarks)
    const ruleMarks = marker(config.ruleMarks)
    const tailConfig = config.tail
    const tail = tailConfig === undefined ? undefined : new TailBuffers(tailConfig, stats)
    const promoted = new GenerationalCache<true>(tailConfig?.maxRequests ?? 1)
    let sampledOut = 0

    const report = () => {
      if (sampledOut > 0) counters.dropped("sampled out", sampledOut)
      sampledOut = 0
      if (tail === undefined) return
      if (tail.overflow > 0) counters.dropped("tail buffer overflow", tail.overflow)
      if (tail.expired > 0) counters.dropped("tail buffer expired", tail.expired)
      tail.overflow = tail.expired = 0
    }
    const emit = (
      out: Array<LogEvent.LogEvent>,
      event: LogEvent.LogEvent,
      marks: (event: LogEvent.LogEvent) => LogEvent.LogEvent
    ) => {
      out.push(marks(event))
    }

    return {
      chunk: (chunk, out) => {
        // Clock is read at most once per chunk, and only when tail buffering needs it
        let now = -1
        if (tail !== undefined && tail.size > 0) {
          now = clock.currentTimeMillisUnsafe()
          tail.expire(now)
        }
        for (let i = 0; i < chunk.length; i++) {
          const event = chunk[i]!
          const control = event.control
          if (control !== undefined) {
            if (tail !== undefined && control._tag === "CorrelationEnd") {
              sampledOut += tail.discard(control.correlationId)
              promoted.delete(control.correlationId)
            }
            out.push(event)
            continue
          }
          if (isAggregate(event)) {
            // an aggregate stands for `aggregate.count` events already counted as absorbed: never sampled
            out.push(event)
            continue
          }
          const annotations = event.annotations
          const rule = annotations === undefined ? undefined : annotations[ruleAnnotation]
          if (rule === "always") {
            emit(out, event, ruleMarks)
            continue
          }
          const never = rule === "never"
          const id = event.correlationId ?? event.traceId
          if (id === undefined) {
            if (never) {
              if (LogEvent.isErrorOrAbove(event)) emit(out, event, errorMarks)
              else sampledOut++
            } else if (fallbackRate >= 1 || LogEvent.isErrorOrAbove(event) || random.nextDoubleUnsafe() < fallbackRate) {
              emit(out, event, fallbackMarks)
            } else {
              sampledOut++
            }
            continue
          }
          if (!never && keep(id)) {
            emit(out, event, keptMarks)
            continue
          }
          if (tail === undefined) {
            if (LogEvent.isErrorOrAbove(event)) emit(out, event, errorMarks)
            else sampledOut++
            continue
          }
          if (promoted.has(id)) {
            emit(out, event, errorMarks)
          } else if (LogEvent.isErrorOrAbove(event)) {
            // an error: the request's held events first, in order, then the error; the rest kept
            const h = tail.take(id)
            if (h !== undefined) for (let j = 0; j < h.events.length; j++) emit(out, h.events[j]!, errorMarks)
            emit(out, event, errorMarks)
            promoted.set(id, true)
          } else {
            if (now < 0) now = clock.currentTimeMillisUnsafe()
            tail.hold(id, event, now)
          }
        }
        report()
      },
      end: () => {
        if (tail !== undefined) sampledOut += tail.discardAll()
        report()
      }
    }
  })

// -----------------------------------------------------------------------------
// internal: burst
// -----------------------------------------------------------------------------

interface BurstConfig {
  readonly first: number
  readonly thereafter: number
  readonly tickMillis: number
  readonly maxKeys: number
}

interface BurstCounter {
  resetAt: number
  n: number
}

const makeBurstConfig = (options: BurstOptions): BurstConfig => {
  if (!(options.first >= 0) || !(options.thereafter >= 0)) {
    throw new RangeError("Sampler.burst: first and thereafter must be non-negative")
  }
  const maxKeys = options.maxKeys ?? 4096
  checkPositive(maxKeys, "maxKeys")
  return {
    first: options.first,
    thereafter: options.thereafter,
    tickMillis: Duration.toMillis(options.tick ?? "1 second"),
    maxKeys
  }
}

const burstStream = <E, R>(
  self: Stream.Stream<LogEvent.LogEvent, E, R>,
  config: BurstConfig
): Stream.Stream<LogEvent.LogEvent, E, R> =>
  stateful(self, ({ counters }) => {
    const { first, maxKeys, thereafter, tickMillis } = config
    const keys = new Map<string, BurstCounter>()
    // no tracked counter resets before this time, so sweeping earlier frees nothing
    let sweepAfter = -Infinity
    const sweep = (now: number): void => {
      let min = Infinity
      for (const [key, c] of keys) {
        if (now >= c.resetAt) keys.delete(key)
        else if (c.resetAt < min) min = c.resetAt
      }
      // nothing left to wait for (every key was freed): the next full table may sweep at once
      sweepAfter = min === Infinity ? -Infinity : min
    }
    return perEvent(counters, "sampled out (burst)", (event) => {
      const now = event.timestamp
      const key = event.level + "\u0000" + (event.template ?? event.message)
      let c = keys.get(key)
      if (c === undefined) {
        if (keys.size >= maxKeys && now >= sweepAfter) sweep(now)
        if (keys.size >= maxKeys) return event // untracked: pass rather than guess
        c = { resetAt: now + tickMillis, n: 0 }
        keys.set(key, c)
        if (c.resetAt < sweepAfter) sweepAfter = c.resetAt
      } else if (now >= c.resetAt) {
        c.resetAt = now + tickMillis
        c.n = 0
      }
      const n = ++c.n
      return n <= first || (thereafter > 0 && (n - first) % thereafter === 0) ? event : undefined
    })
  })

// -----------------------------------------------------------------------------
// internal: adaptive
// -----------------------------------------------------------------------------

// slightly below 1 so that summing a rate such as 0.1 ten times (0.9999999999999999) keeps one
const CREDIT_UNIT = 1 - 1e-9

interface AdaptiveConfig {
  readonly target: number
  readonly windowMillis: number
  readonly minRate: number
  readonly mark: boolean
  readonly gauge: Metric.Gauge<number>
}

const makeAdaptiveConfig = (options: AdaptiveOptions): AdaptiveConfig => {
  if (!(options.targetPerSecond > 0)) throw new RangeError("Sampler.adaptive: targetPerSecond must be positive")
  const windowMillis = Duration.toMillis(options.window ?? "1 second")
  if (!(windowMillis > 0 && windowMillis < Infinity)) throw new RangeError("Sampler.adaptive: window must be finite and positive")
  const minRate = options.minRate ?? 0.0001
  checkRate(minRate, "minRate")
  return {
    target: options.targetPerSecond,
    windowMillis,
    minRate,
    mark: options.mark ?? true,
    gauge: options.name === undefined ? adaptiveRateGauge : Metric.withAttributes(adaptiveRateGauge, { sampler: options.name })
  }
}

const adaptiveStream = <E, R>(
  self: Stream.Stream<LogEvent.LogEvent, E, R>,
  config: AdaptiveConfig,
  shared: { rate: number }
): Stream.Stream<LogEvent.LogEvent, E, R> =>
  stateful(self, ({ context, counters }) => {
    const { gauge, mark, minRate, target, windowMillis } = config
    const windowSeconds = windowMillis / 1000
    let rate = 1
    let credit = 0
    let windowIndex: number | undefined
    let seen = 0
    let estimate: number | undefined
    let marks = LogEvent.annotator({ _sampled: true, _sample_rate: 1 })
    let chained = marks
    let chainedPrior = Number.NaN
    let chainedRate = Number.NaN
    const publish = () => {
      shared.rate = rate
      gauge.updateUnsafe(rate, context)
    }
    publish()
    const closeWindows = (elapsed: number) => {
      const observed = seen / windowSeconds
      // fast attack (a flood is damped in the next window), slow release (halve the distance)
      estimate = estimate === undefined || observed >= estimate ? observed : (estimate + observed) / 2
      for (let k = 1; k < elapsed && k < 64; k++) estimate /= 2 // windows without any event
      seen = 0
      const next = estimate <= target ? 1 : Math.max(minRate, target / estimate)
      if (next !== rate) {
        rate = next
        marks = LogEvent.annotator({ _sampled: true, _sample_rate: rate })
        credit = 0
      }
      publish()
    }
    return perEvent(counters, "sampled out (adaptive)", (event) => {
      const index = Math.floor(event.timestamp / windowMillis)
      if (windowIndex === undefined) windowIndex = index
      else if (index > windowIndex) {
        closeWindows(index - windowIndex)
        windowIndex = index
      }
      seen++
      credit += rate
      if (credit < CREDIT_UNIT) return undefined
      credit -= CREDIT_UNIT
      if (!mark) return event
      // an earlier sampler's rate: the product stays the event's overall keep probability
      const prior = LogEvent.get(event, "_sample_rate")
      if (typeof prior !== "number") return marks(event)
      if (event.fields !== undefined && Object.hasOwn(event.fields, "_sample_rate")) {
        return LogEvent.withFields(event, { _sampled: true, _sample_rate: prior * rate })
      }
      // after another sampler the prior rate is the same for long runs: one record per run
      if (prior !== chainedPrior || rate !== chainedRate) {
        chainedPrior = prior
        chainedRate = rate
        chained = LogEvent.annotator({ _sampled: true, _sample_rate: prior * rate })
      }
      return chained(event)
    })
  })

/** What no sampler drops: control events, errors and above, aggregates. */
const neverSampled = (event: LogEvent.LogEvent): boolean =>
  event.control !== undefined || LogEvent.isErrorOrAbove(event) || isAggregate(event)

/**
 * Whether `event` is an aggregate emitted by `Aggregator.repetitive`: its typed marker, never a
 * user field (a caller logging `_aggregated: true` is sampled like anyone).
 */
const isAggregate = (event: LogEvent.LogEvent): boolean => event.aggregate !== undefined
