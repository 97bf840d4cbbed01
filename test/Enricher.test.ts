import { assert, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Os from "node:os"
import * as Encoder from "../src/Encoder.ts"
import * as Enricher from "../src/Enricher.ts"
import * as LogEvent from "../src/LogEvent.ts"

const event = (fields?: Record<string, unknown>, extra: Partial<LogEvent.Input> = {}): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "test", fields, ...extra })

/** The user keys of the encoded JSON line, as a sink sees them (annotations, then fields). */
const written = (e: LogEvent.LogEvent): Record<string, unknown> => {
  const { level: _level, logger: _logger, msg: _msg, time: _time, ...rest } = JSON.parse(Encoder.json.encode(e))
  return rest
}

describe("Enricher", () => {
  it("adds service, version, environment, host and pid to every event", () => {
    const enrich = Enricher.make({ service: "payments", version: "1.4.2", environment: "prod" })
    const out = enrich(event())
    const static_ = {
      service: "payments",
      version: "1.4.2",
      environment: "prod",
      host: Os.hostname(),
      pid: process.pid
    }
    // static fields go into the annotations, as one frozen record shared by the events of a context
    expect(out.annotations).toEqual(static_)
    assert.isTrue(Object.isFrozen(out.annotations))
    assert.strictEqual(out.fields, undefined)
    expect(written(out)).toEqual(static_)
    const withAmount = enrich(event({ amount: 10 }))
    assert.strictEqual(withAmount.annotations, out.annotations)
    expect(withAmount.fields).toEqual({ amount: 10 })
    expect(written(withAmount)).toEqual({ ...static_, amount: 10 })
    // annotations first, then the caller's fields
    expect(Object.keys(written(withAmount))).toEqual(["service", "version", "environment", "host", "pid", "amount"])
  })

  it("never overwrites a field the caller set", () => {
    const enrich = Enricher.make({ service: "svc", fields: { region: "eu" } })
    const out = enrich(event({ service: "caller", region: "us", host: "mine" }))
    expect(out.fields).toEqual({ service: "caller", region: "us", host: "mine" })
    assert.strictEqual(LogEvent.get(out, "service"), "caller")
    assert.strictEqual(LogEvent.get(out, "region"), "us")
    assert.strictEqual(LogEvent.get(out, "host"), "mine")
    assert.strictEqual(LogEvent.get(out, "pid"), process.pid)
    // what a sink sees: the caller's values, each key once
    const line = Encoder.json.encode(out)
    expect(JSON.parse(line)).toMatchObject({ service: "caller", region: "us", host: "mine", pid: process.pid })
    for (const key of ["service", "region", "host", "pid"]) expect(line.split(`"${key}":`).length).toBe(2)
  })

  it("honours host and pid options and extra static fields", () => {
    const out = Enricher.make({ host: "web-1", pid: false, fields: { team: "core" } })(event())
    expect(out.annotations).toEqual({ host: "web-1", team: "core" })
    expect(written(out)).toEqual({ host: "web-1", team: "core" })
    const none = event({ a: 1 })
    assert.strictEqual(Enricher.make({ host: false, pid: false })(none), none)
  })

  it("keeps everything else of the event, including trace ids", () => {
    const input = event({ a: 1 }, { traceId: "t1", spanId: "s1", correlationId: "c1", annotations: { k: "v" } })
    const out = Enricher.make({ service: "svc" })(input)
    expect(out.traceId).toBe("t1")
    expect(out.spanId).toBe("s1")
    expect(out.correlationId).toBe("c1")
    assert.strictEqual(out.fields, input.fields)
    // the static fields are merged over the event's annotations, without touching the input
    expect(out.annotations).toEqual({ k: "v", service: "svc", host: Os.hostname(), pid: process.pid })
    expect(input.annotations).toEqual({ k: "v" })
    expect(Object.keys(out)).toEqual(Object.keys(input))
    expect(input.fields).toEqual({ a: 1 })
  })

  it("applies dynamic enrichers in order, under the caller's fields, and reports one that throws", () => {
    const enrich = Enricher.make({
      host: false,
      pid: false,
      service: "svc",
      dynamic: [
        (e) => e.correlationId === undefined ? undefined : { request_id: e.correlationId, service: "dyn" },
        () => ({ seq: 1 }),
        () => {
          throw new Error("enricher broke")
        }
      ]
    })
    const out = enrich(event({ seq: 0 }, { correlationId: "r1" }))
    expect(out.fields).toEqual({
      service: "dyn",
      request_id: "r1",
      seq: 0,
      _enricher_error: "enricher broke"
    })
    // the static service stays in the annotations, under the dynamic one
    expect(out.annotations).toEqual({ service: "svc" })
    expect(written(out)).toEqual({
      correlation_id: "r1",
      service: "dyn",
      request_id: "r1",
      seq: 0,
      _enricher_error: "enricher broke"
    })
  })

  it.effect("forwards control events unchanged and in order through a pipeline", () =>
    Effect.gen(function*() {
      const flush = LogEvent.flushMarker(() => {})
      const end = LogEvent.correlationEnd("r1")
      const out = yield* Stream.fromIterable([event(), flush, event({ x: 1 }), end], { chunkSize: 3 }).pipe(
        Enricher.pipeline({ service: "svc", host: false, pid: false }),
        Stream.runCollect
      )
      expect(out.length).toBe(4)
      assert.strictEqual(out[1], flush)
      assert.strictEqual(out[3], end)
      expect(out[0]!.annotations).toEqual({ service: "svc" })
      assert.strictEqual(out[0]!.fields, undefined)
      expect(out[2]!.annotations).toEqual({ service: "svc" })
      expect(out[2]!.fields).toEqual({ x: 1 })
    }))
})
