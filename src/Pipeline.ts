/**
 * The pipeline between a facade's queue and its sinks: a `Stream<LogEvent>` transformation.
 *
 * Operators (enrichment, redaction, sampling, aggregation, or a user's own) are plain functions
 * `Stream<LogEvent> => Stream<LogEvent>` composed with `pipe`. They run on the worker fiber, read
 * time only from `Clock`, must forward control events (`LogEvent.isControl`) unchanged and in
 * order, and report what they drop or absorb to {@link Counters}, which the worker provides so
 * that every dropped event shows up in the facade's metrics.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Stream from "effect/Stream"
import * as InternalCounters from "./internal/counters.ts"
import type { LogEvent } from "./LogEvent.ts"

/**
 * A pipeline stage.
 *
 * @example Composing redaction, aggregation and sampling
 * ```ts
 * import { Aggregator, Fapilog, Pipeline, Redactor, Sampler } from "effect-fapilog"
 *
 * const pipeline: Pipeline.Pipeline = Pipeline.compose(
 *   Redactor.pipeline(),
 *   Aggregator.repetitive(),
 *   Sampler.burst({ first: 10, thereafter: 100 })
 * )
 * const layer = Fapilog.layer({ pipeline })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Pipeline = <E, R>(events: Stream.Stream<LogEvent, E, R>) => Stream.Stream<LogEvent, E, R>

/**
 * What operators report to the worker that runs them.
 *
 * `dropped(reason, n)`: `n` events were deliberately removed (`reason` such as `"sampled out"`,
 * `"tail buffer overflow"`). `absorbed(n)`: `n` events were folded into aggregates (they are not
 * lost: the aggregate's `_count` represents them).
 *
 * @example Collecting drop reports
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Pipeline from "effect-fapilog/Pipeline"
 *
 * const drops: Array<string> = []
 * const counters: Pipeline.CountersShape = {
 *   dropped: (reason, n) => drops.push(`${reason} x${n}`),
 *   absorbed: () => {}
 * }
 * const events = Stream.make(LogEvent.make({ timestamp: 0, level: "Debug", message: "hi", logger: "app" }))
 * const observed = events.pipe(
 *   Pipeline.mapEvents((e) => e.level === "Debug" ? undefined : e, "debug"),
 *   Stream.provideService(Pipeline.Counters, counters)
 * )
 * Effect.runSync(Stream.runDrain(observed))
 * console.log(drops) // => [ 'debug x1' ]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CountersShape {
  readonly dropped: (reason: string, count: number) => void
  readonly absorbed: (count: number) => void
}

/**
 * The counters of the worker running the current pipeline. Outside a worker (for example when an
 * operator is tested on its own) it counts into a fresh, unobserved object.
 *
 * @example A user operator that reports its drops
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as Pipeline from "effect-fapilog/Pipeline"
 * import type { LogEvent } from "effect-fapilog/LogEvent"
 *
 * // a user operator that drops debug events and says so
 * const dropDebug = <E, R>(events: Stream.Stream<LogEvent, E, R>) =>
 *   Stream.unwrap(Effect.gen(function*() {
 *     const counters = yield* Pipeline.Counters
 *     return Stream.filter(events, (e) => {
 *       if (e.control === undefined && e.level === "Debug") {
 *         counters.dropped("debug filtered", 1)
 *         return false
 *       }
 *       return true
 *     })
 *   }))
 * ```
 *
 * @since 0.1.0
 * @category references
 */
export const Counters: Context.Reference<CountersShape> = InternalCounters.Counters

/**
 * A counters object plus a read-out of what it has counted, for workers and tests.
 *
 * @example Counting drops
 * ```ts
 * import * as Pipeline from "effect-fapilog/Pipeline"
 *
 * const { counters, snapshot } = Pipeline.makeCounters()
 * counters.dropped("sampled out", 2)
 * console.log(snapshot().dropped["sampled out"]) // => 2
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCounters: () => {
  readonly counters: CountersShape
  readonly snapshot: () => { readonly dropped: Readonly<Record<string, number>>; readonly absorbed: number }
} = InternalCounters.makeCounters

/**
 * The pipeline that changes nothing.
 *
 * @example No pipeline unless asked for
 * ```ts
 * import { Fapilog, Pipeline, Sampler } from "effect-fapilog"
 *
 * const pipeline = process.env.LOG_BURST === "1" ? Sampler.burst({ first: 100, thereafter: 10 }) : Pipeline.identity
 * const layer = Fapilog.layer({ pipeline })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const identity: Pipeline = (events) => events

/**
 * Runs `stages` left to right.
 *
 * @example Composing stages
 * ```ts
 * import * as Pipeline from "effect-fapilog/Pipeline"
 *
 * const pipeline = Pipeline.compose(Pipeline.identity, Pipeline.identity)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const compose = (...stages: ReadonlyArray<Pipeline>): Pipeline => {
  if (stages.length === 0) return identity
  if (stages.length === 1) return stages[0]!
  return (events) => {
    let out = events
    for (const stage of stages) out = stage(out)
    return out
  }
}

/**
 * A stage that applies a pure, synchronous function to every ordinary event of each chunk
 * (control events pass untouched). Returning `undefined` drops the event, reported under
 * `reason`. The cheapest way to write a stateless operator: one array pass per chunk.
 *
 * Dual: `mapEvents(f, reason?)` is a {@link Pipeline}; `mapEvents(stream, f, reason?)` applies it.
 *
 * @example Adding a field to every event
 * ```ts
 * import { Stream } from "effect"
 * import * as Pipeline from "effect-fapilog/Pipeline"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const tagged = Pipeline.mapEvents((e) => LogEvent.withFields(e, { region: "eu" }))
 * const events = Stream.make(LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" }))
 * const sameAsPipe = Pipeline.mapEvents(events, (e) => LogEvent.withFields(e, { region: "eu" }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const mapEvents: {
  (f: (event: LogEvent) => LogEvent | undefined, reason?: string): Pipeline
  <E, R>(
    self: Stream.Stream<LogEvent, E, R>,
    f: (event: LogEvent) => LogEvent | undefined,
    reason?: string
  ): Stream.Stream<LogEvent, E, R>
} = dual((args) => Stream.isStream(args[0]), <E, R>(
  events: Stream.Stream<LogEvent, E, R>,
  f: (event: LogEvent) => LogEvent | undefined,
  reason = "filtered"
): Stream.Stream<LogEvent, E, R> =>
  Stream.transformPull(events, (pull) =>
    Effect.gen(function*() {
      const counters = yield* Counters
      const loop: typeof pull = Effect.flatMap(pull, (chunk) => {
        // sized once: growing it event by event costs more than the events' own copies
        const out: Array<LogEvent> = new Array(chunk.length)
        let n = 0
        for (let i = 0; i < chunk.length; i++) {
          const event = chunk[i]!
          if (event.control !== undefined) {
            out[n++] = event
            continue
          }
          const next = f(event)
          if (next !== undefined) out[n++] = next
        }
        const dropped = chunk.length - n
        if (dropped > 0) {
          out.length = n
          counters.dropped(reason, dropped)
        }
        // an all-dropped chunk must not end the stream: pull the next one instead
        return n === 0 ? loop : Effect.succeed(out as unknown as typeof chunk)
      })
      return loop
    })))
