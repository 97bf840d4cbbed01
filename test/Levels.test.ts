import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Metric } from "effect"
import * as Fapilog from "../src/Fapilog.ts"
import * as Logger from "../src/Logger.ts"
import * as Sink from "../src/Sink.ts"
import type * as Config from "../src/Config.ts"

const withLayer = <A, E>(
  memory: Sink.MemorySink,
  body: Effect.Effect<A, E, Logger.Loggers>,
  options: Config.Options = {}
) => body.pipe(Effect.provide(Fapilog.layer({ sinks: [memory], ...options })))

/** `logger: message` of every line written, in order, the level-change lines left out. */
const lines = (memory: Sink.MemorySink) =>
  memory.eventsUnsafe().filter((e) => e.logger !== "effect-fapilog").map((e) => `${e.logger}: ${e.message}`)

const flushAll = Effect.gen(function*() {
  for (const worker of (yield* Logger.Loggers).workers()) yield* worker.flush
})

describe("Logger.setLevel", () => {
  it.live("a facade, its with child, a dotted descendant, a reuse: false facade and Effect.log follow at once", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.scoped(Effect.gen(function*() {
        const payments = yield* Logger.named("payments")
        const child = payments.with({ order: 1 })
        const stripe = yield* Logger.named("payments.stripe")
        const fresh = yield* Logger.named("payments", { reuse: false })
        let seen = 0
        // logs through all five, then returns what reached the sink (sorted: the loggers are
        // separate workers, their relative order is the engine's business)
        const all = Effect.gen(function*() {
          yield* payments.debug("facade")
          yield* child.debug("child")
          yield* stripe.debug("descendant")
          yield* fresh.debug("fresh")
          yield* Effect.logDebug("plain")
          yield* flushAll
          yield* fresh.flush
          const now = lines(memory)
          const added = now.slice(seen).sort()
          seen = now.length
          return added
        })
        assert.deepStrictEqual(yield* all, []) // everything at Info
        yield* Logger.setLevel("payments", "Debug")
        assert.deepStrictEqual(yield* all, [
          "payments.stripe: descendant",
          "payments: child",
          "payments: facade",
          "payments: fresh"
        ])
        yield* Logger.setLevel("root", "Debug")
        assert.deepStrictEqual(yield* all, [
          "payments.stripe: descendant",
          "payments: child",
          "payments: facade",
          "payments: fresh",
          "root: plain"
        ])
        yield* Logger.setLevel("root", "Info")
        yield* Logger.setLevel("payments", "Warn")
        assert.deepStrictEqual(yield* all, [])
        assert.isFalse(child.isEnabled("Info"))
        assert.isTrue(child.isEnabled("Warn"))
      }))
    )
  })

  it.live("a program already running picks up the change: a fiber logging in a loop", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const log = yield* Logger.named("worker.loop")
        let written = 0
        let i = 0
        const loop = yield* Effect.forkChild(Effect.forever(Effect.gen(function*() {
          i++
          if (log.isEnabled("Debug")) written++
          yield* log.debug("tick", { i })
          yield* Effect.yieldNow
        })))
        for (let k = 0; k < 20; k++) yield* Effect.yieldNow
        assert.strictEqual(written, 0)
        yield* Logger.setLevel("worker", "Debug")
        const seenAt = i
        for (let k = 0; k < 20; k++) yield* Effect.yieldNow
        yield* Fiber.interrupt(loop)
        assert.isAbove(written, 0)
        assert.isAtMost(i - written, seenAt) // every tick after the change was enabled
      })
    ))

  it.effect("Effect.logDebug appears after setLevel(root, Debug), not before; Trace stays out", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          yield* Effect.logDebug("before")
          yield* Logger.setLevel("root", "Debug")
          yield* Effect.logDebug("after")
          yield* Effect.logTrace("trace")
          yield* Logger.resetLevel("root")
          yield* Effect.logDebug("reset")
          yield* Effect.logInfo("info")
        })
      )
      assert.deepStrictEqual(lines(memory), ["root: after", "root: info"])
    })
  })

  it.effect("resetLevel falls back to the nearest ancestor with a level, then to the root", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const leaf = yield* Logger.named("a.b.c")
        yield* Logger.setLevel("a", "Error")
        yield* Logger.setLevel("a.b", "Debug")
        yield* Logger.setLevel("a.b.c", "Trace")
        assert.isTrue(leaf.isEnabled("Trace"))
        yield* Logger.resetLevel("a.b.c")
        assert.isFalse(leaf.isEnabled("Trace"))
        assert.isTrue(leaf.isEnabled("Debug"))
        yield* Logger.resetLevel("a.b")
        assert.isFalse(leaf.isEnabled("Warn"))
        assert.isTrue(leaf.isEnabled("Error"))
        yield* Logger.resetLevel("a")
        assert.isTrue(leaf.isEnabled("Info"))
        assert.isFalse(leaf.isEnabled("Debug"))
        assert.deepStrictEqual(yield* Logger.levels, { root: "Info" })
      })
    ))

  it.effect("a sibling with a shared prefix is not a descendant", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const sibling = yield* Logger.named("paymentsx")
        const child = yield* Logger.named("payments.x")
        yield* Logger.setLevel("payments", "Debug")
        assert.isFalse(sibling.isEnabled("Debug"))
        assert.isTrue(child.isEnabled("Debug"))
      })
    ))

  it.effect("a change is written once as an Info line of effect-fapilog and shows in health", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          yield* Logger.setLevel("payments", "Debug")
          yield* Logger.setLevel("payments", "Debug") // unchanged: no second line
          const health = yield* Logger.health
          assert.deepStrictEqual(health.levels, { payments: "Debug" })
          assert.strictEqual((yield* Metric.value(Logger.levelGauge("payments"))).value, 2) // Debug
          yield* Logger.resetLevel("payments")
          assert.deepStrictEqual((yield* Logger.health).levels, {})
          yield* Logger.resetLevel("payments") // nothing to reset: no line
        }),
        { level: "Warn" } // written whatever the root's level
      )
      const changes = memory.eventsUnsafe().filter((e) => e.logger === "effect-fapilog")
      assert.deepStrictEqual(changes.map((e) => [e.level, e.message]), [
        ["Info", `level of logger "payments" set to Debug`],
        ["Info", `level of logger "payments" reset: it follows Warn from its ancestors`]
      ])
      assert.deepStrictEqual(changes[0]!.fields, { logger_name: "payments", level: "Debug", previous_level: null })
    })
  })

  it.effect("a bad name is a defect, not a silent no-op", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        for (const name of ["", ".a", "a.", "a..b"]) {
          const exit = yield* Effect.exit(Logger.setLevel(name, "Debug"))
          assert.isTrue(Exit.hasDies(exit), name)
        }
        assert.deepStrictEqual(yield* Logger.levels, { root: "Info" })
      })
    ))

  it.effect("levels in any case at run time: setLevel and named() options; an unknown one is a defect", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        yield* Logger.setLevel("jobs", "debug" as "Debug")
        assert.deepStrictEqual(yield* Logger.levels, { root: "Info", jobs: "Debug" })
        const cron = yield* Logger.named("cron", { level: "WARN" as "Warn" })
        assert.isFalse(cron.isEnabled("Info"))
        assert.isTrue(cron.isEnabled("Warn"))
        assert.isTrue(Exit.hasDies(yield* Effect.exit(Logger.setLevel("jobs", "verbose" as "Debug"))))
        assert.isTrue(Exit.hasDies(yield* Effect.exit(Logger.named("x", { level: "loud" as "Debug" }))))
        assert.deepStrictEqual(yield* Logger.levels, { root: "Info", jobs: "Debug", cron: "Warn" })
        assert.notInclude(yield* Logger.cachedNames, "x")
      })
    ))

  it.live("concurrent setLevel from many fibers while logging: no lost lines at the enabled level, a consistent table", () => {
    const memory = Sink.memory()
    const writers = 20
    const perWriter = 200
    return Effect.gen(function*() {
      const table = yield* withLayer(
        memory,
        Effect.gen(function*() {
          const log = yield* Logger.named("busy.worker")
          const togglers = Effect.forEach(
            Array.from({ length: 50 }, (_, i) => i),
            (i) =>
              Effect.gen(function*() {
                for (let k = 0; k < 40; k++) {
                  yield* Logger.setLevel(i % 2 === 0 ? "busy" : "busy.worker", k % 2 === 0 ? "Debug" : "Warn")
                  yield* Effect.yieldNow
                }
              }),
            { concurrency: "unbounded", discard: true }
          )
          const loggers = Effect.forEach(
            Array.from({ length: writers }, (_, w) => w),
            (w) =>
              Effect.gen(function*() {
                for (let k = 0; k < perWriter; k++) {
                  yield* log.error("enabled at every level set here", { w, k })
                  yield* Effect.yieldNow
                }
              }),
            { concurrency: "unbounded", discard: true }
          )
          yield* Effect.all([togglers, loggers], { concurrency: 2, discard: true })
          yield* Logger.setLevel("busy.worker", "Debug")
          assert.isTrue(log.isEnabled("Debug"))
          yield* log.flush
          return yield* Logger.levels
        }),
        { queue: { capacity: 100_000, policy: "block" } }
      )
      assert.deepStrictEqual(Object.keys(table).sort(), ["busy", "busy.worker", "root"])
      assert.strictEqual(table["busy.worker"], "Debug")
      const errors = memory.eventsUnsafe().filter((e) => e.logger === "busy.worker")
      assert.strictEqual(errors.length, writers * perWriter)
    })
  })
})

describe("Fapilog.layer({ loggers })", () => {
  it.effect("levels declared up front apply to the name and its descendants, in any case", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          const pool = yield* Logger.named("db.pool")
          const replica = yield* Logger.named("db.pool.replica")
          const payments = yield* Logger.named("payments")
          yield* pool.info("pool info")
          yield* replica.info("replica info")
          yield* replica.warn("replica warn")
          yield* payments.debug("payments debug")
          assert.deepStrictEqual(yield* Logger.levels, { root: "Info", "db.pool": "Warn", payments: "Debug" })
          yield* flushAll
        }),
        { loggers: { "db.pool": { level: "Warn" }, payments: { level: "debug" as "Debug" } } }
      )
      assert.deepStrictEqual(lines(memory), ["db.pool.replica: replica warn", "payments: payments debug"])
    })
  })

  it.effect("options declared up front are the name's options: fields are bound, a different named() warns once", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          const log = yield* Logger.named("audit", { level: "Debug" })
          yield* log.info("checked")
          yield* Logger.named("audit", { level: "Trace" })
          yield* log.flush
        }),
        { loggers: { audit: { level: "Warn", fields: { component: "audit" } } } }
      )
      const events = memory.eventsUnsafe()
      assert.deepStrictEqual(events.map((e) => e.message), [`options for logger "audit" were ignored: it is already configured`])
      assert.deepStrictEqual(events[0]!.fields, { component: "audit", _logger_options_ignored: true })
    })
  })

  it.effect("bad names and levels fail the layer with InvalidOptions naming them", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Config.Options["loggers"], string]> = [
        [{ "": { level: "Debug" } }, "loggers"],
        [{ ".payments": { level: "Debug" } }, "loggers"],
        [{ "payments.": { level: "Debug" } }, "loggers"],
        [{ "db..pool": { level: "Debug" } }, "loggers"],
        [{ payments: { level: "Verbose" as "Debug" } }, `loggers["payments"].level`]
      ]
      for (const [loggers, option] of cases) {
        const exit = yield* Effect.exit(withLayer(Sink.memory(), Effect.void, { loggers }))
        assert.isTrue(Exit.isFailure(exit), option)
        const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
        assert.strictEqual((error as { _tag?: string } | undefined)?._tag, "InvalidOptions", option)
        assert.strictEqual((error as { option?: string }).option, option)
      }
    }))
})
