import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as LogEvent from "../src/LogEvent.ts"
import * as Pipeline from "../src/Pipeline.ts"

const ev = (message: string): LogEvent.LogEvent => LogEvent.make({ timestamp: 0, level: "Info", message, logger: "app" })

const run = (stream: Stream.Stream<LogEvent.LogEvent>) =>
  Effect.gen(function*() {
    const { counters, snapshot } = Pipeline.makeCounters()
    const out = yield* Stream.runCollect(stream).pipe(Effect.provideService(Pipeline.Counters, counters))
    return { messages: out.map((e) => e.message), dropped: snapshot().dropped }
  })

describe("Pipeline.mapEvents", () => {
  const f = (e: LogEvent.LogEvent) => e.message === "drop" ? undefined : LogEvent.withFields(e, { seen: true })

  it.effect("is dual: data-first and data-last map and drop the same events", () =>
    Effect.gen(function*() {
      const input = () => Stream.make(ev("a"), ev("drop"), ev("b"))
      const last = yield* run(input().pipe(Pipeline.mapEvents(f, "mine")))
      const first = yield* run(Pipeline.mapEvents(input(), f, "mine"))
      assert.deepStrictEqual(last.messages, ["a", "b"])
      assert.deepStrictEqual(first, last)
      assert.deepStrictEqual(first.dropped, { mine: 1 })
      const byDefault = yield* run(Pipeline.mapEvents(input(), f))
      assert.deepStrictEqual(byDefault.dropped, { filtered: 1 })
    }))
})
