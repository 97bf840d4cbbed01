import { assert, describe, expect, it } from "@effect/vitest"
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import * as Mix from "../bench/workload/mix.ts"
import * as Aggregator from "../src/Aggregator.ts"
import * as Encoder from "../src/Encoder.ts"
import * as Enricher from "../src/Enricher.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Redactor from "../src/Redactor.ts"

type Spec = Omit<LogEvent.Input, "timestamp" | "level" | "logger"> & {
  readonly level?: LogEvent.Input["level"]
  readonly logger?: string
}

/** Runs `Aggregator.repetitive(options)` over a queue; events are stamped with the clock's time. */
const harness = (options?: Aggregator.Options) =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<LogEvent.LogEvent, Cause.Done>()
    const out: Array<LogEvent.LogEvent> = []
    const { counters, snapshot } = Pipeline.makeCounters()
    const fiber = yield* Stream.fromQueue(queue).pipe(
      Aggregator.repetitive(options),
      Stream.runForEach((event) => Effect.sync(() => out.push(event))),
      Effect.provideService(Pipeline.Counters, counters),
      Effect.forkChild
    )
    yield* settle
    const offer = (events: ReadonlyArray<LogEvent.LogEvent>) => Effect.andThen(Queue.offerAll(queue, events), settle)
    const log = (spec: Spec, times = 1) =>
      Effect.flatMap(Clock.currentTimeMillis, (timestamp) =>
        offer(Array.from({ length: times }, () => event(spec, timestamp))))
    const end = Effect.andThen(Queue.end(queue), Fiber.join(fiber))
    return { out, offer, log, end, snapshot, aggregates: () => out.filter(Aggregator.isAggregated) }
  })

const event = (spec: Spec, timestamp: number): LogEvent.LogEvent =>
  LogEvent.make({ level: "Info", logger: "app", ...spec, timestamp })

/** Lets the consumer fiber process everything offered so far. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

const total = (events: ReadonlyArray<LogEvent.LogEvent>): number =>
  events.reduce((n, e) => n + Aggregator.count(e), 0)

const pool: Spec = {
  level: "Debug",
  logger: "db.pool",
  message: "Connection pool size: 10",
  template: "Connection pool size: {size}",
  fields: { size: 10 }
}

describe("Aggregator.repetitive", () => {
  it.effect("passes the first `threshold` occurrences within the window, absorbs the rest", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* h.log(pool, 5)
      expect(h.out.length).toBe(5)
      expect(h.out.every((e) => !Aggregator.isAggregated(e))).toBe(true)
      yield* h.log(pool, 3)
      expect(h.out.length).toBe(5)
      // absorbed is reported when the aggregate is emitted (here: at the end of the stream)
      expect(h.snapshot().absorbed).toBe(0)
      yield* h.end
      expect(h.snapshot().absorbed).toBe(3)
      const [agg] = h.aggregates()
      assert(agg !== undefined)
      const summary = Aggregator.summary(agg)!
      expect(summary._count).toBe(3)
      expect(summary._aggregated).toBe(true)
      expect(summary._first_occurrence).toBe("1970-01-01T00:00:00.000Z")
      expect(agg.message).toBe("Connection pool size: 10")
      expect(agg.level).toBe("Debug")
      expect(agg.fields?.size).toBe(10)
      expect(total(h.out)).toBe(8)
      // the marker, not a field: the aggregate's fields are its first occurrence's
      expect(agg.aggregate).toMatchObject({ count: 3, firstOccurrence: 0, windowSeconds: 0 })
      expect(agg.fields).toEqual({ size: 10 })
      // and it survives the other stages, and is written as the seed's keys
      const redacted = Redactor.make()(Enricher.make({ fields: { service: "svc" } })(agg))
      assert.strictEqual(redacted.aggregate, agg.aggregate)
      expect(JSON.parse(Encoder.encode(redacted))).toMatchObject({
        size: 10,
        _aggregated: true,
        _count: 3,
        _first_occurrence: "1970-01-01T00:00:00.000Z",
        _last_occurrence: "1970-01-01T00:00:00.000Z",
        _window_seconds: 0
      })
    }))

  it.effect("the distinct values of a varying secret field are redacted like any field", () =>
    Effect.gen(function*() {
      const h = yield* harness({ threshold: 0 })
      for (let i = 0; i < 4; i++) {
        yield* h.offer([event({ message: "login", fields: { password: `hunter${i}`, user_agent: `ua-${i}` } }, 0)])
      }
      yield* h.end
      const [agg] = h.aggregates()
      assert(agg !== undefined)
      expect(Aggregator.summary(agg)!._distinct).toEqual({
        password: { values: ["hunter0", "hunter1", "hunter2", "hunter3"], more: 0 },
        user_agent: { values: ["ua-0", "ua-1", "ua-2", "ua-3"], more: 0 }
      })
      // redaction runs after the pipeline (as the layer does): no secret survives in the line
      const line = Encoder.encode(Redactor.make()(agg))
      expect(line).not.toMatch(/hunter/)
      expect(JSON.parse(line)).toMatchObject({ _count: 4, _distinct: { user_agent: { values: ["ua-0", "ua-1", "ua-2", "ua-3"] } } })
    }))

  it.effect("judges the rate on a sliding window: 6 events spread over exactly 1 s all pass", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      for (let i = 0; i < 6; i++) {
        yield* h.log(pool)
        yield* TestClock.adjust("200 millis")
      }
      expect(h.out.length).toBe(6)
      expect(h.aggregates().length).toBe(0)
      // 199 ms apart, the 6th falls within 1 s of the 1st: absorbed
      const h2 = yield* harness()
      for (let i = 0; i < 6; i++) {
        yield* h2.log(pool)
        if (i < 5) yield* TestClock.adjust("199 millis")
      }
      expect(h2.out.length).toBe(5)
      yield* h.end
      yield* h2.end
      expect(h2.snapshot().absorbed).toBe(1)
    }))

  it.effect("emits the aggregate when its window closes, with no further input", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* h.log(pool, 8)
      yield* TestClock.adjust("999 millis")
      expect(h.aggregates().length).toBe(0)
      yield* TestClock.adjust("1 millis")
      const aggs = h.aggregates()
      expect(aggs.length).toBe(1)
      expect(Aggregator.count(aggs[0]!)).toBe(3)
      // the aggregate's timestamp is its emission time
      expect(aggs[0]!.timestamp).toBe(1000)
      expect(h.out.length).toBe(6)
      yield* h.end
      expect(h.out.length).toBe(6)
    }))

  it.effect("emits at the latest maxWindow after the first absorbed occurrence", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* h.log(pool, 6) // 6th absorbed at t = 0
      // a steady trickle keeps the window open
      for (let i = 0; i < 24; i++) {
        yield* TestClock.adjust("500 millis")
        if (i < 19) {
          expect(h.aggregates().length).toBe(0)
        }
        yield* h.log(pool)
      }
      const aggs = h.aggregates()
      expect(aggs.length).toBe(1)
      const first = Aggregator.summary(aggs[0]!)!
      expect(aggs[0]!.timestamp).toBe(10_000)
      expect(first._count).toBe(20) // t = 0, 500, ..., 9500
      expect(first._first_occurrence).toBe("1970-01-01T00:00:00.000Z")
      expect(first._last_occurrence).toBe("1970-01-01T00:00:09.500Z")
      expect(first._window_seconds).toBe(9.5)
      // a trickle of 2/s is below the threshold: once the aggregate is closed, occurrences pass again
      yield* h.end
      expect(h.aggregates().length).toBe(1)
      expect(h.out.length).toBe(5 + 1 + 5)
      expect(total(h.out)).toBe(30)
    }))

  it.effect("reports a sustained burst once per maxWindow", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      for (let i = 0; i < 250; i++) {
        yield* h.log(pool) // 10/s for 25 s
        yield* TestClock.adjust("100 millis")
      }
      const aggs = h.aggregates()
      expect(aggs.map((e) => e.timestamp)).toEqual([10_500, 20_500]) // first absorbed at 500
      expect(h.out.filter((e) => !Aggregator.isAggregated(e)).length).toBe(5)
      yield* h.end
      expect(total(h.out)).toBe(250)
      expect(h.aggregates().length).toBe(3)
    }))

  it.effect("emits as soon as an aggregate reaches maxCount", () =>
    Effect.gen(function*() {
      const h = yield* harness({ maxCount: 10 })
      yield* h.log(pool, 30)
      expect(h.aggregates().map(Aggregator.count)).toEqual([10, 10])
      yield* h.end
      expect(h.aggregates().map(Aggregator.count)).toEqual([10, 10, 5])
      expect(h.snapshot().absorbed).toBe(25)
    }))

  it.effect("emits a correlation id's aggregates when it ends, before the signal", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* h.log({ ...pool, correlationId: "a" }, 8)
      yield* h.log({ ...pool, correlationId: "b" }, 9)
      expect(h.out.length).toBe(10)
      const end = LogEvent.correlationEnd("a")
      yield* h.offer([end])
      expect(h.out.length).toBe(12)
      const agg = h.out[10]!
      expect(Aggregator.count(agg)).toBe(3)
      expect(agg.correlationId).toBe("a")
      expect(h.out[11]).toBe(end)
      yield* h.end
      const last = h.out[12]!
      expect(last.correlationId).toBe("b")
      expect(Aggregator.count(last)).toBe(4)
    }))

  it.effect("forgets a correlation id's keys when it ends, and only that id's", () =>
    Effect.gen(function*() {
      const h = yield* harness({ threshold: 3 })
      yield* h.log({ ...pool, correlationId: "a" }, 3)
      yield* h.log({ ...pool, correlationId: "b" }, 3)
      yield* h.offer([LogEvent.correlationEnd("a")])
      // within the same window: "a" starts afresh (3 more pass), "b" is still counted
      yield* h.log({ ...pool, correlationId: "a" }, 3)
      yield* h.log({ ...pool, correlationId: "b" }, 1)
      yield* h.end
      const passed = h.out.filter((e) => !LogEvent.isControl(e) && !Aggregator.isAggregated(e))
      expect(passed.filter((e) => e.correlationId === "a").length).toBe(6)
      expect(passed.filter((e) => e.correlationId === "b").length).toBe(3)
      expect(h.aggregates().map((e) => [e.correlationId, Aggregator.count(e)])).toEqual([["b", 1]])
    }))

  it.effect("emits every aggregate on Flush, before forwarding the marker", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      let flushed = 0
      yield* h.log(pool, 7)
      yield* h.log({ message: "tick", level: "Trace" }, 6)
      const marker = LogEvent.flushMarker(() => flushed++)
      yield* h.offer([marker])
      expect(h.out.map((e) => (e.control === undefined ? Aggregator.count(e) : "flush"))).toEqual([
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, "flush"
      ])
      expect(h.out[12]).toBe(marker)
      expect(flushed).toBe(0) // the marker is forwarded untouched; the worker calls done
      // no aggregate is held any more: nothing is emitted later
      yield* TestClock.adjust("1 minute")
      yield* h.end
      expect(h.out.length).toBe(13)
    }))

  it.effect("emits everything held when the upstream ends", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* h.log(pool, 50)
      yield* h.log({ ...pool, correlationId: "x" }, 20)
      yield* h.end
      expect(h.aggregates().map(Aggregator.count)).toEqual([45, 15])
      expect(total(h.out)).toBe(70)
      expect(h.snapshot().absorbed).toBe(60)
    }))

  it.effect("emits everything held before an upstream failure", () =>
    Effect.gen(function*() {
      const out: Array<LogEvent.LogEvent> = []
      const events = Stream.fromIterable(Array.from({ length: 9 }, () => event(pool, 0)))
      const exit = yield* Stream.concat(events, Stream.fail("boom")).pipe(
        Aggregator.repetitive(),
        Stream.runForEach((e) => Effect.sync(() => out.push(e))),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(total(out)).toBe(9)
      expect(out.filter(Aggregator.isAggregated).length).toBe(1)
    }))

  describe("never aggregates", () => {
    it.effect("Error and Fatal", () =>
      Effect.gen(function*() {
        const h = yield* harness()
        yield* h.log({ message: "db down", level: "Error" }, 20)
        yield* h.log({ message: "db down", level: "Fatal" }, 20)
        yield* h.end
        expect(h.out.length).toBe(40)
        expect(h.aggregates().length).toBe(0)
      }))

    it.effect("business events (event_type: business in fields or annotations)", () =>
      Effect.gen(function*() {
        const h = yield* harness()
        yield* h.log({ message: "order placed", fields: { ...Aggregator.businessEvent, amount: 1 } }, 20)
        yield* h.log({ message: "refund", annotations: { event_type: "business" } }, 20)
        yield* h.end
        expect(h.out.length).toBe(40)
        expect(h.aggregates().length).toBe(0)
      }))

    it.effect("events carrying an identity field", () =>
      Effect.gen(function*() {
        const h = yield* harness()
        yield* h.log({ message: "clicked", fields: { user_id: "u1" } }, 10)
        yield* h.log({ message: "clicked", fields: { userId: "u1" } }, 10)
        yield* h.log({ message: "clicked", fields: { account_id: "a1" } }, 10)
        yield* h.log({ message: "clicked", annotations: { user_id: "u1" } }, 10)
        yield* h.end
        expect(h.out.length).toBe(40)
        expect(h.aggregates().length).toBe(0)
        const custom = yield* harness({ identityFields: ["tenant"] })
        yield* custom.log({ message: "clicked", fields: { tenant: "t" } }, 10)
        yield* custom.log({ message: "viewed", fields: { user_id: "u1" } }, 10)
        yield* custom.end
        expect(custom.aggregates().map((e) => [e.message, Aggregator.count(e)])).toEqual([["viewed", 5]])
      }))

    it.effect("excluded events still count as occurrences of their key, but always pass", () =>
      Effect.gen(function*() {
        const h = yield* harness()
        yield* h.log({ message: "clicked", fields: { user_id: "u1" } }, 5)
        yield* h.log({ message: "clicked", fields: { user_id: "u2" } }) // 6th: repetitive, but excluded
        yield* h.log({ message: "clicked" }, 2) // anonymous: absorbed
        yield* h.end
        expect(h.out.slice(0, 6).every((e) => !Aggregator.isAggregated(e))).toBe(true)
        expect(h.aggregates().map(Aggregator.count)).toEqual([2])
        expect(Aggregator.summary(h.aggregates()[0]!)!._distinct).toBeUndefined()
      }))

    it.effect("events matching `exclude`", () =>
      Effect.gen(function*() {
        const h = yield* harness({ exclude: (e) => e.logger === "audit" })
        yield* h.log({ message: "read", logger: "audit" }, 10)
        yield* h.end
        expect(h.out.length).toBe(10)
      }))

    it.effect("across correlation ids", () =>
      Effect.gen(function*() {
        const h = yield* harness()
        for (let i = 0; i < 4; i++) {
          yield* h.log({ ...pool, correlationId: "x" })
          yield* h.log({ ...pool, correlationId: "y" })
          yield* h.log(pool)
        }
        expect(h.out.length).toBe(12)
        yield* h.log({ ...pool, correlationId: "x" }, 4)
        yield* h.log({ ...pool, correlationId: "y" }, 3)
        yield* h.end
        const aggs = h.aggregates()
        expect(aggs.map((e) => [e.correlationId, Aggregator.count(e)])).toEqual([["x", 3], ["y", 2]])
      }))
  })

  it.effect("keys on the template, not the rendered message", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      for (let size = 0; size < 10; size++) {
        yield* h.log({ ...pool, message: `Connection pool size: ${size}`, fields: { size } })
      }
      yield* h.end
      const [agg] = h.aggregates()
      assert(agg !== undefined)
      expect(agg.message).toBe("Connection pool size: 5") // the first absorbed occurrence
      expect(Aggregator.summary(agg)!._distinct).toEqual({ size: { values: [5, 6, 7, 8, 9], more: 0 } })
    }))

  it.effect("keeps distinct values of varying fields, bounded, with a count of the rest", () =>
    Effect.gen(function*() {
      const h = yield* harness({ threshold: 0 })
      const codes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 1, 2, 13]
      for (let i = 0; i < codes.length; i++) {
        const fields: Record<string, unknown> = { host: "db-1", code: codes[i] }
        if (i === 0) fields.extra = "only-first"
        yield* h.log({ message: "retry", fields })
      }
      yield* h.end
      const [agg] = h.aggregates()
      assert(agg !== undefined)
      const summary = Aggregator.summary(agg)!
      expect(summary._count).toBe(16)
      expect(summary._distinct).toEqual({
        code: { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], more: 4 }, // 11, 12, 13, 13
        extra: { values: ["only-first", undefined], more: 0 }
      })
      expect(agg.fields?.host).toBe("db-1") // constant fields are kept, not listed
      expect(agg.fields?.extra).toBe("only-first") // the first occurrence's full context
    }))

  it.effect("bounds tracking with an LRU of maxKeys; eviction emits the oldest key's aggregate", () =>
    Effect.gen(function*() {
      const h = yield* harness({ maxKeys: 3 })
      yield* h.log({ message: "a" }, 7)
      yield* h.log({ message: "b" }, 7)
      yield* h.log({ message: "c" }, 7)
      yield* h.log({ message: "a" }) // a becomes the most recently seen
      expect(h.aggregates().length).toBe(0)
      yield* h.log({ message: "d" }) // evicts b, the least recently seen
      expect(h.aggregates().map((e) => [e.message, Aggregator.count(e)])).toEqual([["b", 2]])
      yield* h.log({ message: "e" }) // evicts c
      expect(h.aggregates().map((e) => e.message)).toEqual(["b", "c"])
      // b's tracking is gone: its next occurrences pass again
      const before = h.out.length
      yield* h.log({ message: "b" }, 5)
      expect(h.out.length).toBe(before + 5 + 1) // + a's aggregate, evicted by b
      yield* h.end
      expect(total(h.out)).toBe(7 * 3 + 1 + 1 + 1 + 5)
    }))

  it.effect("a key tracked in a recycled LRU slot counts from its first occurrence", () =>
    Effect.gen(function*() {
      const h = yield* harness({ maxKeys: 1 })
      yield* h.log({ message: "a" }, 3)
      yield* h.log({ message: "b" }, 6) // evicts a; b's 6th occurrence within 1 s is absorbed
      expect(h.out.length).toBe(3 + 5)
      yield* h.end
      expect(h.snapshot().absorbed).toBe(1)
    }))

  it.effect("forwards control events unchanged and in order", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const controls = [
        LogEvent.flushMarker(() => {}),
        LogEvent.correlationEnd("r1"),
        LogEvent.correlationEnd("r2"),
        LogEvent.flushMarker(() => {})
      ]
      for (const control of controls) {
        yield* h.log({ ...pool, correlationId: "r1" }, 7)
        yield* h.log({ ...pool, correlationId: "r2" }, 7)
        yield* h.offer([control])
      }
      yield* h.end
      expect(h.out.filter(LogEvent.isControl)).toEqual(controls)
      expect(total(h.out)).toBe(4 * 14)
    }))

  it.effect("an idle operator does not wake: no aggregate open, no timer", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* h.log(pool, 3)
      yield* TestClock.adjust("1 hour")
      yield* h.log(pool, 3)
      expect(h.out.length).toBe(6)
      yield* h.end
    }))

  it("conservation and order hold for every interleaving (fast-check)", async () => {
    type Step =
      | {
        readonly _tag: "log"
        readonly key: number
        readonly logger: number
        readonly level: number
        readonly cid: number
        readonly n: number
      }
      | { readonly _tag: "advance"; readonly millis: number }
      | { readonly _tag: "flush" }
      | { readonly _tag: "end"; readonly cid: number }
    const levels = ["Debug", "Info", "Warn", "Error"] as const
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          _tag: fc.constant("log" as const),
          key: fc.integer({ min: 0, max: 4 }),
          logger: fc.integer({ min: 0, max: 1 }),
          level: fc.integer({ min: 0, max: 3 }),
          cid: fc.integer({ min: 0, max: 2 }),
          n: fc.integer({ min: 1, max: 12 })
        })
      },
      { weight: 3, arbitrary: fc.record({ _tag: fc.constant("advance" as const), millis: fc.integer({ min: 1, max: 12_000 }) }) },
      { weight: 1, arbitrary: fc.record({ _tag: fc.constant("flush" as const) }) },
      { weight: 1, arbitrary: fc.record({ _tag: fc.constant("end" as const), cid: fc.integer({ min: 1, max: 2 }) }) }
    )
    const options = fc.record({
      threshold: fc.integer({ min: 0, max: 6 }),
      maxCount: fc.integer({ min: 1, max: 20 }),
      maxKeys: fc.integer({ min: 1, max: 8 }),
      window: fc.integer({ min: 1, max: 3_000 }),
      maxWindow: fc.integer({ min: 1, max: 12_000 })
    })
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), options, (steps, opts) =>
        Effect.runPromise(
          Effect.gen(function*() {
            const h = yield* harness(opts)
            const input: Array<LogEvent.LogEvent> = []
            for (const s of steps) {
              if (s._tag === "advance") yield* TestClock.adjust(s.millis)
              else {
                const now = yield* Clock.currentTimeMillis
                const events = s._tag === "log"
                  ? Array.from({ length: s.n }, (_, i) =>
                    event({
                      message: `m${s.key}`,
                      logger: `l${s.logger}`,
                      level: levels[s.level]!,
                      correlationId: s.cid === 0 ? undefined : `c${s.cid}`,
                      fields: { i }
                    }, now))
                  : [s._tag === "flush" ? LogEvent.flushMarker(() => {}) : LogEvent.correlationEnd(`c${s.cid}`)]
                input.push(...events)
                yield* h.offer(events)
              }
            }
            yield* h.end
            const keyOf = (e: LogEvent.LogEvent) => `${e.logger}|${e.level}|${e.correlationId}|${e.message}`
            const inByKey = new Map<string, number>()
            const outByKey = new Map<string, number>()
            for (const e of input) if (e.control === undefined) inByKey.set(keyOf(e), (inByKey.get(keyOf(e)) ?? 0) + 1)
            for (const e of h.out) if (e.control === undefined) outByKey.set(keyOf(e), (outByKey.get(keyOf(e)) ?? 0) + Aggregator.count(e))
            expect(outByKey).toEqual(inByKey)
            // individual events and control events keep their relative order
            const passed = h.out.filter((e) => !Aggregator.isAggregated(e))
            const inputSet = new Set(passed)
            expect(passed).toEqual(input.filter((e) => inputSet.has(e)))
            expect(h.out.filter(LogEvent.isControl)).toEqual(input.filter(LogEvent.isControl))
            // errors are never absorbed; absorbed == sum of _count
            expect(h.aggregates().every((e) => e.level !== "Error")).toBe(true)
            expect(h.snapshot().absorbed).toBe(h.aggregates().reduce((n, e) => n + Aggregator.count(e), 0))
          }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))
        )),
      { numRuns: 150 }
    )
  })

  it("one key over arbitrary gaps behaves exactly as the documented rules (fast-check model)", async () => {
    const options = fc.record({
      threshold: fc.integer({ min: 0, max: 6 }),
      window: fc.constantFrom(100, 200, 500, 1_000),
      maxWindow: fc.constantFrom(100, 300, 500, 1_000, 2_000)
    })
    // round gaps, so that occurrences often fall exactly on a window or deadline boundary
    const gaps = fc.array(fc.constantFrom(0, 0, 20, 50, 100, 100, 200, 300, 500, 1_000), { maxLength: 60 })
    await fc.assert(
      fc.asyncProperty(options, gaps, (opts, steps) => {
        // the model: times of every occurrence, one open aggregate at most
        const expected: Array<number | "pass"> = []
        const times: Array<number> = []
        let open: { count: number; openedAt: number; lastAt: number } | undefined
        let now = 0
        const close = () => {
          if (open !== undefined) expected.push(open.count)
          open = undefined
        }
        for (const gap of steps) {
          now += gap
          if (open !== undefined && (now >= open.lastAt + opts.window || now >= open.openedAt + opts.maxWindow)) close()
          const previous = times.length - opts.threshold
          const repetitive = opts.threshold === 0 || (previous >= 0 && now - times[previous]! < opts.window)
          if (open !== undefined) {
            open.count++
            open.lastAt = now
          } else if (repetitive) open = { count: 1, openedAt: now, lastAt: now }
          else expected.push("pass")
          times.push(now)
        }
        close()
        return Effect.runPromise(
          Effect.gen(function*() {
            const h = yield* harness({ ...opts, maxCount: 10_000 })
            for (const gap of steps) {
              yield* TestClock.adjust(gap)
              yield* h.log(pool)
            }
            yield* h.end
            expect(h.out.map((e) => (Aggregator.isAggregated(e) ? Aggregator.count(e) : "pass"))).toEqual(expected)
          }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))
        )
      }),
      { numRuns: 300 }
    )
  })

  it.effect("reduces the system-log share of a realistic mix by more than half, never touching users or business", () =>
    Effect.gen(function*() {
      const mix = Mix.generate({ seed: 42, durationMs: 30_000 })
      yield* TestClock.setTime(mix.startTime)
      const h = yield* harness()
      // replay the mix in real (test-clock) time, 50 ms at a time
      let i = 0
      for (let t = mix.startTime; t < mix.endTime; t += 50) {
        const slice: Array<LogEvent.LogEvent> = []
        while (i < mix.events.length && mix.events[i]!.timestamp < t + 50) slice.push(mix.events[i++]!)
        if (slice.length > 0) yield* h.offer(slice)
        yield* TestClock.adjust("50 millis")
      }
      yield* h.end
      const volume = { pool: 0, health: 0, metric: 0, user: 0, business: 0, error: 0 }
      const represented = { ...volume }
      const aggregated = { ...volume }
      for (const e of h.out) {
        const category = Mix.categoryOf(e)
        if (category === undefined) continue
        volume[category]++
        represented[category] += Aggregator.count(e)
        if (Aggregator.isAggregated(e)) aggregated[category]++
      }
      expect(represented).toEqual(mix.counts) // conservation per category
      expect(aggregated.user).toBe(0)
      expect(aggregated.business).toBe(0)
      expect(aggregated.error).toBe(0)
      const systemIn = Mix.systemCategories.reduce((n, c) => n + mix.counts[c], 0)
      const systemOut = Mix.systemCategories.reduce((n, c) => n + volume[c], 0)
      const reduction = 1 - systemOut / systemIn
      expect(reduction).toBeGreaterThan(0.5)
      const totalIn = Object.values(mix.counts).reduce((a, b) => a + b, 0)
      const totalOut = Object.values(volume).reduce((a, b) => a + b, 0)
      yield* Effect.sync(() =>
        console.log(
          `mix: system ${systemIn} -> ${systemOut} (-${(reduction * 100).toFixed(1)}%), ` +
            `total ${totalIn} -> ${totalOut} (-${((1 - totalOut / totalIn) * 100).toFixed(1)}%), counts ${JSON.stringify(mix.counts)}`
        )
      )
    }))
})
