import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Metric, Random, Stream } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { readFileSync } from "node:fs"
import * as LogEvent from "../src/LogEvent.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Sampler from "../src/Sampler.ts"

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

const ev = (input: Partial<LogEvent.Input>): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "app", ...input })

/** Runs a stream with fresh counters; returns the output and the drops by reason. */
const run = <E>(stream: Stream.Stream<LogEvent.LogEvent, E>) =>
  Effect.gen(function*() {
    const { counters, snapshot } = Pipeline.makeCounters()
    const out = yield* Stream.runCollect(stream).pipe(Effect.provideService(Pipeline.Counters, counters))
    return { out, dropped: snapshot().dropped }
  })

const M64 = (1n << 64n) - 1n
/** Reference implementation of the documented hash, with BigInt and TextEncoder. */
const referenceHash = (id: string): bigint => {
  let h = 0xcbf29ce484222325n
  for (const byte of new TextEncoder().encode(id)) {
    h ^= BigInt(byte)
    h = (h * 0x100000001b3n) & M64
  }
  h = ((h ^ (h >> 30n)) * 0xbf58476d1ce4e5b9n) & M64
  h = ((h ^ (h >> 27n)) * 0x94d049bb133111ebn) & M64
  return h ^ (h >> 31n)
}

/** Deterministic PRNG (mulberry32) for reproducible "random" ids. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const hex = (next: () => number, digits: number): string => {
  let s = ""
  for (let i = 0; i < digits; i++) s += Math.floor(next() * 16).toString(16)
  return s
}
/** Version-4 UUIDs (with dashes, so they take the hash path) from a seeded generator. */
const uuids = (n: number, seed: number): Array<string> => {
  const next = prng(seed)
  const out: Array<string> = []
  for (let i = 0; i < n; i++) {
    const h = hex(next, 32)
    const variant = "89ab"[Math.floor(next() * 4)]!
    out.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`)
  }
  return out
}
const traceIds = (n: number, seed: number): Array<string> => {
  const next = prng(seed)
  return Array.from({ length: n }, () => hex(next, 32))
}
const sequential = (n: number): Array<string> => Array.from({ length: n }, (_, i) => `req-${i + 1}`)

const RATES = [0.01, 0.1, 0.5, 0.9] as const

// -----------------------------------------------------------------------------
// decision
// -----------------------------------------------------------------------------

describe("decision", () => {
  it("hash64 is FNV-1a 64 + splitmix64 finalizer over UTF-8 (matches a BigInt reference)", () => {
    for (const id of ["", "a", "req-1", "héllo", "日本", "😀", "\ud800", "x\udc00y", "a\ud83d"]) {
      assert.strictEqual(Sampler.hash64(id), referenceHash(id), JSON.stringify(id))
    }
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((codes) => String.fromCharCode(...codes))
        ),
        (id) => Sampler.hash64(id) === referenceHash(id)
      ),
      { numRuns: 2000 }
    )
  })

  it("isTraceId accepts 32 hex digits in either case, not all zero", () => {
    assert.isTrue(Sampler.isTraceId("4bf92f3577b34da6a3ce929d0e0e4736"))
    assert.isTrue(Sampler.isTraceId("4BF92F3577B34DA6A3CE929D0E0E4736"))
    assert.isFalse(Sampler.isTraceId("00000000000000000000000000000000"))
    assert.isFalse(Sampler.isTraceId("4bf92f3577b34da6a3ce929d0e0e473"))
    assert.isFalse(Sampler.isTraceId("4bf92f3577b34da6a3ce929d0e0e4736a"))
    assert.isFalse(Sampler.isTraceId("4bf92f3577b34da6a3ce929d0e0e473g"))
    assert.isFalse(Sampler.isTraceId("550e8400-e29b-41d4-a716-446655440000"))
  })

  it("W3C trace ids follow OpenTelemetry consistent probability sampling (hand-computed vectors)", () => {
    // thresholds: 2^56 - round(rate * 2^56), computed in IEEE doubles as the OTel Collector does
    assert.strictEqual(Sampler.threshold(1), 0n)
    assert.strictEqual(Sampler.threshold(0), 1n << 56n)
    assert.strictEqual(Sampler.threshold(0.5), 0x80000000000000n)
    assert.strictEqual(Sampler.threshold(0.25), 0xc0000000000000n)
    assert.strictEqual(Sampler.threshold(0.1), 0xe6666666666666n) // 2^56 - 7205759403792794
    assert.strictEqual(Sampler.threshold(0.9), 0x19999999999998n) // 0.9 * 2^56 rounds to ...144 in doubles
    // R is the last 14 hex digits
    assert.strictEqual(Sampler.randomness("4bf92f3577b34da6a3ce929d0e0e4736"), 0xce929d0e0e4736n)
    assert.strictEqual(Sampler.randomness("4BF92F3577B34DA6A3CE929D0E0E4736"), 0xce929d0e0e4736n)
    const withR = (r: string) => `0123456789abcdef00${r}`
    // at 0.5 the boundary is R = 2^55
    assert.isTrue(Sampler.decide(withR("80000000000000"), 0.5))
    assert.isFalse(Sampler.decide(withR("7fffffffffffff"), 0.5))
    // at 0.1 the boundary is 0xe6666666666666
    assert.isTrue(Sampler.decide(withR("e6666666666666"), 0.1))
    assert.isFalse(Sampler.decide(withR("e6666666666665"), 0.1))
    // rate 1 keeps even R = 0, rate 0 drops even R = 2^56 - 1
    assert.isTrue(Sampler.decide(withR("00000000000000"), 1))
    assert.isFalse(Sampler.decide(withR("00000000000000"), 0.999999))
    assert.isFalse(Sampler.decide(withR("ffffffffffffff"), 0))
    assert.isTrue(Sampler.decide(withR("ffffffffffffff"), 2 ** -56))
    // the high 72 bits do not matter
    assert.strictEqual(
      Sampler.decide("ffffffffffffffffff80000000000000", 0.5),
      Sampler.decide("000000000000000001" + "80000000000000", 0.5)
    )
    // traceparent example from the W3C spec: R = 0xce929d0e0e4736 (between the 0.1 and 0.25 thresholds)
    assert.isTrue(Sampler.decide("4bf92f3577b34da6a3ce929d0e0e4736", 0.25))
    assert.isFalse(Sampler.decide("4bf92f3577b34da6a3ce929d0e0e4736", 0.1))
  })

  it("rejects rates outside [0, 1]", () => {
    expect(() => Sampler.decide("x", 1.5)).toThrow(RangeError)
    expect(() => Sampler.byCorrelation({ rate: -0.1 })).toThrow(RangeError)
    expect(() => Sampler.byCorrelation({ rate: Number.NaN })).toThrow(RangeError)
    expect(() => Sampler.byCorrelation({ rate: 0.5, fallbackRate: 2 })).toThrow(RangeError)
  })

  it("a higher rate keeps a superset (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f]{32}$/), fc.uuid()),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (id, x, y) => {
          const [a, b] = x <= y ? [x, y] : [y, x]
          return !Sampler.decide(id, a) || Sampler.decide(id, b)
        }
      ),
      { numRuns: 5000 }
    )
  })

  describe("kept fraction over 100,000 ids is within ±0.5 percentage points", () => {
    const shapes = {
      "random UUIDs": uuids(100_000, 42),
      "sequential req-1..req-100000": sequential(100_000),
      "W3C trace ids": traceIds(100_000, 7)
    }
    for (const [shape, ids] of Object.entries(shapes)) {
      for (const rate of RATES) {
        it(`${shape} at rate ${rate}`, () => {
          let kept = 0
          for (const id of ids) if (Sampler.decide(id, rate)) kept++
          const fraction = kept / ids.length
          expect(Math.abs(fraction - rate) * 100).toBeLessThanOrEqual(0.5)
        })
      }
    }
  })

  it("the test vectors in docs/guide/sampling.md are what the code computes", () => {
    const doc = readFileSync(new URL("../docs/guide/sampling.md", import.meta.url), "utf8")
    const table = doc.split("<!-- vectors:start -->")[1]!.split("<!-- vectors:end -->")[0]!
    const rows = table.split("\n").filter((line) => line.startsWith("| \""))
    assert.isAtLeast(rows.length, 10)
    for (const row of rows) {
      const cells = row.split("|").slice(1, -1).map((c) => c.trim().replaceAll("`", ""))
      const id = JSON.parse(cells[0]!) as string
      const hash = cells[1]!
      if (Sampler.isTraceId(id)) assert.strictEqual(hash, "—", id)
      else assert.strictEqual(hash, Sampler.hash64(id).toString(16).padStart(16, "0"), id)
      assert.strictEqual(cells[2], Sampler.randomness(id).toString(16).padStart(14, "0"), id)
      RATES.forEach((rate, i) => assert.strictEqual(cells[3 + i], Sampler.decide(id, rate) ? "keep" : "drop", `${id} @ ${rate}`))
    }
    const thresholds = doc.split("<!-- thresholds:start -->")[1]!.split("<!-- thresholds:end -->")[0]!
    const trows = thresholds.split("\n").filter((line) => /^\| [0-9]/.test(line))
    assert.isAtLeast(trows.length, 4)
    for (const row of trows) {
      const cells = row.split("|").slice(1, -1).map((c) => c.trim().replaceAll("`", ""))
      assert.strictEqual(cells[1], Sampler.threshold(Number(cells[0])).toString(16).padStart(14, "0"), row)
    }
  })
})

// -----------------------------------------------------------------------------
// byCorrelation
// -----------------------------------------------------------------------------

describe("byCorrelation", () => {
  it.effect("keeps whole requests, the same ids as decide(), and marks kept events", () =>
    Effect.gen(function*() {
      const ids = sequential(2000)
      // interleave 5 events per request: round-robin over requests
      const events: Array<LogEvent.LogEvent> = []
      for (let k = 0; k < 5; k++) for (const id of ids) events.push(ev({ correlationId: id, message: `step ${k}` }))
      const { dropped, out } = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 0.3 })))
      const perId = new Map<string, number>()
      for (const e of out) {
        perId.set(e.correlationId!, (perId.get(e.correlationId!) ?? 0) + 1)
        assert.deepStrictEqual(e.annotations, { _sampled: true, _sample_rate: 0.3 })
        assert.strictEqual(e.fields, undefined)
      }
      for (const id of ids) {
        assert.strictEqual(perId.get(id) ?? 0, Sampler.decide(id, 0.3) ? 5 : 0, id)
      }
      assert.strictEqual(dropped["sampled out"], events.length - out.length)
      assert.isAbove(out.length, 0)
    }))

  it.effect("kept fraction through the operator matches the rate (100,000 sequential ids)", () =>
    Effect.gen(function*() {
      const events = sequential(100_000).map((id) => ev({ correlationId: id }))
      const { dropped, out } = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 0.1, mark: false })))
      expect(Math.abs(out.length / 100_000 - 0.1) * 100).toBeLessThanOrEqual(0.5)
      assert.strictEqual(out.length + dropped["sampled out"]!, 100_000)
      assert.strictEqual(out[0]!.fields, undefined) // mark: false
      assert.strictEqual(out[0]!.annotations, undefined)
    }))

  it.effect("a higher rate keeps a superset of events through the operator (property)", () =>
    Effect.gen(function*() {
      const samples = fc.sample(
        fc.tuple(
          fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 50 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true })
        ),
        { numRuns: 100, seed: 1 }
      )
      for (const [ids, x, y] of samples) {
        const [a, b] = x <= y ? [x, y] : [y, x]
        const events = ids.map((id, i) => ev({ correlationId: id, message: String(i) }))
        const low = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: a })))
        const high = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: b })))
        const highMessages = new Set(high.out.map((e) => e.message))
        for (const e of low.out) assert.isTrue(highMessages.has(e.message), `${e.correlationId} kept at ${a}, not ${b}`)
      }
    }))

  it.effect("never drops Error or Fatal, marking them when the rate would have dropped them", () =>
    Effect.gen(function*() {
      const events = sequential(200).flatMap((id) => [
        ev({ correlationId: id, level: "Info" }),
        ev({ correlationId: id, level: "Error" }),
        ev({ correlationId: id, level: "Fatal" })
      ])
      const { dropped, out } = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 0 })))
      assert.strictEqual(out.length, 400)
      assert.isTrue(out.every((e) => e.level === "Error" || e.level === "Fatal"))
      assert.deepStrictEqual(out[0]!.annotations, { _sampled: true, _sample_rate: 0, _sample_reason: "error" })
      assert.strictEqual(out[0]!.fields, undefined)
      assert.strictEqual(dropped["sampled out"], 200)
    }))

  it.effect("forwards control events unchanged and in order", () =>
    Effect.gen(function*() {
      const flush1 = LogEvent.flushMarker(() => {})
      const end1 = LogEvent.correlationEnd("req-1")
      const flush2 = LogEvent.flushMarker(() => {})
      const events = [
        ev({ correlationId: "req-1" }),
        flush1,
        ev({ correlationId: "req-2" }),
        end1,
        ev({ correlationId: "req-3" }),
        flush2
      ]
      for (const rate of [0, 0.5, 1]) {
        for (const tail of [false, true]) {
          const { out } = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate, tail })))
          const controls = out.filter((e) => e.control !== undefined)
          assert.strictEqual(controls.length, 3)
          assert.strictEqual(controls[0], flush1)
          assert.strictEqual(controls[1], end1)
          assert.strictEqual(controls[2], flush2)
          if (rate === 1) assert.deepStrictEqual(out.map((e) => e.control === undefined ? e.correlationId : e.control._tag), ["req-1", "Flush", "req-2", "CorrelationEnd", "req-3", "Flush"])
        }
      }
    }))

  it.effect("uses the trace id when there is no correlation id", () =>
    Effect.gen(function*() {
      const kept = "0123456789abcdef00ffffffffffffff"
      const droppedId = "0123456789abcdef0000000000000001"
      const { out } = yield* run(
        Stream.make(ev({ traceId: kept }), ev({ traceId: droppedId })).pipe(Sampler.byCorrelation({ rate: 0.5 }))
      )
      assert.deepStrictEqual(out.map((e) => e.traceId), [kept])
    }))

  it.effect("events without any id follow fallbackRate with Effect's Random (seedable)", () =>
    Effect.gen(function*() {
      const events = Array.from({ length: 10_000 }, (_, i) => ev({ message: String(i) }))
      const all = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 0 })))
      assert.strictEqual(all.out.length, 10_000) // default fallbackRate 1
      assert.deepStrictEqual(all.out[0]!.annotations, { _sampled: true, _sample_rate: 1 })
      assert.strictEqual(all.out[0]!.fields, undefined)
      const sampled = Sampler.byCorrelation({ rate: 0, fallbackRate: 0.3 })
      const first = yield* run(Stream.fromIterable(events).pipe(sampled)).pipe(Random.withSeed("s"))
      const second = yield* run(Stream.fromIterable(events).pipe(sampled)).pipe(Random.withSeed("s"))
      expect(Math.abs(first.out.length / 10_000 - 0.3)).toBeLessThan(0.03)
      assert.deepStrictEqual(first.out.map((e) => e.message), second.out.map((e) => e.message))
      assert.strictEqual(first.dropped["sampled out"], 10_000 - first.out.length)
      // errors without id are kept even at fallbackRate 0
      const errors = yield* run(
        Stream.make(ev({ level: "Error" }), ev({})).pipe(Sampler.byCorrelation({ rate: 0, fallbackRate: 0 }))
      )
      assert.deepStrictEqual(errors.out.map((e) => e.level), ["Error"])
    }))
})

// -----------------------------------------------------------------------------
// tail
// -----------------------------------------------------------------------------

describe("tail", () => {
  it.effect("keeps a failing request entirely (held events first, in order) and discards a quiet one", () =>
    Effect.gen(function*() {
      const events = [
        ev({ correlationId: "bad", message: "b1" }),
        ev({ correlationId: "quiet", message: "q1" }),
        ev({ correlationId: "bad", message: "b2" }),
        LogEvent.flushMarker(() => {}),
        ev({ correlationId: "quiet", message: "q2" }),
        ev({ correlationId: "bad", message: "b3", level: "Error" }),
        ev({ correlationId: "bad", message: "b4" }),
        LogEvent.correlationEnd("quiet"),
        LogEvent.correlationEnd("bad"),
        ev({ correlationId: "bad", message: "b5 after end" })
      ]
      const sampler = Sampler.tail()
      const { dropped, out } = yield* run(Stream.fromIterable(events).pipe(sampler))
      assert.deepStrictEqual(
        out.map((e) => e.control === undefined ? e.message : e.control._tag),
        ["Flush", "b1", "b2", "b3", "b4", "CorrelationEnd", "CorrelationEnd"]
      )
      for (const e of out.filter((e) => e.control === undefined)) {
        assert.deepStrictEqual(e.annotations, { _sampled: true, _sample_rate: 0, _sample_reason: "error" })
        assert.strictEqual(e.fields, undefined)
      }
      // q1, q2 discarded at CorrelationEnd; "b5 after end" (a new request) discarded when the stream ended
      assert.strictEqual(dropped["sampled out"], 3)
      assert.deepStrictEqual(sampler.buffered(), { requests: 0, events: 0 })
    }))

  it.effect("with byCorrelation, requests kept by the rate pass at once; dropped ones are held", () =>
    Effect.gen(function*() {
      const ids = sequential(500)
      const events: Array<LogEvent.LogEvent> = []
      for (const id of ids) events.push(ev({ correlationId: id, message: "a" }), ev({ correlationId: id, message: "b" }))
      events.push(ev({ correlationId: "req-1", level: "Error", message: "boom" }))
      const { dropped, out } = yield* run(Stream.fromIterable(events).pipe(Sampler.byCorrelation({ rate: 0.5, tail: true })))
      const keptIds = ids.filter((id) => Sampler.decide(id, 0.5))
      assert.isFalse(Sampler.decide("req-1", 0.5))
      assert.strictEqual(out.length, keptIds.length * 2 + 3)
      assert.deepStrictEqual(out.slice(-3).map((e) => [e.correlationId, e.message, LogEvent.get(e, "_sample_reason")]), [
        ["req-1", "a", "error"],
        ["req-1", "b", "error"],
        ["req-1", "boom", "error"]
      ])
      assert.strictEqual(dropped["sampled out"], (ids.length - keptIds.length - 1) * 2)
    }))

  it.effect("memory stays bounded with 10,000 concurrent open requests", () =>
    Effect.gen(function*() {
      const sampler = Sampler.tail({ maxEventsPerRequest: 5, maxRequests: 10_000, maxBufferedEvents: 20_000 })
      let maxEvents = 0
      let maxRequests = 0
      let produced = 0
      function* source() {
        for (let k = 0; k < 12; k++) {
          for (let r = 0; r < 10_000; r++) {
            const b = sampler.buffered()
            if (b.events > maxEvents) maxEvents = b.events
            if (b.requests > maxRequests) maxRequests = b.requests
            produced++
            yield ev({ correlationId: `r${r}`, message: `m${k}` })
          }
        }
        // the most recent request fails: whatever it still holds is released
        produced++
        yield ev({ correlationId: "r9999", level: "Error", message: "boom" })
      }
      const { dropped, out } = yield* run(Stream.fromIterable(source()).pipe(Stream.rechunk(256), sampler))
      assert.isAtMost(maxEvents, 20_000)
      assert.isAtMost(maxRequests, 10_000)
      assert.isAtLeast(maxEvents, 19_000) // the bound was actually reached
      // conservation: every event is emitted or counted
      const total = out.length + (dropped["sampled out"] ?? 0) + (dropped["tail buffer overflow"] ?? 0)
      assert.strictEqual(total, produced)
      assert.isAbove(dropped["tail buffer overflow"]!, 0)
      assert.deepStrictEqual(out.at(-1)!.message, "boom")
      assert.isAtMost(out.length, 6)
      assert.deepStrictEqual(sampler.buffered(), { requests: 0, events: 0 })
    }))

  it.effect("evicts the oldest request beyond maxRequests and the oldest event beyond maxEventsPerRequest", () =>
    Effect.gen(function*() {
      const events: Array<LogEvent.LogEvent> = []
      for (let r = 0; r < 4; r++) events.push(ev({ correlationId: `r${r}`, message: `r${r}` }))
      for (let k = 0; k < 4; k++) events.push(ev({ correlationId: "r3", message: `r3-${k}` }))
      events.push(ev({ correlationId: "r0", level: "Error", message: "r0 boom" }))
      events.push(ev({ correlationId: "r3", level: "Error", message: "r3 boom" }))
      const { dropped, out } = yield* run(
        Stream.fromIterable(events).pipe(Sampler.tail({ maxRequests: 3, maxEventsPerRequest: 3 }))
      )
      // r0 was evicted when r3 arrived; r3 kept its 3 newest events
      assert.deepStrictEqual(out.map((e) => e.message), ["r0 boom", "r3-1", "r3-2", "r3-3", "r3 boom"])
      assert.strictEqual(dropped["tail buffer overflow"], 3) // r0's event, r3's first two
      assert.strictEqual(dropped["sampled out"], 2) // r1, r2 at stream end
    }))

  it.effect("discards buffers older than maxAge (Clock), lazily when events arrive", () =>
    Effect.gen(function*() {
      const sampler = Sampler.tail({ maxAge: "30 seconds" })
      const stream = Stream.concat(
        Stream.make(ev({ correlationId: "old", message: "o1" }), ev({ correlationId: "young", message: "y0" })),
        Stream.concat(
          Stream.fromEffectDrain(TestClock.adjust("20 seconds")),
          Stream.concat(
            Stream.make(ev({ correlationId: "young2", message: "y1" })),
            Stream.concat(
              Stream.fromEffectDrain(TestClock.adjust("15 seconds")),
              Stream.make(
                ev({ correlationId: "young2", message: "y2" }),
                ev({ correlationId: "old", level: "Error", message: "o boom" }),
                ev({ correlationId: "young2", level: "Error", message: "y boom" })
              )
            )
          )
        )
      )
      const { dropped, out } = yield* run(stream.pipe(sampler))
      // "old" and "young" started at t=0 and expired at t=35s; "young2" started at t=20s
      assert.deepStrictEqual(out.map((e) => e.message), ["o boom", "y1", "y2", "y boom"])
      assert.strictEqual(dropped["tail buffer expired"], 2)
    }))

  it.effect("age and order stay right while many short requests come and go around an old one", () =>
    Effect.gen(function*() {
      const sampler = Sampler.tail({ maxAge: "30 seconds" })
      const short: Array<LogEvent.LogEvent> = []
      for (let r = 0; r < 5000; r++) {
        short.push(ev({ correlationId: `s${r}` }), LogEvent.correlationEnd(`s${r}`))
      }
      const stream = Stream.concat(
        Stream.make(ev({ correlationId: "old", message: "o1" })),
        Stream.concat(
          Stream.fromIterable(short).pipe(Stream.rechunk(100)),
          Stream.concat(
            Stream.make(ev({ correlationId: "mid", message: "m1" })),
            Stream.concat(
              Stream.fromEffectDrain(TestClock.adjust("31 seconds")),
              Stream.make(
                ev({ correlationId: "new", message: "n1" }),
                ev({ correlationId: "mid", level: "Error", message: "m boom" }),
                ev({ correlationId: "new", level: "Error", message: "n boom" })
              )
            )
          )
        )
      )
      const { dropped, out } = yield* run(stream.pipe(sampler))
      assert.deepStrictEqual(out.filter((e) => e.control === undefined).map((e) => e.message), ["m boom", "n1", "n boom"])
      assert.strictEqual(dropped["tail buffer expired"], 2) // "old" and "mid"
      assert.strictEqual(dropped["sampled out"], 5000)
      assert.deepStrictEqual(sampler.buffered(), { requests: 0, events: 0 })
    }))

  it.effect("one sampler value applied to two streams keeps separate state", () =>
    Effect.gen(function*() {
      const sampler = Sampler.tail()
      const a = yield* run(
        Stream.make(ev({ correlationId: "r", message: "a1" }), ev({ correlationId: "r", level: "Error", message: "a!" })).pipe(
          sampler
        )
      )
      const b = yield* run(Stream.make(ev({ correlationId: "r", message: "b1" })).pipe(sampler))
      assert.deepStrictEqual(a.out.map((e) => e.message), ["a1", "a!"])
      assert.deepStrictEqual(b.out, [])
      assert.strictEqual(b.dropped["sampled out"], 1)
    }))
})

// -----------------------------------------------------------------------------
// burst
// -----------------------------------------------------------------------------

describe("burst", () => {
  it.effect("first N per (level, message) per tick, then every M-th; resets on the next tick (TestClock)", () =>
    Effect.gen(function*() {
      const batch = (now: number, n: number, message = "hot", level: LogEvent.LogEvent["level"] = "Info") =>
        Array.from({ length: n }, (_, i) => ev({ timestamp: now, level, message, fields: { i } }))
      const t0 = yield* Clock.currentTimeMillis
      const first = batch(t0, 11)
      const other = batch(t0, 3, "cold")
      const debug = batch(t0, 3, "hot", "Debug")
      const errors = batch(t0, 5, "hot", "Error")
      yield* TestClock.adjust("999 millis")
      const late = batch(yield* Clock.currentTimeMillis, 2)
      yield* TestClock.adjust("1 millis")
      const next = batch(yield* Clock.currentTimeMillis, 4)
      const sampler = Sampler.burst({ first: 2, thereafter: 3, tick: "1 second" })
      const { dropped, out } = yield* run(
        Stream.fromIterable([...first, ...other, ...debug, ...errors, ...late, ...next]).pipe(sampler)
      )
      const picked = (level: string, message: string, from: number, to: number) =>
        out.filter((e) => e.level === level && e.message === message && e.timestamp >= from && e.timestamp < to)
          .map((e) => e.fields!["i"])
      // n = 1, 2 pass; then n = 5, 8, 11 (every 3rd after the first 2); n = 12, 13 (late, same tick) drop
      assert.deepStrictEqual(picked("Info", "hot", t0, t0 + 1000), [0, 1, 4, 7, 10])
      assert.deepStrictEqual(picked("Info", "cold", t0, t0 + 1000), [0, 1])
      assert.deepStrictEqual(picked("Debug", "hot", t0, t0 + 1000), [0, 1])
      assert.deepStrictEqual(picked("Error", "hot", t0, t0 + 1000), [0, 1, 2, 3, 4])
      // new tick at t0 + 1000: counting starts again
      assert.deepStrictEqual(picked("Info", "hot", t0 + 1000, t0 + 2000), [0, 1])
      assert.strictEqual(dropped["sampled out (burst)"], 6 + 2 + 1 + 1 + 2)
    }))

  it.effect("thereafter 0 drops the rest of the tick; data-first form; bounded keys pass untracked", () =>
    Effect.gen(function*() {
      const events = Array.from({ length: 10 }, () => ev({ message: "x" }))
      const { dropped, out } = yield* run(Sampler.burst(Stream.fromIterable(events), { first: 3, thereafter: 0 }))
      assert.strictEqual(out.length, 3)
      assert.strictEqual(dropped["sampled out (burst)"], 7)
      const many = ["a", "b", "c", "c", "c"].map((message) => ev({ message }))
      const bounded = yield* run(Stream.fromIterable(many).pipe(Sampler.burst({ first: 1, thereafter: 0, maxKeys: 2 })))
      assert.deepStrictEqual(bounded.out.map((e) => e.message), ["a", "b", "c", "c", "c"])
      // once the tick of the tracked keys has passed, new keys are tracked again
      const later = [ev({ message: "a" }), ev({ message: "b" }), ev({ timestamp: 1000, message: "c" }), ev({ timestamp: 1000, message: "c" })]
      const swept = yield* run(Stream.fromIterable(later).pipe(Sampler.burst({ first: 1, thereafter: 0, maxKeys: 2 })))
      assert.deepStrictEqual(swept.out.map((e) => e.message), ["a", "b", "c"])
    }))

  it.effect("groups by template when there is one", () =>
    Effect.gen(function*() {
      const events = [1, 2, 3].map((n) => ev({ message: `pool size: ${n}`, template: "pool size: {size}" }))
      const { out } = yield* run(Stream.fromIterable(events).pipe(Sampler.burst({ first: 1, thereafter: 0 })))
      assert.deepStrictEqual(out.map((e) => e.message), ["pool size: 1"])
    }))
})

// -----------------------------------------------------------------------------
// adaptive
// -----------------------------------------------------------------------------

describe("adaptive", () => {
  it.effect("converges to the target under a steady rate and reports its rate (getter and gauge)", () =>
    Effect.gen(function*() {
      // windows are aligned on multiples of the window: start on a second boundary
      const t0 = Math.ceil((yield* Clock.currentTimeMillis) / 1000) * 1000
      // 1000 events per second for 10 seconds, plus one error per second
      const events: Array<LogEvent.LogEvent> = []
      for (let ms = 0; ms < 10_000; ms++) {
        events.push(ev({ timestamp: t0 + ms, message: "tick" }))
        if (ms % 1000 === 500) events.push(ev({ timestamp: t0 + ms, level: "Error", message: "err" }))
      }
      const sampler = Sampler.adaptive({ targetPerSecond: 100, name: "test-steady" })
      assert.strictEqual(sampler.currentRate(), 1)
      const { dropped, out } = yield* run(Stream.fromIterable(events).pipe(sampler))
      const perSecond = Array.from({ length: 10 }, (_, s) =>
        out.filter((e) => e.level === "Info" && e.timestamp >= t0 + s * 1000 && e.timestamp < t0 + (s + 1) * 1000).length)
      assert.strictEqual(perSecond[0], 1000) // nothing known yet: rate 1
      for (const n of perSecond.slice(1)) expect(Math.abs(n - 100)).toBeLessThanOrEqual(1)
      expect(sampler.currentRate()).toBeCloseTo(0.1, 6)
      const gauge = yield* Metric.value(Metric.withAttributes(Sampler.adaptiveRateGauge, { sampler: "test-steady" }))
      expect(gauge.value).toBeCloseTo(0.1, 6)
      assert.strictEqual(out.filter((e) => e.level === "Error").length, 10)
      assert.strictEqual(dropped["sampled out (adaptive)"], 10_000 - (out.length - 10))
      const kept = out.find((e) => e.level === "Info" && e.timestamp >= t0 + 5000)!
      assert.deepStrictEqual(kept.annotations, { _sampled: true, _sample_rate: 0.1 })
      assert.strictEqual(kept.fields, undefined)
    }))

  it.effect("damps a flood at once, relaxes gradually, and returns to 1 below the target", () =>
    Effect.gen(function*() {
      const events: Array<LogEvent.LogEvent> = []
      const phase = (from: number, to: number, perSecond: number) => {
        for (let s = from; s < to; s++) {
          for (let i = 0; i < perSecond; i++) events.push(ev({ timestamp: s * 1000 + Math.floor((i * 1000) / perSecond) }))
        }
      }
      phase(0, 6, 1000)
      phase(6, 12, 200)
      phase(12, 18, 20)
      phase(18, 20, 5000)
      const sampler = Sampler.adaptive({ targetPerSecond: 100, window: "1 second" })
      const rates: Array<number> = []
      const { out } = yield* run(
        Stream.fromIterable(events).pipe(sampler, Stream.tap(() => Effect.sync(() => rates.push(sampler.currentRate()))))
      )
      const perSecond = (s: number) => out.filter((e) => e.timestamp >= s * 1000 && e.timestamp < (s + 1) * 1000).length
      expect(Math.abs(perSecond(5) - 100)).toBeLessThanOrEqual(1)
      // 1000/s -> 200/s: the rate rises gradually (no overshoot), output approaches the target from below
      const relaxing = [6, 7, 8, 9, 10, 11].map(perSecond)
      for (let i = 1; i < relaxing.length; i++) assert.isAtLeast(relaxing[i]!, relaxing[i - 1]!)
      assert.isAtMost(relaxing.at(-1)!, 101)
      assert.isAtLeast(relaxing.at(-1)!, 85)
      // below the target: everything kept
      assert.strictEqual(perSecond(17), 20)
      // flood of 5000/s: the first second passes at the old rate, the next is damped at once
      expect(Math.abs(perSecond(19) - 100)).toBeLessThanOrEqual(1)
      expect(sampler.currentRate()).toBeCloseTo(0.02, 9)
      assert.isAtMost(Math.min(...rates), 0.02 + 1e-9)
    }))

  it.effect("multiplies an earlier _sample_rate", () =>
    Effect.gen(function*() {
      const events = Array.from({ length: 4000 }, (_, i) =>
        ev({ timestamp: Math.floor(i / 2), fields: { _sampled: true, _sample_rate: 0.5 } }))
      const { out } = yield* run(Stream.fromIterable(events).pipe(Sampler.adaptive({ targetPerSecond: 200 })))
      expect(out.at(-1)!.fields!["_sample_rate"]).toBeCloseTo(0.05, 9)
    }))

  it.effect("multiplies an earlier _sample_rate carried in the annotations (an earlier sampler's mark)", () =>
    Effect.gen(function*() {
      const marks = LogEvent.annotator({ _sampled: true, _sample_rate: 0.5 })
      const events = Array.from({ length: 4000 }, (_, i) =>
        marks(ev({ timestamp: Math.floor(i / 2), annotations: { user: "ann" }, fields: { i } })))
      const { out } = yield* run(Stream.fromIterable(events).pipe(Sampler.adaptive({ targetPerSecond: 200 })))
      const last = out.at(-1)!
      expect(LogEvent.get(last, "_sample_rate")).toBeCloseTo(0.05, 9)
      assert.strictEqual(last.annotations!["_sampled"], true)
      assert.strictEqual(last.annotations!["user"], "ann")
      // the caller's fields are left alone: the marks stay in the annotations
      assert.deepStrictEqual(Object.keys(last.fields!), ["i"])
    }))
})

describe("samplers and aggregates", () => {
  const aggregate = (correlationId: string) =>
    ev({
      message: "tick",
      correlationId,
      aggregate: { count: 15, firstOccurrence: 0, lastOccurrence: 0, windowSeconds: 0 }
    })
  // what a caller can log: the seed's keys as ordinary fields, no marker
  const forged = (correlationId: string) =>
    ev({ message: "forged", correlationId, fields: { _aggregated: true, _count: 15 } })

  it.effect("an aggregate is never sampled out (it stands for events already counted as absorbed)", () =>
    Effect.gen(function*() {
      const input = [aggregate("r-dropped"), ev({ message: "plain", correlationId: "r-dropped" })]
      const { out, dropped } = yield* run(Stream.fromIterable(input).pipe(Sampler.byCorrelation({ rate: 0 })))
      assert.deepStrictEqual(out.map((e) => e.message), ["tick"])
      assert.deepStrictEqual(dropped, { "sampled out": 1 })
      const burst = yield* run(Stream.fromIterable([aggregate("a"), aggregate("a"), aggregate("a")]).pipe(
        Sampler.burst({ first: 1, thereafter: 0, tick: "1 minute" })
      ))
      assert.strictEqual(burst.out.length, 3)
    }))

  it.effect("a user field _aggregated: true is an ordinary field: the event is sampled like any event", () =>
    Effect.gen(function*() {
      const input = [forged("r-dropped"), forged("r-dropped"), ev({ message: "plain", correlationId: "r-dropped" })]
      const { out, dropped } = yield* run(Stream.fromIterable(input).pipe(Sampler.byCorrelation({ rate: 0 })))
      assert.deepStrictEqual(out, [])
      assert.deepStrictEqual(dropped, { "sampled out": 3 })
      const burst = yield* run(Stream.fromIterable([forged("a"), forged("a"), forged("a")]).pipe(
        Sampler.burst({ first: 1, thereafter: 0, tick: "1 minute" })
      ))
      assert.deepStrictEqual(burst.out.map((e) => e.message), ["forged"])
      assert.deepStrictEqual(burst.dropped, { "sampled out (burst)": 2 })
    }))

  it.effect("burst keeps sampling new kinds of line after a sweep freed every tracked key", () =>
    Effect.gen(function*() {
      const events = [
        ev({ message: "a", timestamp: 0 }),
        ev({ message: "b", timestamp: 0 }),
        // both keys expired by t = 10 s: the sweep frees them all, then "c" and "d" fill the table
        ev({ message: "c", timestamp: 10_000 }),
        ev({ message: "d", timestamp: 10_000 }),
        // later, every key has expired again: "e" must be tracked (first 1, then dropped), not passed
        ...Array.from({ length: 5 }, () => ev({ message: "e", timestamp: 20_000 }))
      ]
      const { out } = yield* run(Stream.fromIterable(events).pipe(
        Sampler.burst({ first: 1, thereafter: 0, tick: "1 second", maxKeys: 2 })
      ))
      assert.strictEqual(out.filter((e) => e.message === "e").length, 1)
    }))
})

// -----------------------------------------------------------------------------
// dual forms
// -----------------------------------------------------------------------------

describe("dual operators", () => {
  const events = (): Array<LogEvent.LogEvent> => {
    const out: Array<LogEvent.LogEvent> = []
    for (let i = 0; i < 200; i++) {
      out.push(ev({
        timestamp: i * 10,
        correlationId: `req-${i % 37}`,
        level: i % 50 === 49 ? "Error" : "Info",
        message: `m${i % 3}`
      }))
    }
    return out
  }
  const messages = (out: ReadonlyArray<LogEvent.LogEvent>) => out.map((e) => `${e.correlationId}:${e.timestamp}`)

  it.effect("data-first and data-last give the same output, and data-first drops something", () =>
    Effect.gen(function*() {
      const cases: Array<
        readonly [
          string,
          (s: Stream.Stream<LogEvent.LogEvent>) => Stream.Stream<LogEvent.LogEvent>,
          (s: Stream.Stream<LogEvent.LogEvent>) => Stream.Stream<LogEvent.LogEvent>
        ]
      > = [
        ["byCorrelation", (s) => s.pipe(Sampler.byCorrelation({ rate: 0.3 })), (s) => Sampler.byCorrelation(s, { rate: 0.3 })],
        ["tail", (s) => s.pipe(Sampler.tail({ rate: 0.2 })), (s) => Sampler.tail(s, { rate: 0.2 })],
        ["tail (no options)", (s) => s.pipe(Sampler.tail()), (s) => Sampler.tail(s)],
        [
          "burst",
          (s) => s.pipe(Sampler.burst({ first: 2, thereafter: 10, tick: "1 second" })),
          (s) => Sampler.burst(s, { first: 2, thereafter: 10, tick: "1 second" })
        ],
        [
          "adaptive",
          (s) => s.pipe(Sampler.adaptive({ targetPerSecond: 20, window: "100 millis" })),
          (s) => Sampler.adaptive(s, { targetPerSecond: 20, window: "100 millis" })
        ]
      ]
      for (const [name, last, first] of cases) {
        const a = yield* run(last(Stream.fromIterable(events())))
        const b = yield* run(first(Stream.fromIterable(events())))
        assert.deepStrictEqual(messages(b.out), messages(a.out), name)
        assert.deepStrictEqual(b.dropped, a.dropped, name)
        assert.isBelow(b.out.length, 200, `${name} drops events`)
      }
    }))

  it("the data-last form validates at construction and keeps its observation methods", () => {
    expect(() => Sampler.burst({ first: -1, thereafter: 0 })).toThrow(RangeError)
    expect(() => Sampler.tail({ rate: 2 })).toThrow(RangeError)
    assert.strictEqual(Sampler.adaptive({ targetPerSecond: 10 }).currentRate(), 1)
    assert.deepStrictEqual(Sampler.tail().buffered(), { requests: 0, events: 0 })
  })
})
