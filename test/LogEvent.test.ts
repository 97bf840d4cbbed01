import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Encoder from "../src/Encoder.ts"
import { EventBuilder, fromContext } from "../src/internal/eventBuilder.ts"
import * as LogEvent from "../src/LogEvent.ts"

const event = (input: Partial<LogEvent.Input> = {}): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "app", ...input })

describe("LogEvent.annotator", () => {
  it("merges extra over the event's annotations into a frozen record, leaving the input alone", () => {
    const tag = LogEvent.annotator({ service: "svc", version: "1.0.0" })
    const annotations = { user: "ann", service: "from-fiber" }
    const input = event({ annotations, fields: { n: 1 } })
    const out = tag(input)
    expect(out.annotations).toEqual({ user: "ann", service: "svc", version: "1.0.0" })
    assert.isTrue(Object.isFrozen(out.annotations))
    // the input and its annotations are untouched
    expect(annotations).toEqual({ user: "ann", service: "from-fiber" })
    assert.isFalse(Object.isFrozen(annotations))
    assert.strictEqual(input.annotations, annotations)
    // everything else is kept, on the same shape
    assert.strictEqual(out.fields, input.fields)
    expect(Object.keys(out)).toEqual(Object.keys(input))
    expect({ ...out, annotations: undefined }).toEqual({ ...input, annotations: undefined })
  })

  it("returns the same record for consecutive events sharing one annotations object", () => {
    const tag = LogEvent.annotator({ service: "svc" })
    const shared = { request: "r1" }
    const a = tag(event({ annotations: shared, message: "a" }))
    const b = tag(event({ annotations: shared, message: "b", fields: { x: 1 } }))
    const c = tag(event({ annotations: shared, message: "c" }))
    assert.strictEqual(b.annotations, a.annotations)
    assert.strictEqual(c.annotations, a.annotations)
    expect(a.annotations).toEqual({ request: "r1", service: "svc" })
  })

  it("keeps one record per context when contexts interleave (requests sharing a batch)", () => {
    const tag = LogEvent.annotator({ service: "svc" })
    const a = { request: "a" }
    const b = { request: "b" }
    const first = tag(event({ annotations: a })).annotations
    const other = tag(event({ annotations: b })).annotations
    assert.strictEqual(tag(event({ annotations: a })).annotations, first)
    assert.strictEqual(tag(event({ annotations: b })).annotations, other)
    assert.notStrictEqual(first, other)
  })

  it("builds a new record for different annotations, even with equal contents", () => {
    const tag = LogEvent.annotator({ service: "svc" })
    const first = { request: "r1" }
    const twin = { request: "r1" }
    const other = { request: "r2" }
    const a = tag(event({ annotations: first }))
    const b = tag(event({ annotations: twin }))
    const c = tag(event({ annotations: other }))
    assert.notStrictEqual(b.annotations, a.annotations)
    assert.notStrictEqual(c.annotations, b.annotations)
    expect(b.annotations).toEqual({ request: "r1", service: "svc" })
    expect(c.annotations).toEqual({ request: "r2", service: "svc" })
    assert.isTrue(Object.isFrozen(b.annotations))
    assert.isTrue(Object.isFrozen(c.annotations))
    // back to the first record: the merge is right whatever was cached in between
    expect(tag(event({ annotations: first })).annotations).toEqual({ request: "r1", service: "svc" })
  })

  it("uses extra as is (one frozen copy) when the event has no annotations", () => {
    const extra: Record<string, unknown> = { service: "svc", pid: 42 }
    const tag = LogEvent.annotator(extra)
    const a = tag(event())
    const b = tag(event({ fields: { n: 1 } }))
    expect(a.annotations).toEqual({ service: "svc", pid: 42 })
    assert.isTrue(Object.isFrozen(a.annotations))
    assert.strictEqual(b.annotations, a.annotations)
    // a copy taken once: the caller's object is neither frozen nor read again
    assert.isFalse(Object.isFrozen(extra))
    extra.service = "changed"
    expect(tag(event()).annotations).toEqual({ service: "svc", pid: 42 })
    // and events with annotations in between do not disturb it
    expect(tag(event({ annotations: { k: "v" } })).annotations).toEqual({ k: "v", service: "svc", pid: 42 })
    assert.strictEqual(tag(event()).annotations, a.annotations)
  })

  it("the event's fields still win over the annotations in the encoded line", () => {
    const tag = LogEvent.annotator({ service: "svc", region: "eu" })
    const encoder = Encoder.make()
    const base = { user: "ann" }
    const plain = tag(event({ annotations: base, fields: { n: 1 } }))
    const shadowed = tag(event({ annotations: base, fields: { service: "caller", user: "me" } }))
    assert.strictEqual(shadowed.annotations, plain.annotations)
    for (const enc of [Encoder.json, encoder]) {
      // the same record twice (the encoders may reuse their work on it), then with fields shadowing it
      for (const e of [plain, plain, shadowed, plain]) {
        const line = enc.encode(e)
        const parsed = JSON.parse(line)
        expect(parsed.service).toBe(LogEvent.get(e, "service"))
        expect(parsed.user).toBe(LogEvent.get(e, "user"))
        for (const key of ["service", "region", "user"]) expect(line.split(`"${key}":`).length).toBe(2)
      }
      const parsed = JSON.parse(enc.encode(shadowed))
      expect(parsed).toMatchObject({ service: "caller", user: "me", region: "eu" })
      // annotations first (without the keys the fields shadow), then the fields
      expect(Object.keys(parsed).slice(4)).toEqual(["region", "service", "user"])
      expect(Object.keys(JSON.parse(enc.encode(plain))).slice(4)).toEqual(["user", "service", "region", "n"])
    }
  })
})

describe("LogEvent.get", () => {
  it("reads the field first, then the annotation", () => {
    const e = event({ fields: { a: "field", b: undefined }, annotations: { a: "annotation", c: "annotation" } })
    assert.strictEqual(LogEvent.get(e, "a"), "field")
    assert.strictEqual(LogEvent.get(e, "c"), "annotation")
    assert.strictEqual(LogEvent.get(e, "missing"), undefined)
    // an own field holding undefined hides the annotation, as in the encoded line (which omits the key)
    const hidden = event({ fields: { c: undefined }, annotations: { c: "annotation" } })
    assert.strictEqual(LogEvent.get(hidden, "c"), undefined)
    expect(JSON.parse(Encoder.json.encode(hidden))).not.toHaveProperty("c")
  })

  it("reads own keys only, and works without fields or annotations", () => {
    assert.strictEqual(LogEvent.get(event(), "toString"), undefined)
    assert.strictEqual(LogEvent.get(event({ fields: { x: 1 } }), "constructor"), undefined)
    assert.strictEqual(LogEvent.get(event({ annotations: { x: 2 } }), "x"), 2)
    assert.strictEqual(LogEvent.get(event({ fields: { x: 1 } }), "x"), 1)
    const marked = LogEvent.annotator({ _sampled: true, _sample_rate: 0.25 })(event({ fields: { _sample_rate: 0.5 } }))
    assert.strictEqual(LogEvent.get(marked, "_sampled"), true)
    assert.strictEqual(LogEvent.get(marked, "_sample_rate"), 0.5)
  })
})

describe("the aggregate marker", () => {
  const marker: LogEvent.Aggregate = { count: 3, firstOccurrence: 0, lastOccurrence: 1500, windowSeconds: 1.5 }

  it("is written as the seed's keys, merged over the fields, and survives copies", () => {
    const aggregate = event({ fields: { pool: "main", _count: "user's" }, aggregate: marker })
    const expected = {
      pool: "main",
      _count: 3,
      _aggregated: true,
      _first_occurrence: "1970-01-01T00:00:00.000Z",
      _last_occurrence: "1970-01-01T00:00:01.500Z",
      _window_seconds: 1.5
    }
    expect(LogEvent.writtenFields(aggregate)).toEqual(expected)
    // the event's own fields are left alone: the marker is not a field
    expect(aggregate.fields).toEqual({ pool: "main", _count: "user's" })
    const line = JSON.parse(Encoder.encode(aggregate))
    expect(line).toMatchObject(expected)
    // one key each: the marker's `_count` shadows the user's
    expect(Encoder.encode(aggregate).match(/"_count"/g)).toHaveLength(1)
    // copies keep it
    assert.strictEqual(LogEvent.annotator({ s: 1 })(aggregate).aggregate, marker)
    assert.strictEqual(LogEvent.withFields(aggregate, { x: 1 }).aggregate, marker)
  })

  it("is not made by a user field: _aggregated: true is written as an ordinary field", () => {
    const forged = event({ fields: { _aggregated: true, _count: 15 } })
    assert.strictEqual(forged.aggregate, undefined)
    assert.strictEqual(LogEvent.writtenFields(forged), forged.fields)
    expect(JSON.parse(Encoder.encode(forged))).toMatchObject({ _aggregated: true, _count: 15 })
  })
})

describe("event records", () => {
  it("are plain records of one shape, whichever way they were made", () => {
    const literal: LogEvent.LogEvent = {
      timestamp: 1,
      level: "Info",
      message: "m",
      logger: "l",
      fields: { a: 1 },
      annotations: undefined,
      spans: undefined,
      correlationId: "c",
      traceId: undefined,
      spanId: undefined,
      cause: undefined,
      template: undefined,
      control: undefined,
      aggregate: undefined
    }
    const made = LogEvent.make({ timestamp: 1, level: "Info", message: "m", logger: "l", fields: { a: 1 }, correlationId: "c" })
    assert.strictEqual(Object.getPrototypeOf(made), Object.prototype)
    assert.deepStrictEqual(made, literal)
    const keys = Object.keys(literal)
    const end = LogEvent.correlationEnd("c", 5)
    const annotated = LogEvent.annotator({ service: "s" })(made)
    const aggregate = LogEvent.make({
      timestamp: 1, level: "Info", message: "m", logger: "l",
      aggregate: { count: 2, firstOccurrence: 0, lastOccurrence: 1, windowSeconds: 0.001 }
    })
    for (const e of [made, end, annotated, aggregate, LogEvent.flushMarker(() => {}, 2)]) {
      assert.deepStrictEqual(Object.keys(e), keys)
      assert.strictEqual(Object.getPrototypeOf(e), Object.prototype)
    }
    assert.deepStrictEqual(end.control, { _tag: "CorrelationEnd", correlationId: "c" })
    assert.strictEqual(end.correlationId, "c")
    assert.strictEqual(end.timestamp, 5)
  })
})

describe("EventBuilder (internal)", () => {
  const capture = (builder: EventBuilder) =>
    Effect.withFiber((fiber) => Effect.succeed(fromContext(builder.contextOf(fiber), fiber, 0, "Info", "m", "app", undefined, undefined, undefined)))

  it.effect("reads the fiber's context once per context object, and again when it changes", () =>
    Effect.gen(function*() {
      const builder = new EventBuilder()
      const both = Effect.all([
        Effect.withFiber((fiber) => Effect.succeed(builder.contextOf(fiber))),
        Effect.withFiber((fiber) => Effect.succeed(builder.contextOf(fiber)))
      ]).pipe(Effect.annotateLogs("user", "ann"))
      const [a, b] = yield* Effect.provideService(both, LogEvent.CurrentCorrelationId, "req-1")
      assert.strictEqual(a, b) // same context: one lookup
      assert.deepStrictEqual(a.annotations, { user: "ann" })
      assert.strictEqual(a.correlationId, "req-1")
      const outside = yield* capture(builder)
      assert.strictEqual(outside.annotations, undefined)
      assert.strictEqual(outside.correlationId, undefined)
    }))

  it.effect("each builder has its own cache: one never answers from another's context", () =>
    Effect.gen(function*() {
      const first = new EventBuilder()
      const second = new EventBuilder()
      const inside = yield* capture(first).pipe(Effect.annotateLogs("request", "r1"))
      assert.deepStrictEqual(inside.annotations, { request: "r1" })
      // `second` never saw that context; `first` moves on when the context changes
      assert.strictEqual((yield* capture(second)).annotations, undefined)
      assert.strictEqual((yield* capture(first)).annotations, undefined)
      const other = yield* capture(second).pipe(Effect.annotateLogs("request", "r2"))
      assert.deepStrictEqual(other.annotations, { request: "r2" })
    }))
})
