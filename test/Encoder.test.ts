import { assert, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { runInNewContext } from "node:vm"
import * as Encoder from "../src/Encoder.ts"
import { EventBuilder } from "../src/internal/eventBuilder.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 678)

const event = (input: Partial<LogEvent.Input> = {}): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: T0, level: "Info", message: "hello", logger: "svc", ...input })

/** Encodes `fields` as an event's fields and returns the parsed line. */
const roundTrip = (fields: Record<string, unknown>, options?: Encoder.Options): Record<string, any> => {
  const line = (options === undefined ? Encoder.json : Encoder.make(options)).encode(event({ fields }))
  assertOneLine(line)
  return JSON.parse(line)
}

const assertOneLine = (line: string): void => {
  assert.isFalse(/[\n\r\u2028\u2029]/.test(line), `raw line break in ${JSON.stringify(line)}`)
}

/** A pretty event: several lines, but only `\n` breaks and every line after the first indented. */
const assertNoForgedLine = (text: string): void => {
  assert.isFalse(/[\r\u2028\u2029]/.test(text), `raw line break in ${JSON.stringify(text)}`)
  for (const l of text.split("\n").slice(1)) assert.isTrue(l.startsWith("    "), `not indented: ${JSON.stringify(l)}`)
}

const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1

describe("Encoder", () => {
  describe("line format", () => {
    it("writes the fixed keys in order", () => {
      const line = Encoder.encode(event({
        correlationId: "req-1",
        traceId: "t1",
        spanId: "s1",
        annotations: { region: "eu" },
        fields: { amount: 10, ok: true }
      }))
      expect(line).toBe(
        "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"INFO\",\"logger\":\"svc\",\"msg\":\"hello\"," +
          "\"correlation_id\":\"req-1\",\"trace_id\":\"t1\",\"span_id\":\"s1\",\"region\":\"eu\",\"amount\":10,\"ok\":true}"
      )
    })

    it("omits absent optional keys", () => {
      expect(Encoder.encode(event())).toBe(
        "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"INFO\",\"logger\":\"svc\",\"msg\":\"hello\"}"
      )
    })

    it("writes every level upper-case", () => {
      const levels = ["Trace", "Debug", "Info", "Warn", "Error", "Fatal"] as const
      for (const level of levels) {
        expect(JSON.parse(Encoder.encode(event({ level }))).level).toBe(level.toUpperCase())
      }
    })

    it("writes span elapsed times at event time, each label once", () => {
      const parsed = JSON.parse(Encoder.encode(event({
        spans: [["db", T0 - 12], ["http", T0 - 40], ["db", T0 - 99]]
      })))
      expect(parsed.spans).toEqual({ db: 12, http: 40 })
    })

    it("writes the cause with Effect's pretty printer", () => {
      const parsed = JSON.parse(Encoder.encode(event({ level: "Error", cause: Cause.fail(new Error("boom")) })))
      expect(parsed.cause).toContain("boom")
      expect(Object.keys(parsed).at(-1)).toBe("cause")
    })

    it("survives a cause whose pretty printing throws", () => {
      const hostile = new Proxy({}, {
        get() {
          throw new Error("hostile")
        },
        getPrototypeOf() {
          throw new Error("hostile")
        },
        has() {
          throw new Error("hostile")
        }
      })
      const line = Encoder.encode(event({ cause: Cause.die(hostile) }))
      assertOneLine(line)
      expect(typeof JSON.parse(line).cause).toBe("string")
    })

    it("caches the timestamp string and matches Date#toISOString", () => {
      fc.assert(
        fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.nat(3), (ms, repeat) => {
          const expected = new Date(ms).toISOString()
          for (let i = 0; i <= repeat; i++) {
            expect(JSON.parse(Encoder.encode(event({ timestamp: ms }))).time).toBe(expected)
          }
        }),
        { numRuns: 500 }
      )
      expect(JSON.parse(Encoder.encode(event({ timestamp: 0 }))).time).toBe("1970-01-01T00:00:00.000Z")
      expect(JSON.parse(Encoder.encode(event({ timestamp: -1 }))).time).toBe("1969-12-31T23:59:59.999Z")
      expect(JSON.parse(Encoder.encode(event({ timestamp: Number.NaN }))).time).toBe("Invalid Date")
    })
  })

  describe("keys", () => {
    it("renames user keys equal to reserved keys", () => {
      const line = Encoder.encode(event({
        fields: { time: "t", level: "l", logger: "g", msg: "m", cause: "c", spans: 1, trace_id: 2, span_id: 3, correlation_id: 4 }
      }))
      const parsed = JSON.parse(line)
      expect(parsed.time).toBe("2024-01-02T03:04:05.678Z")
      expect(parsed.level).toBe("INFO")
      expect(parsed.logger).toBe("svc")
      expect(parsed.msg).toBe("hello")
      expect(parsed["fields.time"]).toBe("t")
      expect(parsed["fields.level"]).toBe("l")
      expect(parsed["fields.logger"]).toBe("g")
      expect(parsed["fields.msg"]).toBe("m")
      expect(parsed["fields.cause"]).toBe("c")
      expect(parsed["fields.spans"]).toBe(1)
      expect(parsed["fields.trace_id"]).toBe(2)
      expect(parsed["fields.span_id"]).toBe(3)
      expect(parsed["fields.correlation_id"]).toBe(4)
      expect(occurrences(line, "\"time\":")).toBe(1)
      expect(occurrences(line, "\"msg\":")).toBe(1)
    })

    it("keeps both a renamed key and a literal key of the same name", () => {
      const parsed = JSON.parse(Encoder.encode(event({ fields: { time: "renamed", "fields.time": "literal" } })))
      expect(parsed["fields.time"]).toBe("literal")
      expect(parsed["fields.fields.time"]).toBe("renamed")
    })

    it("lets fields shadow annotations, writing each key once", () => {
      const line = Encoder.encode(event({
        annotations: { user: "from-annotation", region: "eu", msg: "a" },
        fields: { user: "from-field", msg: "f" }
      }))
      expect(occurrences(line, "\"user\":")).toBe(1)
      expect(occurrences(line, "\"fields.msg\":")).toBe(1)
      const parsed = JSON.parse(line)
      expect(parsed.user).toBe("from-field")
      expect(parsed.region).toBe("eu")
      expect(parsed["fields.msg"]).toBe("f")
    })

    it("caps the number of top-level keys", () => {
      const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]))
      const parsed = roundTrip(fields, { maxKeys: 10 })
      expect(parsed.k9).toBe(9)
      expect(parsed.k10).toBeUndefined()
      expect(parsed["…"]).toBe("[20 more keys]")
    })

    it("counts the keys a line budget cut off, and writes the same for plain and class records", () => {
      class Record30 {
        [key: string]: unknown
        constructor() {
          for (let i = 0; i < 30; i++) this[`k${i}`] = "v".repeat(20)
        }
      }
      const plain = { ...new Record30() }
      const a = Encoder.make({ maxLineLength: 300 }).encode(event({ fields: plain }))
      const b = Encoder.make({ maxLineLength: 300 }).encode(event({ fields: new Record30() }))
      const parsed = JSON.parse(a)
      const written = Object.keys(parsed).filter((k) => k.startsWith("k")).length
      assert.isAbove(written, 0)
      assert.isBelow(written, 30)
      expect(parsed["…"]).toBe(`[${30 - written} more keys]`)
      // a class instance's own keys are written like a plain record's
      expect(b).toBe(a)
    })

    it("never writes enumerable keys inherited from a polluted Object.prototype", () => {
      Object.defineProperty(Object.prototype, "polluted", { value: "x", enumerable: true, configurable: true, writable: true })
      try {
        const line = Encoder.make().encode(event({ fields: { a: 1 } }))
        expect(JSON.parse(line).a).toBe(1)
        expect(line).not.toContain("polluted")
      } finally {
        delete (Object.prototype as Record<string, unknown>).polluted
      }
    })
  })

  describe("hostile values", () => {
    it("marks cycles and keeps shared references", () => {
      const node: Record<string, unknown> = { id: 1 }
      node.self = node
      const list: Array<unknown> = [1]
      list.push(list)
      const shared = { x: 1 }
      const parsed = roundTrip({ node, list, pair: [shared, shared] })
      expect(parsed.node).toEqual({ id: 1, self: "[Circular]" })
      expect(parsed.list).toEqual([1, "[Circular]"])
      expect(parsed.pair).toEqual([{ x: 1 }, { x: 1 }])
      expect(Encoder.encodeValue(node)).toBe("{\"id\":1,\"self\":\"[Circular]\"}")
    })

    it("writes bigint as a decimal string", () => {
      const parsed = roundTrip({ n: 12345678901234567890n, neg: -5n, arr: new BigInt64Array([1n, -2n]) })
      expect(parsed.n).toBe("12345678901234567890")
      expect(parsed.neg).toBe("-5")
      expect(parsed.arr).toEqual(["1", "-2"])
    })

    it("renders errors with their cause chain and own properties", () => {
      class HttpError extends Error {
        readonly status = 503
        override name = "HttpError"
      }
      const root = new TypeError("socket closed")
      const err = new HttpError("upstream failed", { cause: new Error("retry exhausted", { cause: root }) })
      const parsed = roundTrip({ err })
      expect(parsed.err.name).toBe("HttpError")
      expect(parsed.err.message).toBe("upstream failed")
      expect(parsed.err.status).toBe(503)
      expect(parsed.err.stack).toContain("upstream failed")
      expect(parsed.err.cause.message).toBe("retry exhausted")
      expect(parsed.err.cause.cause.name).toBe("TypeError")
      expect(parsed.err.cause.cause.message).toBe("socket closed")
      expect(Object.keys(parsed.err).filter((k) => k === "name")).toHaveLength(1)
    })

    it("cuts error cause cycles and renders aggregate and tagged errors", () => {
      const a = new Error("a")
      const b = new Error("b", { cause: a })
      ;(a as any).cause = b
      const parsed = roundTrip({ a, agg: new AggregateError([new Error("x"), "y"], "many") })
      expect(parsed.a.cause.message).toBe("b")
      expect(parsed.a.cause.cause).toBe("[Circular]")
      expect(parsed.agg.message).toBe("many")
      expect(parsed.agg.errors[0].message).toBe("x")
      expect(parsed.agg.errors[1]).toBe("y")
      class NotFound extends Data.TaggedError("NotFound")<{ readonly id: string }> {}
      const tagged = roundTrip({ e: new NotFound({ id: "u1" }) }).e
      expect(tagged._tag).toBe("NotFound")
      expect(tagged.id).toBe("u1")
    })

    it("bounds a deep error cause chain by the depth limit", () => {
      let err = new Error("e0")
      for (let i = 1; i < 50; i++) err = new Error(`e${i}`, { cause: err })
      const parsed = roundTrip({ err }, { maxDepth: 5 })
      let cursor = parsed.err
      let depth = 1
      while (typeof cursor === "object") {
        cursor = cursor.cause
        depth++
      }
      expect(cursor).toBe("[Object]")
      expect(depth).toBe(6)
    })

    it("writes dates as ISO strings and invalid dates as a marker", () => {
      const parsed = roundTrip({ d: new Date(T0), bad: new Date(Number.NaN) })
      expect(parsed.d).toBe("2024-01-02T03:04:05.678Z")
      expect(parsed.bad).toBe("Invalid Date")
    })

    it("writes maps as entry arrays and sets as arrays", () => {
      const parsed = roundTrip({
        m: new Map<unknown, unknown>([["a", 1], [2, { b: true }]]),
        s: new Set(["x", "y"]),
        big: new Set(Array.from({ length: 20 }, (_, i) => i)),
        bigMap: new Map(Array.from({ length: 20 }, (_, i) => [i, i]))
      }, { maxArrayLength: 3 })
      expect(parsed.m).toEqual([["a", 1], [2, { b: true }]])
      expect(parsed.s).toEqual(["x", "y"])
      expect(parsed.big).toEqual([0, 1, 2, "…[17 more items]"])
      expect(parsed.bigMap).toEqual([[0, 0], [1, 1], [2, 2], "…[17 more items]"])
    })

    it("writes typed arrays and buffers as bounded number arrays", () => {
      const bytes = new Uint8Array([1, 2, 3, 4])
      const parsed = roundTrip({
        u8: bytes,
        buf: Buffer.from("hi"),
        ab: bytes.buffer,
        dv: new DataView(bytes.buffer, 1, 2),
        f: new Float64Array([1.5, Number.NaN, Infinity]),
        long: new Uint16Array(10)
      }, { maxArrayLength: 4 })
      expect(parsed.u8).toEqual([1, 2, 3, 4])
      expect(parsed.buf).toEqual([104, 105])
      expect(parsed.ab).toEqual([1, 2, 3, 4])
      expect(parsed.dv).toEqual([2, 3])
      expect(parsed.f).toEqual([1.5, null, null])
      expect(parsed.long).toEqual([0, 0, 0, 0, "…[6 more items]"])
    })

    it("never reveals Redacted values", () => {
      const secret = Redacted.make("hunter2")
      const deep = { a: { b: { c: secret } } }
      const line = Encoder.encode(event({ fields: { secret, list: [secret], deep }, annotations: { token: secret } }))
      expect(line).not.toContain("hunter2")
      const parsed = JSON.parse(line)
      expect(parsed.secret).toBe("<redacted>")
      expect(parsed.token).toBe("<redacted>")
      expect(parsed.list).toEqual(["<redacted>"])
      expect(parsed.deep.a.b.c).toBe("<redacted>")
      expect(Encoder.encodeValue(deep, { maxDepth: 3 })).not.toContain("hunter2")
    })

    it("describes symbols and functions", () => {
      function namedFn() {}
      const parsed = roundTrip({ sym: Symbol("tag"), anon: Symbol(), fn: namedFn, arrow: (() => () => 1)(), cls: class Foo {} })
      expect(parsed.sym).toBe("Symbol(tag)")
      expect(parsed.anon).toBe("Symbol()")
      expect(parsed.fn).toBe("[Function namedFn]")
      expect(parsed.arrow).toBe("[Function (anonymous)]")
      expect(parsed.cls).toBe("[Function Foo]")
    })

    it("contains throwing getters", () => {
      const obj = {
        ok: 1,
        get bad(): number {
          throw new Error("getter exploded")
        }
      }
      const fields = {
        get top(): number {
          throw new Error("top exploded")
        },
        obj
      }
      const parsed = roundTrip(fields)
      expect(parsed.top).toBe("[Throws: top exploded]")
      expect(parsed.obj).toEqual({ ok: 1, bad: "[Throws: getter exploded]" })
    })

    it("contains throwing and revoked proxies", () => {
      const boom = (): never => {
        throw new Error("trap")
      }
      const ownKeys = new Proxy({}, { ownKeys: boom })
      const get = new Proxy({ a: 1 }, { get: boom })
      const proto = new Proxy({}, { getPrototypeOf: boom })
      const { proxy: revoked, revoke } = Proxy.revocable({}, {})
      revoke()
      const throwsNonError = new Proxy({}, {
        ownKeys: () => {
          throw Object.create(null)
        }
      })
      const parsed = roundTrip({ ownKeys, get, proto, revoked, throwsNonError })
      expect(parsed.ownKeys).toBe("[Throws: trap]")
      expect(parsed.get).toMatch(/Throws/)
      expect(parsed.proto).toBe("[Throws: trap]")
      expect(parsed.revoked).toMatch(/^\[Throws: /)
      expect(parsed.throwsNonError).toBe("[Throws]")
      // a Proxy as the fields record itself
      const line = Encoder.encode(event({ fields: ownKeys as any }))
      expect(JSON.parse(line).msg).toBe("hello")
    })

    it("calls toJSON guarded and supports reentrant encoding", () => {
      class Money {
        readonly cents: number
        constructor(cents: number) {
          this.cents = cents
        }
        toJSON() {
          return { amount: this.cents / 100, currency: "EUR" }
        }
      }
      const self = {
        v: 1,
        toJSON() {
          return this
        }
      }
      const reentrant = {
        toJSON() {
          return JSON.parse(Encoder.encode(event({ message: "inner", fields: { x: 1 } }))).x
        }
      }
      const parsed = roundTrip({
        money: new Money(1050),
        url: new URL("https://example.com/a?b=1"),
        throws: {
          toJSON() {
            throw new Error("no json")
          }
        },
        self,
        reentrant,
        after: "still here"
      })
      expect(parsed.money).toEqual({ amount: 10.5, currency: "EUR" })
      expect(parsed.url).toBe("https://example.com/a?b=1")
      expect(parsed.throws).toBe("[Throws: no json]")
      expect(parsed.self.v).toBe(1)
      expect(parsed.reentrant).toBe(1)
      expect(parsed.after).toBe("still here")
    })

    it("writes class instances by their own enumerable properties", () => {
      class Point {
        x = 1
        y = 2
        get norm() {
          return 3
        }
        method() {
          return 4
        }
      }
      const hidden = Object.defineProperty({ shown: 1 }, "hidden", { value: 2, enumerable: false })
      const parsed = roundTrip({ p: new Point(), hidden, nullProto: Object.assign(Object.create(null), { a: 1 }) })
      expect(parsed.p).toEqual({ x: 1, y: 2 })
      expect(parsed.hidden).toEqual({ shown: 1 })
      expect(parsed.nullProto).toEqual({ a: 1 })
    })

    it("writes non-finite numbers as null, omits undefined in objects and nulls it in arrays", () => {
      const line = Encoder.encode(event({
        fields: { nan: Number.NaN, inf: Infinity, ninf: -Infinity, negZero: -0, u: undefined, arr: [undefined, 1], o: { u: undefined } }
      }))
      expect(line).not.toContain("\"u\"")
      const parsed = JSON.parse(line)
      expect(parsed.nan).toBeNull()
      expect(parsed.inf).toBeNull()
      expect(parsed.ninf).toBeNull()
      expect(parsed.negZero).toBe(0)
      expect(parsed.arr).toEqual([null, 1])
      expect(parsed.o).toEqual({})
    })

    it("unwraps boxed primitives and describes regexps and promises", () => {
      const parsed = roundTrip({ s: new String("boxed"), n: new Number(2), re: /a+b/gi, p: Promise.resolve(1) })
      expect(parsed).toMatchObject({ s: "boxed", n: 2, re: "/a+b/gi", p: "[Promise]" })
    })
  })

  describe("strings", () => {
    it("caps long strings with a marker", () => {
      const parsed = roundTrip({ s: "x".repeat(20_000) })
      expect(parsed.s).toBe("x".repeat(16_384) + "…[truncated 3616 chars]")
      const small = roundTrip({ s: "abcdefghij" }, { maxStringLength: 4 })
      expect(small.s).toBe("abcd…[truncated 6 chars]")
      const msg = JSON.parse(Encoder.make({ maxStringLength: 3 }).encode(event({ message: "hello" }))).msg
      expect(msg).toBe("hel…[truncated 2 chars]")
    })

    it("does not split a surrogate pair when truncating", () => {
      const parsed = roundTrip({ s: "ab😀cd" }, { maxStringLength: 3 })
      expect(parsed.s).toBe("ab…[truncated 4 chars]")
    })

    it("escapes lone surrogates and keeps valid pairs", () => {
      const line = Encoder.encode(event({ message: "lone \ud800 and \udc00 pair 😀", fields: { v: "x\udfff" } }))
      expect(line).toContain("\\ud800")
      expect(line).toContain("\\udc00")
      expect(line).toContain("\\udfff")
      expect(line).toContain("😀")
      expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(line)).toBe(false)
      const parsed = JSON.parse(line)
      expect(parsed.msg).toBe("lone \ud800 and \udc00 pair 😀")
      expect(parsed.v).toBe("x\udfff")
    })

    it("escapes newlines, control characters and line separators", () => {
      const nasty = "line1\nline2\r\n\t\u0000\u001b[31m\u2028\u2029\"quoted\" back\\slash"
      const line = Encoder.encode(event({ message: nasty, logger: "a\nb", fields: { [nasty]: nasty } }))
      assertOneLine(line)
      expect(line).not.toMatch(/[\u0000-\u001f]/)
      expect(line).toContain("\\u2028")
      const parsed = JSON.parse(line)
      expect(parsed.msg).toBe(nasty)
      expect(parsed.logger).toBe("a\nb")
      expect(parsed[nasty]).toBe(nasty)
    })

    it("escapes line separators even when nothing else needs escaping", () => {
      for (const s of ["a\u2028b", "a\u2029b", "x".repeat(100) + "\u2028", "\u2029" + "y".repeat(100)]) {
        const line = Encoder.encode(event({ message: s, fields: { s } }))
        assertOneLine(line)
        expect(occurrences(line, s.includes("\u2028") ? "\\u2028" : "\\u2029")).toBe(2)
        expect(JSON.parse(line).s).toBe(s)
      }
    })

    it("returns strings that need no escaping unchanged", () => {
      for (const s of ["", "plain", "ünïcødé ✓ 中文", "z".repeat(500)]) {
        expect(Encoder.encodeValue(s)).toBe("\"" + s + "\"")
      }
    })

    it("round-trips arbitrary strings as message, logger and keys", () => {
      fc.assert(
        fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (message, logger, k) => {
          const line = Encoder.encode(event({ message, logger, fields: { [k]: message } }))
          assertOneLine(line)
          const parsed = JSON.parse(line)
          expect(parsed.msg).toBe(message)
          expect(parsed.logger).toBe(logger)
          const reserved = ["time", "level", "logger", "msg", "correlation_id", "trace_id", "span_id", "spans", "cause"]
          expect(parsed[reserved.includes(k) ? `fields.${k}` : k]).toBe(message)
        }),
        { numRuns: 500 }
      )
    })
  })

  describe("limits", () => {
    it("replaces containers nested deeper than maxDepth", () => {
      const deep = { a: { b: { c: { d: [1] } } } }
      expect(roundTrip({ deep }, { maxDepth: 3 }).deep).toEqual({ a: { b: { c: "[Object]" } } })
      expect(roundTrip({ deep }, { maxDepth: 4 }).deep).toEqual({ a: { b: { c: { d: "[Array]" } } } })
      let nested: unknown = "leaf"
      for (let i = 0; i < 100; i++) nested = [nested]
      expect(Encoder.encodeValue(nested)).toBe("[".repeat(10) + "\"[Array]\"" + "]".repeat(10))
    })

    it("caps keys per object and items per array", () => {
      const wide = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`k${i}`, i]))
      const parsed = roundTrip({ wide, long: Array.from({ length: 1500 }, (_, i) => i) })
      expect(Object.keys(parsed.wide)).toHaveLength(201)
      expect(parsed.wide["…"]).toBe("[50 more keys]")
      expect(parsed.long).toHaveLength(1001)
      expect(parsed.long[1000]).toBe("…[500 more items]")
      expect(Encoder.encodeValue(new Array(2 ** 31))).toMatch(/more items\]"\]$/)
    })

    it("a huge value is cut and the other fields of the event are still written", () => {
      const line = Encoder.json.encode(event({ fields: { blob: "x".repeat(3_000_000), orderId: "o-1", status: 502 } }))
      assertOneLine(line)
      const parsed = JSON.parse(line)
      expect(parsed.orderId).toBe("o-1")
      expect(parsed.status).toBe(502)
      expect(parsed.blob).toMatch(/^x{16384}…\[truncated 2983616 chars\]$/)
      expect(parsed["…"]).toBeUndefined()
      // the same for huge containers: each value spends at most a quarter of the line budget
      const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, note: "y".repeat(50) }))
      const nested = JSON.parse(Encoder.make({ maxLineLength: 100_000 }).encode(
        event({ annotations: { tenant: "t-9" }, fields: { rows, more: rows, orderId: "o-2", status: 503 } })
      ))
      expect([nested.tenant, nested.orderId, nested.status]).toEqual(["t-9", "o-2", 503])
      expect(nested.rows.at(-1)).toBe("[line limit]")
      expect(nested.more.at(-1)).toBe("[line limit]")
      expect(JSON.stringify(nested.rows).length).toBeLessThan(50_000) // a quarter of 100,000, roughly (keys are not charged)
      // and a string is cut at a quarter of a small line budget
      expect(JSON.parse(Encoder.make({ maxLineLength: 400 }).encode(event({ fields: { s: "z".repeat(500), n: 1 } }))))
        .toMatchObject({ s: "z".repeat(100) + "…[truncated 400 chars]", n: 1 })
    })

    it("bounds the whole line", () => {
      let shared: unknown = Array.from({ length: 50 }, () => "y".repeat(1000))
      for (let i = 0; i < 5; i++) shared = [shared, shared, shared, shared]
      const line = Encoder.make({ maxLineLength: 100_000 }).encode(event({ fields: { shared, after: 1 } }))
      expect(line.length).toBeLessThan(200_000)
      expect(line).toContain("[line limit]")
      expect(JSON.parse(line).msg).toBe("hello")
    })
  })

  describe("encodeValue", () => {
    it("returns valid JSON for any root value", () => {
      expect(Encoder.encodeValue(undefined)).toBe("null")
      expect(Encoder.encodeValue(null)).toBe("null")
      expect(Encoder.encodeValue("a\nb")).toBe("\"a\\nb\"")
      expect(Encoder.encodeValue(1n)).toBe("\"1\"")
      expect(Encoder.encodeValue([undefined])).toBe("[null]")
      expect(Encoder.encodeValue(Redacted.make(1))).toBe("\"<redacted>\"")
      expect(Encoder.encodeValue({ b: [1, "x"] })).toBe(JSON.stringify({ b: [1, "x"] }))
    })
  })

  describe("encodeBatch", () => {
    it("skips control events and ends every line with a newline", () => {
      const a = event({ message: "a" })
      const b = event({ message: "b" })
      const chunk = Encoder.encodeBatch([
        LogEvent.flushMarker(() => {}),
        a,
        LogEvent.correlationEnd("req-1"),
        b,
        LogEvent.flushMarker(() => {})
      ])
      expect(chunk).toBe(Encoder.encode(a) + "\n" + Encoder.encode(b) + "\n")
      expect(Encoder.encodeBatch([LogEvent.flushMarker(() => {})])).toBe("")
      expect(Encoder.encodeBatch([])).toBe("")
      expect(Encoder.encode(LogEvent.correlationEnd("req-1"))).toBe("")
      expect(Encoder.pretty().encodeBatch([LogEvent.correlationEnd("x"), a]).split("\n")).toHaveLength(2)
    })

    // an event object whose every property read throws (a Proxy from a user's pipeline stage):
    // reading it in the batch loop used to make the whole batch `""`
    const unreadable = new Proxy({}, {
      get: () => {
        throw new Error("no reading")
      }
    }) as LogEvent.LogEvent

    it("a batch that cannot be encoded as a whole falls back per event and counts what is left out", () => {
      const a = event({ message: "a" })
      const b = event({ message: "b" })
      const expected = Encoder.encode(a) + "\n" + Encoder.encode(b) + "\n"
      expect(Encoder.encodeBatch([a, unreadable, b])).toBe(expected)
      expect(Encoder.encodeLines(Encoder.json, [a, unreadable, LogEvent.flushMarker(() => {}), b]))
        .toEqual({ text: expected, unencodable: 1 })
      expect(Encoder.encodeLines(Encoder.json, [a, b])).toEqual({ text: expected, unencodable: 0 })
      expect(Encoder.pretty().encodeBatch([a, unreadable, b]).split("\n")).toHaveLength(3)
      // a sink's batch: the other events are written, the lost one is counted
      const batch = Sink.makeBatch([a, unreadable, b])
      assert.strictEqual(batch.unencodable, 0) // not encoded yet
      assert.strictEqual(batch.ndjson, expected)
      assert.strictEqual(batch.unencodable, 1)
    })

    it("encodeLines falls back per event when a custom encoder's batch throws", () => {
      const fragile: Encoder.Encoder = {
        encode: (e) => {
          if (e.message === "bad") throw new Error("cannot encode")
          return e.control !== undefined ? "" : e.message
        },
        encodeBatch: (events) => events.map((e) => fragile.encode(e) + "\n").join("")
      }
      const events = ["a", "bad", "b", "bad"].map((message) => event({ message }))
      expect(Encoder.encodeLines(fragile, [...events, LogEvent.flushMarker(() => {})])).toEqual({ text: "a\nb\n", unencodable: 2 })
      expect(Encoder.encodeLines(fragile, [events[0]!])).toEqual({ text: "a\n", unencodable: 0 })
    })
  })

  describe("properties", () => {
    const anything = fc.anything({
      maxDepth: 6,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withTypedArray: true,
      withSparseArray: true,
      stringUnit: "binary"
    })
    const fields = fc.dictionary(fc.string({ unit: "binary" }), anything, { maxKeys: 8 })

    it("never throws and always writes one parseable line", () => {
      fc.assert(
        fc.property(fields, fields, fc.string({ unit: "binary" }), (f, a, message) => {
          const line = Encoder.encode(event({ message, fields: f, annotations: a }))
          assertOneLine(line)
          const parsed = JSON.parse(line)
          expect(parsed.msg).toBe(message)
          const chunk = Encoder.encodeBatch([event({ fields: f }), LogEvent.flushMarker(() => {}), event({ fields: a })])
          const lines = chunk.split("\n")
          expect(lines).toHaveLength(3)
          expect(lines[2]).toBe("")
          for (const l of lines.slice(0, 2)) JSON.parse(l)
          JSON.parse(Encoder.encodeValue(f))
        }),
        { numRuns: 500 }
      )
    })

    it("round-trips JSON values", () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 8 }), fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }), (v, w) => {
          const parsed = roundTrip({ v, w })
          expect(parsed.v).toEqual(JSON.parse(JSON.stringify(v)))
          expect(parsed.w).toEqual(JSON.parse(JSON.stringify(w)))
          expect(JSON.parse(Encoder.encodeValue(v))).toEqual(JSON.parse(JSON.stringify(v)))
        }),
        { numRuns: 500 }
      )
    })

    it("a plain top-level value is written exactly as the safe walker writes it (fast path)", () => {
      // a class instance is never plain, so `Box` sends its content through the walker, one level
      // deeper and 2 characters of budget later: the limits given to it compensate for both
      class Box {
        readonly v: unknown
        constructor(v: unknown) {
          this.v = v
        }
      }
      const plain = fc.letrec((tie) => ({
        leaf: fc.oneof(
          fc.string({ unit: "binary", maxLength: 10 }),
          fc.constantFrom("\u2028", "a\u2029b", "\ud800", "\"\\\n", "x".repeat(9)),
          fc.double(),
          fc.boolean(),
          fc.constant(null),
          fc.constant(undefined)
        ),
        node: fc.oneof(
          { depthSize: "small" },
          tie("leaf"),
          fc.array(tie("node"), { maxLength: 8 }),
          fc.array(fc.string({ minLength: 5, maxLength: 9 }), { minLength: 2, maxLength: 8 }), // spends the budget
          fc.dictionary(fc.string({ unit: "binary", maxLength: 10 }), tie("node"), { maxKeys: 5 }),
          fc.dictionary(fc.string(), tie("node"), { maxKeys: 3, noNullPrototype: false })
        )
      })).node
      const limits = fc.record({
        maxDepth: fc.integer({ min: 1, max: 5 }),
        maxKeys: fc.integer({ min: 1, max: 5 }), // the box needs its one key
        maxArrayLength: fc.integer({ min: 0, max: 8 }),
        maxStringLength: fc.integer({ min: 1, max: 9 }),
        maxLineLength: fc.integer({ min: 36, max: 100 }) // a quarter of it stays above maxStringLength
      })
      fc.assert(
        fc.property(plain, limits, (v, o) => {
          const walked = Encoder.encodeValue(new Box(v), { ...o, maxDepth: o.maxDepth + 1, maxLineLength: o.maxLineLength + 2 })
          const fast = Encoder.encodeValue(v, o)
          if (typeof v === "object" && v !== null) expect(walked).toBe("{\"v\":" + fast + "}")
          assertOneLine(fast)
          JSON.parse(fast)
        }),
        { numRuns: 2000 }
      )
    })

    it("a getter that changes its value between reads cannot push a plain value past its bound", () => {
      let reads = 0
      const o = {
        a: "short",
        get b(): unknown {
          reads++
          return reads % 2 === 1 ? "x" : "y".repeat(1_000_000)
        }
      }
      const line = Encoder.json.encode(event({ fields: { o } }))
      assertOneLine(line)
      expect(line.length).toBeLessThan(Encoder.defaults.maxStringLength + 1000)
    })

    describe("reuse of a shared annotations record", () => {
      // keys that collide: reserved names, fields shadowing annotations, a renamed reserved key
      const key = fc.constantFrom(
        "service", "region", "a", "b", "time", "msg", "level", "cause", "spans", "correlation_id", "fields.time"
      )
      const text = fc.string({ unit: fc.constantFrom("a", "b", "\"", "\\", "\n", "é", "\u2028", "😀"), maxLength: 40 })
      const primitive = fc.oneof(
        text,
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })
      )
      // mostly primitives (a reusable record), sometimes an object (never reused)
      const value = fc.oneof({ arbitrary: primitive, weight: 6 }, { arbitrary: fc.dictionary(key, primitive, { maxKeys: 3 }), weight: 1 })
      const record = (values: fc.Arbitrary<unknown>) => fc.dictionary(key, values, { maxKeys: 6 })
      const options = fc.record({
        maxStringLength: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        maxLineLength: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
        maxKeys: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined })
      })
      const step = fc.record({
        which: fc.nat(2),
        fields: fc.option(record(value), { nil: undefined }),
        message: text,
        level: fc.constantFrom("Info" as const, "Warn" as const),
        correlationId: fc.option(text, { nil: undefined })
      })

      it("encoding a run of events sharing frozen annotations gives the lines of a fresh encoder per event", () => {
        fc.assert(
          fc.property(
            options,
            fc.array(fc.option(record(primitive), { nil: undefined }), { minLength: 1, maxLength: 2 }),
            fc.array(record(value), { minLength: 1, maxLength: 3 }),
            fc.array(step, { minLength: 1, maxLength: 12 }),
            (opts, bases, extras, steps) => {
              // a few annotators over a few fiber records: runs share one frozen record, then switch
              const annotators = extras.map((extra) => LogEvent.annotator(extra))
              const events = steps.map((s, i) =>
                annotators[s.which % annotators.length]!(event({
                  annotations: bases[i % bases.length],
                  fields: s.fields,
                  message: s.message,
                  level: s.level,
                  // a new millisecond per event: the encoder's reuse of the line head is not what is tested here
                  timestamp: T0 + i,
                  correlationId: s.correlationId
                }))
              )
              const shared = Encoder.make(opts)
              const lines = events.map((e) => shared.encode(e))
              const fresh = events.map((e) => Encoder.make(opts).encode(e))
              expect(lines).toEqual(fresh)
              expect(Encoder.make(opts).encodeBatch(events)).toBe(fresh.map((l) => l + "\n").join(""))
              for (const line of lines) JSON.parse(line)
            }
          ),
          { numRuns: 2000 }
        )
      })

      it("writes a shared frozen record of primitives once, then reuses its entries while no field shadows them", () => {
        const frozen = LogEvent.annotator({ service: "svc", region: "eu", pid: 42 })(event()).annotations!
        // a miss lists the record's keys; a hit reuses its entries without looking at it
        let reads = 0
        const keys = Object.keys
        const spy = (o: object) => {
          if (o === frozen) reads++
          return keys(o)
        }
        const encoder = Encoder.make()
        const encode = (fields?: Record<string, unknown>) => {
          const before = reads
          const e = event({ annotations: frozen, fields })
          Object.keys = spy
          let line: string
          try {
            line = encoder.encode(e)
          } finally {
            Object.keys = keys
          }
          const read = reads > before
          expect(line).toBe(Encoder.make().encode(e))
          return { line, read }
        }
        assert.isTrue(encode({ n: 1 }).read)
        assert.isFalse(encode({ n: 2 }).read)
        assert.isFalse(encode().read)
        // a field shadowing one of its keys: written again, without that key
        const shadowed = encode({ region: "us" })
        assert.isTrue(shadowed.read)
        expect(shadowed.line.split("\"region\":").length).toBe(2)
        expect(JSON.parse(shadowed.line).region).toBe("us")
        assert.isFalse(encode({ n: 3 }).read)
        // a Proxy over a frozen record is read every time: its traps could answer anything
        let trapped = 0
        const proxy = new Proxy(frozen, {
          get: (target, k) => {
            trapped++
            return Reflect.get(target, k)
          }
        })
        encoder.encode(event({ annotations: proxy }))
        const once = trapped
        encoder.encode(event({ annotations: proxy }))
        assert.isAbove(once, 0)
        assert.strictEqual(trapped, 2 * once)
        // a record that is not frozen is read every time
        const open = { service: "svc" }
        const a = encoder.encode(event({ annotations: open }))
        open.service = "changed"
        expect(JSON.parse(encoder.encode(event({ annotations: open }))).service).toBe("changed")
        expect(JSON.parse(a).service).toBe("svc")
      })

      it("a budget that runs out on the shared record after it was reused is still honoured", () => {
        const extra = { service: "s".repeat(30), region: "eu" }
        const tag = LogEvent.annotator(extra)
        const encoder = Encoder.make({ maxLineLength: 60 })
        const short = tag(event({ message: "x" }))
        const long = tag(event({ message: "y".repeat(40) }))
        for (const e of [short, long, short, long, long]) {
          expect(encoder.encode(e)).toBe(Encoder.make({ maxLineLength: 60 }).encode(e))
        }
      })
    })

    it("pretty output has no raw line break and no ANSI without colors", () => {
      const plain = Encoder.pretty()
      fc.assert(
        fc.property(fields, fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (f, message, logger) => {
          const line = plain.encode(event({ message, logger, fields: f, correlationId: message }))
          assertNoForgedLine(line)
          expect(line).not.toContain("\u001b")
        }),
        { numRuns: 500 }
      )
    })
  })

  describe("pretty", () => {
    it("writes a readable line", () => {
      const line = Encoder.pretty().encode(event({
        level: "Warn",
        annotations: { region: "eu", user: "a" },
        fields: { user: "b", note: "two words", n: 3, obj: { a: [1] } },
        correlationId: "req-1",
        spans: [["db", T0 - 7], ["db", T0 - 100]]
      }))
      expect(line).toBe(
        "03:04:05.678 WARN  [svc] hello region=eu user=b note=\"two words\" n=3 obj={\"a\":[1]} db=7ms (correlation_id=req-1)"
      )
    })

    it("escapes control characters so a line cannot forge another", () => {
      const forged = "ok\n03:04:05.678 ERROR [svc] forged\u001b[2J\u0085\u202e"
      const line = Encoder.pretty().encode(event({ message: forged, fields: { [forged]: forged } }))
      assertNoForgedLine(line)
      expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
      expect(line).toContain("ok\\n03:04:05.678 ERROR")
      expect(line).toContain("\\u001b[2J")
    })

    it("colours only when asked", () => {
      const e = event({ level: "Error", fields: { k: "v" } })
      expect(Encoder.pretty({ colors: false }).encode(e)).not.toContain("\u001b")
      const coloured = Encoder.pretty({ colors: true }).encode(e)
      expect(coloured).toContain("\u001b[31mERROR")
      expect(coloured.replace(/\u001b\[[0-9;]*m/g, "")).toBe(Encoder.pretty().encode(e))
    })

    it("renders errors from another realm", () => {
      const foreign = runInNewContext("new Error('from vm', { cause: 'c' })")
      expect(foreign instanceof Error).toBe(false)
      const parsed = roundTrip({ foreign })
      expect(parsed.foreign.message).toBe("from vm")
      expect(parsed.foreign.cause).toBe("c")
    })

    it("writes the cause as an indented block", () => {
      const line = Encoder.pretty().encode(event({ level: "Error", cause: Cause.fail(new Error("boom")) }))
      assertNoForgedLine(line)
      expect(line).toMatch(/\n    cause: Error: boom\n        at /)
    })
  })

  it.effect("encodes events built from Effect's logger with annotations and spans", () =>
    Effect.gen(function*() {
      const events: Array<LogEvent.LogEvent> = []
      const builder = new EventBuilder()
      const logger = Logger.make((options) => {
        events.push(builder.fromOptions(options, "app"))
      })
      yield* Effect.gen(function*() {
        yield* TestClock.adjust("250 millis")
        yield* Effect.logWarning("slow", { rows: 3 })
      }).pipe(
        Effect.withLogSpan("query"),
        Effect.annotateLogs({ region: "eu", rows: 0 }),
        Effect.provide(Logger.layer([logger]))
      )
      assert.lengthOf(events, 1)
      const parsed = JSON.parse(Encoder.encode(events[0]!))
      expect(parsed).toMatchObject({
        time: "1970-01-01T00:00:00.250Z",
        level: "WARN",
        logger: "app",
        msg: "slow",
        region: "eu",
        rows: 3,
        spans: { query: 250 }
      })
    }))
})

describe("Encoder line budget across consecutive events", () => {
  it("an event sharing its line head with the previous one is charged the same budget", () => {
    const twin = (fields: Record<string, unknown>) =>
      LogEvent.make({ timestamp: 5, level: "Info", message: "m", logger: "a-logger-name", fields })
    for (const max of [1, 10, 20, 40, 80]) {
      const shared = Encoder.make({ maxLineLength: max })
      shared.encode(twin({ first: true }))
      const second = twin({ flag: false, n: 12345 })
      expect(shared.encode(second)).toBe(Encoder.make({ maxLineLength: max }).encode(second))
    }
  })
})
