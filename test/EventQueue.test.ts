import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { EventQueue } from "../src/internal/queue.ts"
import * as LogEvent from "../src/LogEvent.ts"

// The worker's queue (internal): a ring whose taken slots are cleared, so that it never keeps a
// written event alive (a long-lived array pointing at dead events makes them survive young
// collections and pile up in the old generation).

type Step =
  | { readonly _tag: "event" }
  | { readonly _tag: "end" }
  | { readonly _tag: "flush" }
  | { readonly _tag: "dropOldest" }
  | { readonly _tag: "take"; readonly n: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ _tag: "event" as const }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "end" as const }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "flush" as const }) },
  { weight: 2, arbitrary: fc.constant({ _tag: "dropOldest" as const }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("take" as const), n: fc.integer({ min: 1, max: 80 }) }) }
)

/** The slots of the ring that are not queued events (they must all be empty). */
const staleSlots = (q: EventQueue): number => {
  const { slots: ring, head, count } = (q as unknown as { ring: { slots: Array<unknown>; head: number; count: number } }).ring
  let stale = 0
  for (let i = 0; i < ring.length; i++) {
    const offset = (i - head + ring.length) & (ring.length - 1)
    if (offset >= count && ring[i] !== undefined) stale++
  }
  return stale
}

describe("EventQueue", () => {
  it("behaves as a FIFO list whose dropOldest removes the first ordinary event, and holds no taken event", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
        const q = new EventQueue(1000)
        const model: Array<LogEvent.LogEvent> = []
        let n = 0
        for (const s of steps) {
          switch (s._tag) {
            case "event":
            case "end":
            case "flush": {
              const e = s._tag === "event"
                ? LogEvent.make({ timestamp: n, level: "Info", logger: "q", message: `e${n}` })
                : s._tag === "end"
                ? LogEvent.correlationEnd(`r${n}`, n)
                : LogEvent.flushMarker(() => {}, n)
              n++
              q.push(e)
              model.push(e)
              break
            }
            case "dropOldest": {
              const i = model.findIndex((e) => e.control === undefined)
              assert.strictEqual(q.dropOldest(), i >= 0)
              if (i >= 0) model.splice(i, 1)
              break
            }
            case "take": {
              const taken = q.take(s.n)
              const expected = model.splice(0, s.n)
              assert.strictEqual(taken.length, expected.length)
              for (let i = 0; i < taken.length; i++) assert.strictEqual(taken[i], expected[i])
              break
            }
          }
          assert.strictEqual(q.size, model.length)
          assert.strictEqual(q.ordinary, model.filter((e) => e.control === undefined).length)
          assert.strictEqual(q.flushes, model.filter((e) => e.control?._tag === "Flush").length)
          assert.strictEqual(staleSlots(q), 0)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("grows past its first ring while wrapped around, keeping the order", () => {
    const q = new EventQueue(100_000)
    const make = (i: number) => LogEvent.make({ timestamp: i, level: "Info", logger: "q", message: String(i) })
    let next = 0
    let expected = 0
    // wrap the head around the first ring, then grow it several times
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 700; i++) q.push(make(next++))
      for (const e of q.take(500)) assert.strictEqual(e.message, String(expected++))
    }
    for (let i = 0; i < 5000; i++) q.push(make(next++))
    for (const e of q.take(100_000)) assert.strictEqual(e.message, String(expected++))
    assert.strictEqual(expected, next)
    assert.strictEqual(q.size, 0)
    assert.strictEqual(staleSlots(q), 0)
  })
})
