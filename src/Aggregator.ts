/**
 * Repetitive-log aggregation: a `Stream<LogEvent>` operator that folds bursts of the same log
 * line into one aggregated event, without ever losing a count.
 *
 * An event's *key* is (logger, level, template — or the message when no template was given —,
 * correlation id). An event passes through unchanged until its key has been seen more than
 * `threshold` times within `window` (a sliding window over the events' own timestamps, which come
 * from `Clock`). From then on the key's occurrences are absorbed into one aggregate, which is
 * emitted when:
 *
 * - its window closes: `window` has passed on the `Clock` since its latest occurrence, or
 *   `maxWindow` since its first absorbed occurrence, whichever comes first. A timer does this
 *   even if no further event arrives: while an aggregate is open, the pending upstream pull runs
 *   in a forked fiber raced against one `Clock` sleep until the earliest deadline (the pull is
 *   never interrupted); with nothing open, nothing sleeps or wakes;
 * - it reaches `maxCount` occurrences;
 * - its correlation id ends (a `CorrelationEnd` control event for the id; emitted before it);
 * - a `Flush` control event arrives (every aggregate is emitted *before* the marker);
 * - its key is evicted from the LRU of `maxKeys` tracked keys;
 * - the upstream ends (or fails: held aggregates are emitted before the failure).
 *
 * After an aggregate closes, the key starts afresh under the same rule (a sustained flood yields
 * one aggregate per `maxWindow`). When a correlation id ends, the tracking of all its keys is
 * dropped with it: an event that still carries the id afterwards starts afresh.
 *
 * Conservation: for every key, the events emitted individually plus the sum of `aggregate.count`
 * over its aggregates equals the events that came in. Every event folded into an aggregate (the first one
 * included) is reported to `Pipeline.Counters` with `absorbed(n)` when its aggregate is emitted,
 * so `absorbed` equals the sum of `aggregate.count` over the aggregates emitted (held aggregates are not
 * counted until they are).
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Pull from "effect/Pull"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as LogEvent from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"

/**
 * Options of {@link repetitive}; every one is optional.
 *
 * - `threshold` (default 5): occurrences of a key within `window` that still pass individually;
 *   the next one within the window opens an aggregate. `0` aggregates from the first occurrence.
 * - `window` (default 1 second): the rate window, and the quiet time after which an open
 *   aggregate is emitted.
 * - `maxWindow` (default 10 seconds): an aggregate is emitted at the latest this long after its
 *   first absorbed occurrence (measured with `Clock`).
 * - `maxCount` (default 1000): an aggregate is emitted as soon as it represents this many events.
 * - `maxKeys` (default 1000): tracked keys (LRU); when full, the least recently seen key's
 *   aggregate is emitted and its tracking dropped.
 * - `identityFields` (default `["user_id", "userId", "account_id"]`): an event carrying any of
 *   these in its fields or annotations is never aggregated.
 * - `maxDistinctValues` (default 10, at least 1): distinct values kept per varying field.
 * - `exclude`: an extra predicate; events for which it returns `true` are never aggregated.
 *
 * @example A higher threshold, and audit events never aggregated
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 *
 * const options: Aggregator.Options = {
 *   threshold: 20,
 *   window: "2 seconds",
 *   exclude: (event) => event.logger === "audit"
 * }
 * const aggregate = Aggregator.repetitive(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly threshold?: number | undefined
  readonly window?: Duration.Input | undefined
  readonly maxWindow?: Duration.Input | undefined
  readonly maxCount?: number | undefined
  readonly maxKeys?: number | undefined
  readonly identityFields?: ReadonlyArray<string> | undefined
  readonly maxDistinctValues?: number | undefined
  readonly exclude?: ((event: LogEvent.LogEvent) => boolean) | undefined
}

/**
 * The values a field took across the occurrences an aggregate represents, when they varied:
 * the first `maxDistinctValues` distinct values in order of appearance (the first occurrence's
 * value first; `undefined` when the field was absent), and in `more` the number of occurrences
 * whose value was not one of those kept. Primitive values are compared by value, objects by
 * reference. They are the aggregate's field `_distinct` (user data, so redaction applies to it).
 *
 * @example Listing the fields that varied
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 * import type * as LogEvent from "effect-fapilog/LogEvent"
 *
 * // e.g. `{ values: ["a", "b", "c"], more: 0 }` for a field `key` that took three values
 * const varied = (event: LogEvent.LogEvent): Array<string> =>
 *   Object.entries(Aggregator.summary(event)?._distinct ?? {}).map(
 *     ([field, d]: [string, Aggregator.Distinct]) => `${field}: ${d.values.length} values (+${d.more} others)`
 *   )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Distinct {
  readonly values: ReadonlyArray<unknown>
  readonly more: number
}

/**
 * The fields an aggregate is written with on top of its first absorbed occurrence's fields: its
 * marker (`LogEvent.Aggregate`, the event's `aggregate`) rendered as the seed's keys by every
 * encoder, plus `_distinct`. Only `_distinct` is stored in the event's `fields` (it holds logged
 * values, which redaction must see); the rest is the marker, and a user field named `_aggregated`
 * is an ordinary field.
 *
 * `_first_occurrence` / `_last_occurrence` are the ISO-8601 timestamps of the first and last
 * absorbed occurrences (their `Clock` timestamps); `_window_seconds` is the time between them;
 * `_distinct` is present only when some field varied. The event's own `timestamp` is the
 * emission time read from `Clock`.
 *
 * @example The fields of an aggregate
 * ```ts
 * import type * as Aggregator from "effect-fapilog/Aggregator"
 *
 * // the fields of an aggregate standing for 250 occurrences seen within 4.5 seconds
 * const summary: Aggregator.Summary = {
 *   _aggregated: true,
 *   _count: 250,
 *   _first_occurrence: "2024-05-01T12:00:00.000Z",
 *   _last_occurrence: "2024-05-01T12:00:04.500Z",
 *   _window_seconds: 4.5,
 *   _distinct: { key: { values: ["a", "b"], more: 0 } }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly _aggregated: true
  readonly _count: number
  readonly _first_occurrence: string
  readonly _last_occurrence: string
  readonly _window_seconds: number
  readonly _distinct?: Readonly<Record<string, Distinct>>
}

/**
 * The field/value pair that marks a business event: `event_type: "business"` in the event's
 * fields or annotations. Business events are never aggregated.
 *
 * @example Marking an event as a business event
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const placed = LogEvent.make({
 *   timestamp: 0, level: "Info", message: "order placed", logger: "shop",
 *   fields: { ...Aggregator.businessEvent, order_id: "o-1" }
 * })
 * console.log(Aggregator.isBusinessEvent(placed)) // => true
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const businessEvent: { readonly event_type: "business" } = { event_type: "business" }

/**
 * Default identity fields: events carrying any of them are never aggregated.
 *
 * @example Adding a tenant id to the identity fields
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 *
 * console.log(Aggregator.defaultIdentityFields) // => [ 'user_id', 'userId', 'account_id' ]
 * const withTenant = Aggregator.repetitive({
 *   identityFields: [...Aggregator.defaultIdentityFields, "tenant_id"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultIdentityFields: ReadonlyArray<string> = ["user_id", "userId", "account_id"]

/**
 * The aggregation operator: absorbs repeats of a key beyond `threshold` within `window` into one
 * aggregated event per key (see the module documentation for when it is emitted).
 *
 * Details:
 * - Never aggregated: level Error or Fatal, business events ({@link isBusinessEvent}), events
 *   with an identity field (fields or annotations), events matching `exclude`, and control
 *   events (forwarded unchanged, in order). Excluded events below Error still count as
 *   occurrences of their key; they are only never absorbed (fields are inspected only for an
 *   event that would be absorbed, which keeps the non-repetitive path cheap).
 * - Individual events keep their order; an aggregate appears where it is emitted.
 * - An aggregate is its first absorbed occurrence carrying the marker `aggregate`
 *   (`LogEvent.Aggregate`: count, first and last occurrence, window), which encoders write as the
 *   {@link Summary} keys; varying fields keep bounded distinct values in the field `_distinct`
 *   (a field, so that redaction applies to the values it holds).
 * - The rate window is judged on event timestamps; closing deadlines on `Clock` (one forked
 *   sleep, only while an aggregate is open). Under `TestClock`, `TestClock.adjust` moves them.
 * - State lives in a closure created per stream run (one operator value can serve several
 *   facades), bounded by `maxKeys`; touching a key allocates nothing, and a chunk in which every
 *   event passes is forwarded without a copy.
 *
 * @example With the defaults, and as a combinator
 * ```ts
 * import { Stream } from "effect"
 * import * as Aggregator from "effect-fapilog/Aggregator"
 * import type * as LogEvent from "effect-fapilog/LogEvent"
 * import type * as Pipeline from "effect-fapilog/Pipeline"
 *
 * const defaults: Pipeline.Pipeline = Aggregator.repetitive()
 * const custom = <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>) =>
 *   events.pipe(Aggregator.repetitive({ threshold: 10, maxWindow: "5 seconds" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const repetitive: {
  (options?: Options): <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>) => Stream.Stream<LogEvent.LogEvent, E, R>
  <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>, options?: Options): Stream.Stream<LogEvent.LogEvent, E, R>
} = dual(
  (args) => Stream.isStream(args[0]),
  <E, R>(self: Stream.Stream<LogEvent.LogEvent, E, R>, options?: Options): Stream.Stream<LogEvent.LogEvent, E, R> => {
    const settings = resolve(options)
    return Stream.transformPull(self, (pull, scope) =>
      Effect.gen(function*() {
        const counters = yield* Pipeline.Counters
        const clock = yield* Clock.Clock
        return makePull(settings, counters, clock, pull, scope)
      }))
  }
)

/**
 * Whether the event is an aggregate emitted by {@link repetitive}: it carries the marker
 * `event.aggregate`. A user field `_aggregated: true` does not make an event an aggregate.
 *
 * @example Keeping only the aggregates
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 * import type * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const aggregates = (written: ReadonlyArray<LogEvent.LogEvent>) => written.filter(Aggregator.isAggregated)
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isAggregated = (event: LogEvent.LogEvent): boolean => event.aggregate !== undefined

/**
 * How many input events this output event represents: `aggregate.count` for an aggregate, 1 for any other
 * ordinary event, 0 for a control event. Summing it over an output gives the input's size.
 *
 * @example How many events an event stands for
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" })
 * console.log(Aggregator.count(event)) // => 1
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const count = (event: LogEvent.LogEvent): number => {
  if (event.control !== undefined) return 0
  return event.aggregate === undefined ? 1 : event.aggregate.count
}

/**
 * The {@link Summary} fields of an aggregate (its marker as encoders write it), or `undefined` for
 * any other event.
 *
 * @example Describing an event with its count
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 * import type * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const describe = (event: LogEvent.LogEvent) => {
 *   const summary = Aggregator.summary(event)
 *   return summary === undefined ? event.message : `${event.message} (x${summary._count})`
 * }
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const summary = (event: LogEvent.LogEvent): Summary | undefined =>
  event.aggregate === undefined ? undefined : (LogEvent.writtenFields(event) as unknown as Summary)

/**
 * Whether the event is marked as a business event (`event_type: "business"` in its fields or
 * annotations; see {@link businessEvent}).
 *
 * @example Recognising a business event
 * ```ts
 * import * as Aggregator from "effect-fapilog/Aggregator"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({
 *   timestamp: 0, level: "Info", message: "refund issued", logger: "billing",
 *   annotations: { event_type: "business" }
 * })
 * console.log(Aggregator.isBusinessEvent(event)) // => true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isBusinessEvent = (event: LogEvent.LogEvent): boolean =>
  event.fields?.event_type === "business" || event.annotations?.event_type === "business"

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

interface Settings {
  readonly threshold: number
  readonly windowMs: number
  readonly maxWindowMs: number
  readonly maxCount: number
  readonly maxKeys: number
  readonly identityFields: ReadonlyArray<string>
  readonly maxDistinct: number
  readonly exclude: ((event: LogEvent.LogEvent) => boolean) | undefined
}

/**
 * Tracking state of one key: its occurrence times, its open aggregate if any, and its links in
 * the {@link KeyTable} (recycled by the table once the key is dropped).
 */
interface Entry {
  text: string
  /** The correlation id, or {@link noCorrelation}. */
  cidKey: string
  logger: string
  level: string
  /** The only occurrence time while `times` is not yet needed. */
  t0: number
  /** Ring of the last `threshold` occurrence times (event time), allocated on the 2nd occurrence. */
  times: Array<number> | undefined
  /** Index of the oldest time in `times` once it is full. */
  next: number
  agg: Open | undefined
  /** The bucket (of its correlation id) holding the chain this entry belongs to. */
  bucket: Map<string, Entry>
  /** The chain of entries of the same correlation id and template (other logger or level). */
  sibling: Entry | undefined
  previousSibling: Entry | undefined
  /** Neighbours in recency order. */
  older: Entry | undefined
  newer: Entry | undefined
}

/** An aggregate being filled (rendered as an event with a `LogEvent.Aggregate` marker). */
interface Open {
  readonly first: LogEvent.LogEvent
  readonly firstTs: number
  lastTs: number
  count: number
  /** `Clock` time of the first and latest absorbed occurrence. */
  readonly openedAt: number
  lastAt: number
  distinct: Map<string, { values: Array<unknown>; more: number }> | undefined
}

type Chunk = Arr.NonEmptyReadonlyArray<LogEvent.LogEvent>

const resolve = (options: Options | undefined): Settings => {
  const windowMs = Duration.toMillis(options?.window ?? "1 second")
  return {
    threshold: Math.max(0, Math.floor(options?.threshold ?? 5)),
    windowMs,
    maxWindowMs: Duration.toMillis(options?.maxWindow ?? "10 seconds"),
    maxCount: Math.max(1, Math.floor(options?.maxCount ?? 1000)),
    maxKeys: Math.max(1, Math.floor(options?.maxKeys ?? 1000)),
    identityFields: options?.identityFields ?? defaultIdentityFields,
    maxDistinct: Math.max(1, Math.floor(options?.maxDistinctValues ?? 10)),
    exclude: options?.exclude
  }
}

/**
 * The tracked keys. Invariant: every entry is in `buckets` (correlation id → template or message
 * → a chain of entries differing by logger or level) and in an intrusive doubly linked list,
 * least recently seen first; dropped entries are recycled. Lookups hash strings the events already
 * share, a run of one request's events finds its bucket without a lookup, a request's keys are
 * dropped at once when it ends, and touching, evicting or adding a key allocates nothing in
 * steady state. At most `maxKeys` entries: the least recently seen is evicted (`onEvict`) first.
 *
 * Why not a `Map`/`Set` kept in recency order (delete + add on every touch): it was measured
 * slower. `Aggregator.repetitive()` alone, 200,000 events, both versions in one process,
 * interleaved, median of 9 rounds (an A/B script, see the commit that introduced this class;
 * `node bench/pipeline.ts`, row "Aggregator.repetitive() alone", re-measures the table alone):
 * the non-repetitive workload took 51-59 ms with this table and 87-101 ms with a `Set`; a
 * repetitive one 38-41 ms and 60-64 ms.
 */
class KeyTable {
  private readonly buckets = new Map<string, Map<string, Entry>>()
  // the bucket of the latest event's correlation id (events come in runs of one request)
  private lastCid: string | undefined = undefined
  private lastBucket: Map<string, Entry> | undefined = undefined
  private readonly free: Array<Entry> = []
  private oldestEntry: Entry | undefined = undefined
  private newest: Entry | undefined = undefined
  size = 0

  /** Set by {@link track}: whether it started tracking the key. */
  created = false
  private readonly maxKeys: number
  /** Called with the least recently seen entry before it is dropped to make room. */
  private readonly onEvict: (entry: Entry) => void

  constructor(maxKeys: number, onEvict: (entry: Entry) => void) {
    this.maxKeys = maxKeys
    this.onEvict = onEvict
  }

  /**
   * The key's entry, marked as the most recently seen; a new one when the key was not tracked
   * (`created` is then set), after evicting the least recently seen key if the table is full.
   */
  track(event: LogEvent.LogEvent): Entry {
    const text = event.template ?? event.message
    const cidKey = event.correlationId ?? noCorrelation
    let bucket = this.bucket(cidKey)
    let head = bucket?.get(text)
    let entry = head
    while (entry !== undefined && (entry.logger !== event.logger || entry.level !== event.level)) entry = entry.sibling
    if (entry !== undefined) {
      if (entry !== this.newest) {
        this.unlink(entry)
        this.append(entry)
      }
      this.created = false
      return entry
    }
    if (this.size >= this.maxKeys) {
      const oldest = this.oldestEntry!
      this.onEvict(oldest)
      this.remove(oldest)
      // the eviction may have changed this key's chain or dropped its bucket: look again
      bucket = this.bucket(cidKey)
      head = bucket?.get(text)
    }
    if (bucket === undefined) this.buckets.set(cidKey, bucket = this.lastBucket = new Map())
    entry = this.free.pop()
    if (entry === undefined) {
      entry = { text, cidKey, logger: event.logger, level: event.level, t0: event.timestamp, times: undefined, next: 0, agg: undefined, bucket, sibling: head, previousSibling: undefined, older: undefined, newer: undefined }
    } else {
      entry.text = text
      entry.cidKey = cidKey
      entry.logger = event.logger
      entry.level = event.level
      entry.t0 = event.timestamp
      if (entry.times !== undefined) entry.times.length = 0
      entry.next = 0
      entry.bucket = bucket
      entry.sibling = head
    }
    if (head !== undefined) head.previousSibling = entry
    bucket.set(text, entry)
    this.append(entry)
    this.size++
    this.created = true
    return entry
  }

  /** Forgets a key (its aggregate, if any, must have been emitted); its entry is recycled. */
  remove(entry: Entry): void {
    this.unlink(entry)
    this.size--
    const { previousSibling, sibling } = entry
    if (previousSibling !== undefined) {
      previousSibling.sibling = sibling
      if (sibling !== undefined) sibling.previousSibling = previousSibling
    } else if (sibling !== undefined) {
      sibling.previousSibling = undefined
      entry.bucket.set(entry.text, sibling)
    } else {
      entry.bucket.delete(entry.text)
      if (entry.bucket.size === 0) this.dropBucket(entry.cidKey)
    }
    entry.sibling = entry.previousSibling = undefined
    this.free.push(entry)
  }

  /** Forgets every key of a correlation id that ended (their aggregates must have been emitted). */
  removeCorrelation(cidKey: string): void {
    const bucket = this.buckets.get(cidKey)
    if (bucket === undefined) return
    for (const head of bucket.values()) {
      for (let entry: Entry | undefined = head; entry !== undefined;) {
        const sibling: Entry | undefined = entry.sibling
        this.unlink(entry)
        this.size--
        entry.sibling = entry.previousSibling = undefined
        this.free.push(entry)
        entry = sibling
      }
    }
    this.dropBucket(cidKey)
  }

  clear(): void {
    this.buckets.clear()
    this.lastCid = this.lastBucket = undefined
    this.free.length = 0
    this.oldestEntry = this.newest = undefined
    this.size = 0
  }

  private bucket(cidKey: string): Map<string, Entry> | undefined {
    if (cidKey !== this.lastCid) {
      this.lastCid = cidKey
      this.lastBucket = this.buckets.get(cidKey)
    }
    return this.lastBucket
  }

  private dropBucket(cidKey: string): void {
    this.buckets.delete(cidKey)
    if (this.lastCid === cidKey) this.lastCid = this.lastBucket = undefined
  }

  private unlink(entry: Entry): void {
    if (entry.older === undefined) this.oldestEntry = entry.newer
    else entry.older.newer = entry.newer
    if (entry.newer === undefined) this.newest = entry.older
    else entry.newer.older = entry.older
    entry.older = entry.newer = undefined
  }

  private append(entry: Entry): void {
    entry.older = this.newest
    if (this.newest === undefined) this.oldestEntry = entry
    else this.newest.newer = entry
    this.newest = entry
  }
}

/**
 * The output of the chunk being processed, materialized lazily: while every event passes
 * unchanged the input chunk itself is the output, without a copy.
 */
class Output {
  private input: Chunk | undefined = undefined
  private index = 0
  private out: Array<LogEvent.LogEvent> | undefined = undefined

  start(chunk: Chunk | undefined): void {
    this.input = chunk
    this.index = 0
    this.out = undefined
  }
  /** The event at `i` of the input is being processed (what precedes it has passed). */
  at(i: number): void {
    this.index = i
  }
  /** An event of the input that passes unchanged. */
  pass(event: LogEvent.LogEvent): void {
    if (this.out !== undefined) this.out.push(event)
  }
  /** The output diverges from the input from here on (an event was absorbed, or one is added). */
  diverge(): Array<LogEvent.LogEvent> {
    return this.out ??= this.input === undefined ? [] : this.input.slice(0, this.index)
  }
  result(): ReadonlyArray<LogEvent.LogEvent> {
    const result = this.out ?? this.input ?? []
    this.input = undefined
    return result
  }
}

/** Records an occurrence time in the key's ring of the last `threshold` times. */
const record = (s: Settings, entry: Entry, t: number): void => {
  if (s.threshold <= 1) {
    entry.t0 = t
    return
  }
  const times = entry.times
  if (times === undefined) entry.times = [entry.t0, t]
  else if (times.length === 0) times.push(entry.t0, t) // a recycled entry's array
  else if (times.length < s.threshold) times.push(t)
  else {
    times[entry.next] = t
    entry.next = entry.next + 1 === s.threshold ? 0 : entry.next + 1
  }
}

/** Whether the key was already seen `threshold` times within the window before `t`. */
const isRepetitive = (s: Settings, entry: Entry, t: number): boolean => {
  if (s.threshold === 0) return true
  const times = entry.times
  if (times === undefined || times.length === 0) return s.threshold === 1 && t - entry.t0 < s.windowMs
  return times.length === s.threshold && t - times[entry.next]! < s.windowMs
}

/**
 * The open aggregates and their deadlines. Invariant: `wakeAt` is at most every open aggregate's
 * deadline; an aggregate leaves `open` only by {@link Aggregates.emit}, which writes it to the
 * output and reports its count to `Pipeline.Counters` as absorbed (counted when emitted, not when
 * absorbed: an aggregate that dies with the pipeline was never delivered, and the worker must see
 * those events as lost).
 */
class Aggregates {
  readonly open = new Set<Entry>()
  private readonly byCorrelation = new Map<string, Set<Entry>>()
  wakeAt = Infinity
  private readonly s: Settings
  private readonly counters: Pipeline.CountersShape
  private readonly output: Output
  private readonly closeWindowMs: number

  constructor(s: Settings, counters: Pipeline.CountersShape, output: Output) {
    this.s = s
    this.counters = counters
    this.output = output
    this.closeWindowMs = Math.min(s.windowMs, s.maxWindowMs)
  }

  openWith(entry: Entry, event: LogEvent.LogEvent, now: number): void {
    entry.agg = { first: event, firstTs: event.timestamp, lastTs: event.timestamp, count: 1, openedAt: now, lastAt: now, distinct: undefined }
    this.open.add(entry)
    if (entry.cidKey !== noCorrelation) {
      let set = this.byCorrelation.get(entry.cidKey)
      if (set === undefined) this.byCorrelation.set(entry.cidKey, set = new Set())
      set.add(entry)
    }
    const deadline = now + this.closeWindowMs
    if (deadline < this.wakeAt) this.wakeAt = deadline
  }

  absorb(agg: Open, event: LogEvent.LogEvent, now: number): void {
    agg.count++
    agg.lastAt = now
    if (event.timestamp > agg.lastTs) agg.lastTs = event.timestamp
    try {
      noteFields(agg, event, this.s.maxDistinct)
    } catch {
      // a field whose getter throws: the occurrence is counted, its distinct values are not
    }
  }

  emit(entry: Entry, now: number): void {
    const agg = entry.agg!
    entry.agg = undefined
    this.open.delete(entry)
    if (entry.cidKey !== noCorrelation) {
      const set = this.byCorrelation.get(entry.cidKey)
      if (set !== undefined) {
        set.delete(entry)
        if (set.size === 0) this.byCorrelation.delete(entry.cidKey)
      }
    }
    this.output.diverge().push(render(agg, now))
    this.counters.absorbed(agg.count)
  }

  /** Emits the aggregates of a correlation id that ended. */
  emitCorrelation(cidKey: string, now: number): void {
    const set = this.byCorrelation.get(cidKey)
    if (set !== undefined) for (const entry of set) this.emit(entry, now)
  }

  /** Emits every aggregate whose deadline has passed and recomputes `wakeAt`. */
  sweep(now: number): void {
    let next = Infinity
    for (const entry of this.open) {
      const agg = entry.agg!
      const deadline = Math.min(agg.openedAt + this.s.maxWindowMs, agg.lastAt + this.s.windowMs)
      if (deadline <= now) this.emit(entry, now)
      else if (deadline < next) next = deadline
    }
    this.wakeAt = next
  }

  emitAll(now: number): void {
    for (const entry of this.open) this.emit(entry, now)
    this.wakeAt = Infinity
  }
}

const noteFields = (agg: Open, event: LogEvent.LogEvent, maxDistinct: number): void => {
  const a = agg.first.fields
  const b = event.fields
  if (a === b) return
  if (b !== undefined) {
    for (const field in b) {
      const value = b[field]
      const firstValue = a === undefined ? undefined : a[field]
      if (!sameValue(value, firstValue)) agg.distinct = noteDistinct(agg.distinct, field, firstValue, value, maxDistinct)
    }
  }
  if (a !== undefined) {
    for (const field in a) {
      if (b === undefined || !(field in b)) agg.distinct = noteDistinct(agg.distinct, field, a[field], undefined, maxDistinct)
    }
  }
}

/** The aggregate as an event: its first occurrence, emitted `now`, carrying the marker. */
const render = (agg: Open, now: number): LogEvent.LogEvent => {
  let distinct: Record<string, Distinct> | undefined
  if (agg.distinct !== undefined) {
    distinct = {}
    for (const [field, d] of agg.distinct) distinct[field] = { values: d.values, more: d.more }
  }
  const first = agg.first
  return LogEvent.make({
    timestamp: now,
    level: first.level,
    message: first.message,
    logger: first.logger,
    fields: distinct === undefined ? first.fields : LogEvent.mergeFields(first.fields ?? {}, { _distinct: distinct }),
    annotations: first.annotations,
    spans: first.spans,
    correlationId: first.correlationId,
    traceId: first.traceId,
    spanId: first.spanId,
    cause: first.cause,
    template: first.template,
    aggregate: {
      count: agg.count,
      firstOccurrence: agg.firstTs,
      lastOccurrence: agg.lastTs,
      windowSeconds: (agg.lastTs - agg.firstTs) / 1000
    }
  })
}

/**
 * The operator's state for one stream run: its chunks go through {@link KeyTable} (which keys
 * repeat) and {@link Aggregates} (what is folded, what is due); the pull waits on upstream and,
 * while an aggregate is open, on its earliest deadline.
 */
const makePull = <E>(
  s: Settings,
  counters: Pipeline.CountersShape,
  clock: Clock.Clock,
  pull: Pull.Pull<Chunk, E, void>,
  scope: Scope.Scope
): Pull.Pull<Chunk, E, void> => {
  const output = new Output()
  const aggs = new Aggregates(s, counters, output)
  let now = 0
  // an evicted key's aggregate is emitted before its tracking is dropped
  const table = new KeyTable(s.maxKeys, (entry) => {
    if (entry.agg !== undefined) aggs.emit(entry, now)
  })
  const process = (chunk: Chunk | undefined): ReadonlyArray<LogEvent.LogEvent> => {
    now = clock.currentTimeMillisUnsafe()
    output.start(chunk)
    if (aggs.open.size > 0 && now >= aggs.wakeAt) aggs.sweep(now)
    if (chunk !== undefined) {
      for (let i = 0; i < chunk.length; i++) {
        output.at(i)
        step(chunk[i]!, now)
      }
    }
    return output.result()
  }
  const step = (event: LogEvent.LogEvent, now: number): void => {
    const control = event.control
    if (control !== undefined) {
      if (control._tag === "Flush") {
        if (aggs.open.size > 0) aggs.emitAll(now)
      } else if (control._tag === "CorrelationEnd") {
        aggs.emitCorrelation(control.correlationId, now)
        table.removeCorrelation(control.correlationId)
      }
      return output.pass(event)
    }
    if (event.level === "Error" || event.level === "Fatal") return output.pass(event)
    const entry = table.track(event)
    const created = table.created
    const agg = entry.agg
    if (agg === undefined && !(created ? s.threshold === 0 : isRepetitive(s, entry, event.timestamp))) {
      output.pass(event) // the common case: the event passes
    } else if (isExcluded(s, event)) {
      output.pass(event) // excluded events count as occurrences of their key but are never absorbed
    } else if (agg !== undefined) {
      output.diverge()
      aggs.absorb(agg, event, now)
      if (agg.count >= s.maxCount) aggs.emit(entry, now)
    } else {
      output.diverge()
      aggs.openWith(entry, event, now)
      if (s.maxCount <= 1) aggs.emit(entry, now)
    }
    if (!created) record(s, entry, event.timestamp)
  }
  const drainAll = (): ReadonlyArray<LogEvent.LogEvent> => {
    output.start(undefined)
    aggs.emitAll(clock.currentTimeMillisUnsafe())
    table.clear()
    return output.result()
  }
  return waitingPull(pull, scope, clock, aggs, process, drainAll)
}

/**
 * The pull of the operator: upstream chunks through `process`; while an aggregate is open, the
 * upstream pull runs in its own fiber raced against one `Clock` sleep until the earliest deadline
 * (a deadline never interrupts the pull); at the end or on failure, what is held is emitted first.
 */
const waitingPull = <E>(
  pull: Pull.Pull<Chunk, E, void>,
  scope: Scope.Scope,
  clock: Clock.Clock,
  aggs: Aggregates,
  process: (chunk: Chunk | undefined) => ReadonlyArray<LogEvent.LogEvent>,
  drainAll: () => ReadonlyArray<LogEvent.LogEvent>
): Pull.Pull<Chunk, E, void> => {
  let pending: Fiber.Fiber<Chunk, E | Cause.Done> | undefined
  let ended = false
  let failure: Cause.Cause<E> | undefined

  const finish = (): Pull.Pull<Chunk, E, void> => {
    ended = true
    const held = drainAll()
    return held.length > 0 ? Effect.succeed(held as unknown as Chunk) : Cause.done()
  }

  /** Upstream failed: emit what is held first, then fail with the upstream's cause. */
  const fail = (cause: Cause.Cause<E | Cause.Done>): Pull.Pull<Chunk, E, void> => {
    if (Pull.isDoneCause(cause)) return finish()
    ended = true
    failure = cause as Cause.Cause<E>
    const held = drainAll()
    return held.length > 0 ? Effect.succeed(held as unknown as Chunk) : Effect.failCause(failure)
  }

  const onExit = (exit: Exit.Exit<Chunk, E | Cause.Done>): Pull.Pull<Chunk, E, void> =>
    Exit.isSuccess(exit) ? next(exit.value) : fail(exit.cause)

  const next = (chunk: Chunk | undefined): Pull.Pull<Chunk, E, void> => {
    const result = process(chunk)
    return result.length > 0 ? Effect.succeed(result as unknown as Chunk) : loop
  }

  const loop: Pull.Pull<Chunk, E, void> = Effect.suspend(() => {
    if (ended) return failure === undefined ? Cause.done() : Effect.failCause(failure)
    if (pending === undefined && aggs.open.size === 0) {
      // fast path: nothing is waiting on a deadline, pull upstream directly
      return Effect.matchCauseEffect(pull, { onSuccess: next, onFailure: fail })
    }
    if (aggs.open.size > 0 && clock.currentTimeMillisUnsafe() >= aggs.wakeAt) return next(undefined)
    return Effect.flatMap(
      pending === undefined ? Effect.forkIn(pull, scope, { startImmediately: true }) : Effect.succeed(pending),
      (fiber) => {
        if (aggs.open.size === 0) {
          pending = undefined
          return Effect.flatMap(Fiber.await(fiber), onExit)
        }
        const delay = Math.max(0, aggs.wakeAt - clock.currentTimeMillisUnsafe())
        return Effect.flatMap(
          Effect.raceFirst(Fiber.await(fiber), Effect.as(Effect.sleep(delay), undefined)),
          (exit) => {
            if (exit === undefined) {
              pending = fiber
              return next(undefined)
            }
            pending = undefined
            return onExit(exit)
          }
        )
      }
    )
  })

  return loop
}

const isExcluded = (s: Settings, event: LogEvent.LogEvent): boolean => {
  const fields = event.fields
  if (fields !== undefined && carriesMarker(fields, s.identityFields)) return true
  const annotations = event.annotations
  if (annotations !== undefined && carriesMarker(annotations, s.identityFields)) return true
  return s.exclude !== undefined && s.exclude(event)
}

const carriesMarker = (record: Readonly<Record<string, unknown>>, identityFields: ReadonlyArray<string>): boolean => {
  try {
    if (record.event_type === "business") return true
    for (let i = 0; i < identityFields.length; i++) {
      if (record[identityFields[i]!] !== undefined) return true
    }
    return false
  } catch {
    // unreadable fields: never aggregate what cannot be inspected
    return true
  }
}

/** The correlation-id key of events without one (no real correlation id starts with NUL). */
const noCorrelation = "\u0000"

const sameValue = (a: unknown, b: unknown): boolean => a === b || (a !== a && b !== b)

const noteDistinct = (
  distinct: Map<string, { values: Array<unknown>; more: number }> | undefined,
  field: string,
  firstValue: unknown,
  value: unknown,
  max: number
): Map<string, { values: Array<unknown>; more: number }> => {
  const map = distinct ?? new Map<string, { values: Array<unknown>; more: number }>()
  let d = map.get(field)
  if (d === undefined) {
    d = { values: [firstValue], more: 0 }
    map.set(field, d)
  }
  if (!d.values.includes(value)) {
    if (d.values.length < max) d.values.push(value)
    else d.more++
  }
  return map
}

