import { assert, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Os from "node:os"
import * as Enricher from "../src/Enricher.ts"
import * as LogEvent from "../src/LogEvent.ts"

const event = (fields?: Record<string, unknown>, extra: Partial<LogEvent.Input> = {}): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "test", fields, ...extra })

describe("Enricher", () => {
  it("adds service, version, environment, host and pid to every event", () => {
    const enrich = Enricher.make({ service: "payments", version: "1.4.2", environment: "prod" })
    const out = enrich(event())
    expect(out.fields).toEqual({
      service: "payments",
      version: "1.4.2",
      environment: "prod",
      host: Os.hostname(),
      pid: process.pid
    })
    expect(enrich(event({ amount: 10 })).fields).toEqual({
      service: "payments",
      version: "1.4.2",
      environment: "prod",
      host: Os.hostname(),
      pid: process.pid,
      amount: 10
    })
  })

  it("never overwrites a field the caller set", () => {
    const enrich = Enricher.make({ service: "svc", fields: { region: "eu" } })
    const out = enrich(event({ service: "caller", region: "us", host: "mine" }))
    expect(out.fields).toEqual({ service: "caller", region: "us", host: "mine", pid: process.pid })
  })

  it("honours host and pid options and extra static fields", () => {
    expect(Enricher.make({ host: "web-1", pid: false, fields: { team: "core" } })(event()).fields).toEqual({
      host: "web-1",
      team: "core"
    })
    const none = event({ a: 1 })
    assert.strictEqual(Enricher.make({ host: false, pid: false })(none), none)
  })

  it("keeps everything else of the event, including trace ids", () => {
    const input = event({ a: 1 }, { traceId: "t1", spanId: "s1", correlationId: "c1", annotations: { k: "v" } })
    const out = Enricher.make({ service: "svc" })(input)
    expect(out.traceId).toBe("t1")
    expect(out.spanId).toBe("s1")
    expect(out.correlationId).toBe("c1")
    assert.strictEqual(out.annotations, input.annotations)
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
    expect(enrich(event({ seq: 0 }, { correlationId: "r1" })).fields).toEqual({
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
      expect(out[0]!.fields).toEqual({ service: "svc" })
      expect(out[2]!.fields).toEqual({ service: "svc", x: 1 })
    }))
})
