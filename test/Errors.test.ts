import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect } from "effect"
import * as Fapilog from "../src/Fapilog.ts"
import * as Logger from "../src/Logger.ts"
import * as Sink from "../src/Sink.ts"

const logged = (body: (log: Logger.NamedLogger) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const memory = Sink.memory()
    yield* Effect.gen(function*() {
      const log = yield* Logger.named("payments")
      yield* body(log)
    }).pipe(Effect.provide(Fapilog.layer({ sinks: [memory], level: "Trace" })))
    const lines = yield* memory.lines
    return lines.map((l) => JSON.parse(l) as Record<string, any>)
  })

describe("errors as the second argument", () => {
  it.effect("an Error is logged structured under err, with its cause chain", () =>
    Effect.gen(function*() {
      const root = new TypeError("socket closed")
      const err = new Error("card declined", { cause: root })
      const [line] = yield* logged((log) => log.error("payment failed", err))
      assert.strictEqual(line!.msg, "payment failed")
      assert.strictEqual(line!.level, "ERROR")
      assert.strictEqual(line!.err.name, "Error")
      assert.strictEqual(line!.err.message, "card declined")
      assert.include(line!.err.stack, "Errors.test.ts")
      assert.strictEqual(line!.err.cause.name, "TypeError")
      assert.strictEqual(line!.err.cause.message, "socket closed")
      assert.isString(line!.err.cause.stack)
    }))

  it.effect("every level method and log(level, …) accept an Error", () =>
    Effect.gen(function*() {
      const err = new RangeError("out of range")
      const lines = yield* logged((log) =>
        Effect.gen(function*() {
          yield* log.trace("t", err)
          yield* log.debug("d", err)
          yield* log.info("i", err)
          yield* log.warn("w", err)
          yield* log.fatal("f", err)
          yield* log.log("Error", "e", err)
          yield* log.with({ order_id: 7 }).warn("bound", err)
        })
      )
      assert.deepStrictEqual(lines.map((l) => [l.msg, l.err.name, l.err.message]), [
        ["t", "RangeError", "out of range"],
        ["d", "RangeError", "out of range"],
        ["i", "RangeError", "out of range"],
        ["w", "RangeError", "out of range"],
        ["f", "RangeError", "out of range"],
        ["e", "RangeError", "out of range"],
        ["bound", "RangeError", "out of range"]
      ])
      assert.strictEqual(lines[6]!.order_id, 7)
    }))

  it.effect("a Cause is logged structured: a failure, a defect, several failures", () =>
    Effect.gen(function*() {
      const lines = yield* logged((log) =>
        Effect.gen(function*() {
          yield* log.error("failed", Cause.fail(new Error("timeout")))
          yield* log.fatal("died", Cause.die(new TypeError("undefined is not a function")))
          yield* log.error("both", Cause.combine(Cause.fail(new Error("a")), Cause.fail("b")))
          yield* log.error("empty", Cause.empty)
        })
      )
      assert.deepStrictEqual(lines.map((l) => [l.msg, l.err?.name, l.err?.message]), [
        ["failed", "Error", "timeout"],
        ["died", "TypeError", "undefined is not a function"],
        ["both", "AggregateError", "2 errors: a; b"],
        ["empty", undefined, undefined]
      ])
      assert.include(lines[0]!.err.stack, "Error: timeout")
      assert.deepStrictEqual(lines[2]!.err.errors.map((e: any) => e.message), ["a", "b"])
    }))

  it.effect("the cause of a failed effect, as caught with tapCause", () =>
    Effect.gen(function*() {
      const lines = yield* logged((log) =>
        Effect.fail(new Error("db down")).pipe(
          Effect.tapCause((cause) => log.error("query failed", cause)),
          Effect.ignore
        )
      )
      assert.strictEqual(lines[0]!.err.message, "db down")
    }))

  it.effect("plain fields (records and thunks) are unchanged", () =>
    Effect.gen(function*() {
      const lines = yield* logged((log) =>
        Effect.gen(function*() {
          yield* log.info("record", { amount: 10 })
          yield* log.info("thunk", () => ({ lazy: true }))
          yield* log.info("error in fields", { err: new Error("inside"), id: 1 })
        })
      )
      assert.strictEqual(lines[0]!.amount, 10)
      assert.strictEqual(lines[1]!.lazy, true)
      assert.strictEqual(lines[2]!.err.message, "inside")
      assert.strictEqual(lines[2]!.id, 1)
    }))

  it.effect("an error's secrets are redacted like any field", () =>
    Effect.gen(function*() {
      const err = Object.assign(new Error("auth failed"), { password: "hunter2" })
      const [line] = yield* logged((log) => log.error("login", err))
      assert.strictEqual(line!.err.message, "auth failed")
      assert.notInclude(JSON.stringify(line), "hunter2")
    }))
})
