import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import * as LogEvent from "../src/LogEvent.ts"
import { TestClock } from "effect/testing"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Fapilog from "../src/Fapilog.ts"
import * as Logger from "../src/Logger.ts"
import * as Sink from "../src/Sink.ts"

const withLayer = <A, E>(
  memory: Sink.MemorySink,
  body: Effect.Effect<A, E, Logger.Loggers>,
  options: Parameters<typeof Fapilog.layer>[0] = {}
) => body.pipe(Effect.provide(Fapilog.layer({ sinks: [memory], ...options })))

describe("Logger.named", () => {
  it.effect("returns the same facade for the same name, also for the root", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const a = yield* Logger.named("svc")
        const b = yield* Logger.named("svc")
        const c = yield* Logger.named("other")
        assert.strictEqual(a, b)
        assert.notStrictEqual(a, c)
        const root1 = yield* Logger.root
        const root2 = yield* Logger.named("root")
        assert.strictEqual(root1, root2)
      })
    ))

  it.effect("1,000 concurrent fibers get one instance and exactly one worker is started", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const loggers = yield* Logger.Loggers
        const before = loggers.workers().length
        const own = Sink.memory()
        const facades = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          () => Logger.named("own", { sinks: [own] }),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(new Set(facades).size, 1)
        assert.strictEqual(loggers.workers().length, before + 1)
        // a facade over the layer's sinks and pipeline is a view over the root's engine: no worker
        const views = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          () => Logger.named("shared"),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(new Set(views).size, 1)
        assert.strictEqual(loggers.workers().length, before + 1)
        assert.strictEqual((yield* views[0]!.metrics).logger, (yield* Logger.root).name)
      })
    ))

  it.live("one fiber logging through the root and two named loggers to one file keeps its order", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "fapilog-order-"))
      const file = path.join(dir, "app.jsonl")
      yield* Effect.gen(function*() {
        const a = yield* Logger.named("a")
        const b = yield* Logger.named("b.child")
        const fresh = yield* Logger.named("c", { reuse: false })
        for (let i = 0; i < 50; i++) {
          yield* Effect.logInfo(`root ${i}`)
          yield* a.info(`a ${i}`)
          yield* b.with({ k: i }).warn(`b ${i}`)
          yield* fresh.info(`c ${i}`)
        }
      }).pipe(Effect.scoped, Effect.provide(Fapilog.layer({ sinks: [Sink.file(file)] })))
      const messages = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).msg)
      const expected = Array.from({ length: 50 }, (_, i) => [`root ${i}`, `a ${i}`, `b ${i}`, `c ${i}`]).flat()
      assert.deepStrictEqual(messages, expected)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("plain Effect.log and facades flow through the same pipeline and sinks", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          yield* Effect.logInfo("plain", { a: 1 })
          yield* Effect.logDebug("filtered out at Info")
          const log = yield* Logger.named("payments")
          yield* log.info("charge created", { amount: 10 })
          yield* log.debug("not enabled", () => {
            throw new Error("a lazy field must not be evaluated when the level is off")
          })
        })
      )
      const events = memory.eventsUnsafe()
      // two facades, two workers: order across them is not defined
      assert.deepStrictEqual(events.map((e) => `${e.logger}:${e.message}`).sort(), ["payments:charge created", "root:plain"])
      assert.deepStrictEqual(events.find((e) => e.logger === "root")!.fields, { a: 1 })
    })
  })

  it.effect("Effect.log message parts: one record is the event's fields as is; several are merged, the rest kept as args", () => {
    const memory = Sink.memory()
    const record = { a: 1, b: "two" }
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          yield* Effect.logInfo("one record", record)
          yield* Effect.logInfo("two records", { a: 1 }, { b: 2 })
          yield* Effect.logInfo("record and value", { a: 1 }, 42)
          yield* Effect.logInfo({ c: 3 })
        })
      )
      const byMessage = new Map(memory.eventsUnsafe().map((e) => [e.message, e]))
      // like a facade call: the caller's record, not a copy made per event
      assert.strictEqual(byMessage.get("one record")!.fields, record)
      assert.deepStrictEqual(byMessage.get("two records")!.fields, { a: 1, b: 2 })
      assert.deepStrictEqual(byMessage.get("record and value")!.fields, { a: 1, args: [42] })
      assert.deepStrictEqual(byMessage.get("")!.fields, { c: 3 })
    })
  })

  it.effect("Effect.log with a record whose getter throws: that key is marked, its neighbours and the line are kept", () => {
    const memory = Sink.memory()
    const hostile = {
      ok: 1,
      get bad(): number {
        throw new Error("boom")
      }
    }
    return Effect.gen(function*() {
      // alone, and merged with another part (both used to fail the calling fiber)
      yield* withLayer(memory, Effect.andThen(Effect.logInfo("hostile", hostile), Effect.logInfo("merged", hostile, { more: true })))
      const lines = memory.linesUnsafe().map((l) => JSON.parse(l))
      assert.deepStrictEqual(lines.map((l) => l.msg), ["hostile", "merged"])
      for (const parsed of lines) {
        assert.strictEqual(parsed.ok, 1)
        assert.strictEqual(parsed.bad, "[Throws: boom]")
      }
      assert.strictEqual(lines[1].more, true)
    })
  })

  it.effect("the level option also sets Effect's minimum level inside the layer", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(memory, Effect.logDebug("debug flows"), { level: "Debug" })
      assert.deepStrictEqual(memory.eventsUnsafe().map((e) => e.message), ["debug flows"])
    })
  })

  it.effect("reuse: false gives a fresh facade owned by the caller's scope, leaving the cache intact", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const cached = yield* Logger.named("job")
        const scope = yield* Scope.make()
        const fresh = yield* Scope.provide(Logger.named("job", { reuse: false }), scope)
        assert.notStrictEqual(fresh, cached)
        yield* fresh.info("from the fresh one")
        yield* Scope.close(scope, Exit.void)
        // closing drained it
        assert.isTrue(memory.eventsUnsafe().some((e) => e.message === "from the fresh one"))
        // the cached facade of the same name still writes
        const again = yield* Logger.named("job")
        assert.strictEqual(again, cached)
        yield* again.info("cached still works")
        yield* again.flush
        assert.isTrue(memory.eventsUnsafe().some((e) => e.message === "cached still works"))
        assert.deepStrictEqual(yield* Logger.cachedNames, ["root", "job"])
      })
    )
  })

  it.effect("clearCache drains every cached facade; later calls build fresh ones", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const a = yield* Logger.named("a")
        const b = yield* Logger.named("b")
        for (let i = 0; i < 100; i++) {
          yield* a.info(`a${i}`)
          yield* b.info(`b${i}`)
        }
        assert.deepStrictEqual(yield* Logger.cachedNames, ["root", "a", "b"])
        yield* Logger.clearCache
        assert.strictEqual(memory.eventsUnsafe().length, 200)
        assert.deepStrictEqual(yield* Logger.cachedNames, ["root"])
        const a2 = yield* Logger.named("a")
        assert.notStrictEqual(a2, a)
        yield* Logger.invalidate("a")
        assert.deepStrictEqual(yield* Logger.cachedNames, ["root"])
      })
    )
  })

  it.effect("with(fields) binds fields and starts no fiber", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const loggers = yield* Logger.Loggers
        const log = yield* Logger.named("svc")
        const workers = loggers.workers().length
        const child = log.with({ request: "r1" }).with({ user: "u1" })
        yield* child.info("hello", { extra: true })
        yield* log.flush
        assert.strictEqual(loggers.workers().length, workers)
        assert.deepStrictEqual(memory.eventsUnsafe()[0]!.fields, { request: "r1", user: "u1", extra: true })
      })
    )
  })

  it.effect("templates are rendered from fields and kept on the event", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const log = yield* Logger.named("pool")
        yield* log.info("Connection pool size: {size}", { size: 12 })
        yield* log.flush
        const e = memory.eventsUnsafe()[0]!
        assert.strictEqual(e.message, "Connection pool size: 12")
        assert.strictEqual(e.template, "Connection pool size: {size}")
      })
    )
  })

  it.effect("batch offers several events in order", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const log = yield* Logger.named("b", { level: "Info" })
        yield* log.batch([
          { level: "Info", message: "one" },
          { level: "Debug", message: "filtered" },
          { level: "Error", message: "two", fields: { code: 1 } }
        ])
        yield* log.flush
        assert.deepStrictEqual(memory.eventsUnsafe().map((e) => e.message), ["one", "two"])
      })
    )
  })

  it.effect("different options on a cached name: the first wins, plus one WARN", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const first = yield* Logger.named("cfg", { level: "Warn" })
        const second = yield* Logger.named("cfg", { level: "Debug" })
        yield* Logger.named("cfg", { level: "Trace" })
        assert.strictEqual(first, second)
        assert.isFalse(second.isEnabled("Info"))
        yield* first.flush
        const warns = memory.eventsUnsafe().filter((e) => e.level === "Warn")
        assert.strictEqual(warns.length, 1)
        assert.include(warns[0]!.message, "were ignored")
      })
    )
  })

  it.effect("withCorrelationId tags every event inside, facades and Effect.log alike", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const log = yield* Logger.named("svc")
        yield* Logger.withCorrelationId("req-1")(Effect.gen(function*() {
          yield* log.info("inside")
          yield* Effect.logInfo("inside too")
        }))
        // data-first and pipeable forms (dual)
        yield* Logger.withCorrelationId(log.info("data-first"), "req-2")
        yield* log.info("piped").pipe(Logger.withCorrelationId("req-3"))
        yield* log.info("outside")
        yield* log.flush
        yield* (yield* Logger.root).flush
        const byMessage = Object.fromEntries(memory.eventsUnsafe().map((e) => [e.message, e.correlationId]))
        assert.deepStrictEqual(byMessage, {
          inside: "req-1",
          "inside too": "req-1",
          "data-first": "req-2",
          piped: "req-3",
          outside: undefined
        })
      })
    )
  })

  it.effect("a correlation region's end reaches only the workers that received its events", () => {
    const seen: Record<string, Array<string>> = { a: [], b: [] }
    const spy = (name: string) => <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>) =>
      Stream.map(events, (e) => {
        if (e.control?._tag === "CorrelationEnd") seen[name]!.push(e.control.correlationId)
        return e
      })
    return withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const a = yield* Logger.named("a", { pipeline: spy("a") })
        const b = yield* Logger.named("b", { pipeline: spy("b") })
        yield* Logger.withCorrelationId("req-7")(a.info("only a logs here"))
        yield* b.info("outside the region")
        yield* a.flush
        yield* b.flush
        assert.deepStrictEqual(seen, { a: ["req-7"], b: [] })
      })
    )
  })

  it.effect("regions sharing a correlation id end once, when the last of them ends", () => {
    const ends: Array<string> = []
    const spy = <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>) =>
      Stream.map(events, (e) => {
        if (e.control?._tag === "CorrelationEnd") ends.push(e.control.correlationId)
        return e
      })
    return withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const log = yield* Logger.named("same-id", { pipeline: spy })
        const release = yield* Deferred.make<void>()
        const started = yield* Deferred.make<void>()
        const outer = yield* Effect.forkChild(
          Logger.withCorrelationId("dup")(
            log.info("first").pipe(Effect.andThen(Deferred.succeed(started, undefined)), Effect.andThen(Deferred.await(release)))
          )
        )
        yield* Deferred.await(started)
        yield* Logger.withCorrelationId("dup")(log.info("second, ends early"))
        yield* log.flush
        assert.deepStrictEqual(ends, [])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(outer)
        yield* log.flush
        assert.deepStrictEqual(ends, ["dup"])
      })
    )
  })

  it.effect("closing the layer drains every cached facade", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          for (let n = 0; n < 5; n++) {
            const log = yield* Logger.named(`svc-${n}`)
            for (let i = 0; i < 20; i++) yield* log.info(`m${i}`)
          }
        }),
        { batch: { maxWait: "1 hour" } }
      )
      assert.strictEqual(memory.eventsUnsafe().length, 100)
    })
  })

  it.effect("an idle time-to-live releases (and drains) unused facades, under TestClock", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const log = yield* Logger.named("idle")
        yield* log.info("before idling")
        assert.include(yield* Logger.cachedNames, "idle")
        yield* TestClock.adjust("30 seconds")
        assert.include(yield* Logger.cachedNames, "idle")
        yield* TestClock.adjust("31 seconds")
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow
        assert.notInclude(yield* Logger.cachedNames, "idle")
        assert.isTrue(memory.eventsUnsafe().some((e) => e.message === "before idling"))
      }),
      { idleTimeToLive: "1 minute" }
    )
  })

  it.effect("the root logger is exempt from the idle TTL: Effect.log keeps writing", () => {
    const memory = Sink.memory()
    return Effect.gen(function*() {
      yield* withLayer(
        memory,
        Effect.gen(function*() {
          yield* Effect.logInfo("before")
          yield* TestClock.adjust("2 minutes")
          for (let i = 0; i < 20; i++) yield* Effect.yieldNow
          assert.include(yield* Logger.cachedNames, "root")
          yield* Effect.logInfo("after")
        }),
        { idleTimeToLive: "1 minute" }
      )
      assert.deepStrictEqual(memory.eventsUnsafe().map((e) => e.message), ["before", "after"])
    })
  })

  it.effect("with an idle TTL, different options still get one WARN", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const first = yield* Logger.named("ttl-cfg", { level: "Warn" })
        const second = yield* Logger.named("ttl-cfg", { level: "Debug" })
        assert.strictEqual(first, second)
        yield* first.flush
        assert.strictEqual(memory.eventsUnsafe().filter((e) => e.message.includes("were ignored")).length, 1)
      }),
      { idleTimeToLive: "1 minute" }
    )
  })

  it.effect("a facade with an engine of its own used after it was released drops and counts its events", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const stale = yield* Logger.named("stale", { sinks: [Sink.memory()] })
        yield* Logger.invalidate("stale")
        yield* stale.info("into the void")
        const m = yield* stale.metrics
        assert.strictEqual(m.dropped["logger released"], 1)
        assert.strictEqual(m.workerFibers, 0)
      })
    ))

  it.effect("per-name sinks are opened for that name only", () => {
    const shared = Sink.memory()
    const own = Sink.memory()
    return withLayer(
      shared,
      Effect.gen(function*() {
        const audit = yield* Logger.named("audit", { sinks: [own] })
        yield* audit.info("audited")
        yield* audit.flush
        assert.deepStrictEqual(own.eventsUnsafe().map((e) => e.message), ["audited"])
        assert.strictEqual(shared.eventsUnsafe().length, 0)
      })
    )
  })
})

describe("Logger cache: the LayerMap", () => {
  it.effect("a failed build is not cached: its options are forgotten and the next call builds again", () => {
    const memory = Sink.memory()
    let opens = 0
    const broken = Sink.make("broken", Effect.suspend(() => {
      opens++
      return Effect.fail(new Sink.SinkError({ sink: "broken", message: "cannot open" }))
    }))
    return withLayer(
      memory,
      Effect.gen(function*() {
        const failed = yield* Effect.exit(Logger.named("fragile", { sinks: [broken] }))
        assert.isTrue(Exit.isFailure(failed))
        assert.notInclude(yield* Logger.cachedNames, "fragile")
        const again = yield* Effect.exit(Logger.named("fragile", { sinks: [broken] }))
        assert.isTrue(Exit.isFailure(again))
        assert.strictEqual(opens, 2)
        const log = yield* Logger.named("fragile") // no options: the shared sinks
        yield* log.info("works")
        yield* log.flush
        assert.deepStrictEqual(memory.eventsUnsafe().map((e) => e.message), ["works"])
      })
    )
  })

  it.effect("invalidate forgets options declared by named(), not the ones declared in the layer", () => {
    const memory = Sink.memory()
    return withLayer(
      memory,
      Effect.gen(function*() {
        const a = yield* Logger.named("runtime", { fields: { v: 1 } })
        yield* Logger.invalidate("runtime")
        const b = yield* Logger.named("runtime", { fields: { v: 2 } }) // declared anew: no warning
        assert.notStrictEqual(a, b)
        yield* b.info("b")
        const c = yield* Logger.named("declared")
        yield* Logger.invalidate("declared")
        const d = yield* Logger.named("declared")
        assert.notStrictEqual(c, d)
        yield* d.info("d")
        yield* b.flush
        yield* d.flush
        assert.deepStrictEqual(
          memory.eventsUnsafe().map((e) => [e.message, e.fields]),
          [["b", { v: 2 }], ["d", { up: "front" }]]
        )
      }),
      { loggers: { declared: { fields: { up: "front" } } } }
    )
  })

  it.effect("two layers keep their own correlation regions and caches", () => {
    const m1 = Sink.memory()
    const m2 = Sink.memory()
    return Effect.gen(function*() {
      const l1 = yield* Layer.build(Fapilog.layer({ sinks: [m1] }))
      const l2 = yield* Layer.build(Fapilog.layer({ sinks: [m2] }))
      const a = yield* Logger.named("svc").pipe(Effect.provideContext(l1))
      const b = yield* Logger.named("svc").pipe(Effect.provideContext(l2))
      assert.notStrictEqual(a, b)
      yield* Logger.setLevel("svc", "Debug").pipe(Effect.provideContext(l1))
      assert.isTrue(a.isEnabled("Debug"))
      assert.isFalse(b.isEnabled("Debug"))
    }).pipe(Effect.scoped)
  })
})

describe("Logger.health", () => {
  it.effect("reports healthy, then failing while a sink fails, then degraded after it recovers, then healthy", () => {
    let broken = false
    const received: Array<string> = []
    const flaky = Sink.make("flaky", Effect.succeed(Sink.writer((batch) => {
      if (broken) throw new Error("disk full")
      for (const e of batch.events) received.push(e.message)
    }, "flaky")))
    return withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const log = yield* Logger.named("h", { sinks: [flaky] })
        yield* log.info("ok")
        yield* log.flush
        let report = yield* Logger.health
        assert.strictEqual(report.status, "healthy")
        broken = true
        yield* log.info("lost")
        yield* log.flush
        report = yield* Logger.health
        const h = report.loggers.find((l) => l.logger === "h")!
        assert.strictEqual(report.status, "failing")
        assert.deepStrictEqual(h.sinks.flaky, { status: "failing", errors: 1, lastError: "disk full" })
        assert.isAbove(h.dropRate, 0)
        broken = false
        yield* log.info("back")
        yield* log.flush
        report = yield* Logger.health
        assert.strictEqual(report.loggers.find((l) => l.logger === "h")!.sinks.flaky!.status, "degraded")
        yield* TestClock.adjust("5 seconds")
        report = yield* Logger.health
        assert.strictEqual(report.loggers.find((l) => l.logger === "h")!.status, "healthy")
        const m = yield* log.metrics
        assert.strictEqual(m.workerFibers, 1)
      }),
      { sinkRetries: 0 }
    ).pipe(Effect.andThen(Effect.sync(() => {
      // the lost event is summarised by a WARN line once the sink works again (at the final drain)
      assert.deepStrictEqual(received, ["ok", "back", "dropped 1 events: sink failure: 1"])
    })))
  })
})

describe("Logger leak warnings", () => {
  const run = (body: string) => {
    // inside the project so that the child resolves "effect" from node_modules
    fs.mkdirSync("test/.tmp", { recursive: true })
    const dir = fs.mkdtempSync(path.join("test/.tmp", "leak-"))
    const script = path.join(dir, "leak.ts")
    const src = path.resolve("src")
    fs.writeFileSync(
      script,
      `import { Effect, Scope } from "effect"
import * as Fapilog from ${JSON.stringify(path.join(src, "Fapilog.ts"))}
import * as Logger from ${JSON.stringify(path.join(src, "Logger.ts"))}
import * as Sink from ${JSON.stringify(path.join(src, "Sink.ts"))}
${body}
`
    )
    const result = runScript(script)
    fs.rmSync(dir, { recursive: true, force: true })
    return result
  }

  it("an unreleased facade holding events produces one FapilogResourceWarning naming it", () => {
    const { stderr, status } = run(`
const scope = Effect.runSync(Scope.make())
Effect.runFork(Effect.gen(function*() {
  const log = yield* Logger.named("leaky", { reuse: false, sinks: [Sink.memory()] })
  for (let i = 0; i < 7; i++) yield* log.info("never written " + i)
  process.exit(0)
}).pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.memory()], batch: { maxWait: "1 hour" } })), Scope.provide(scope)))
`)
    assert.strictEqual(status, 0)
    const warnings = stderr.split("\n").filter((l) => l.includes("FapilogResourceWarning"))
    assert.strictEqual(warnings.length, 1)
    assert.include(warnings[0], `logger "leaky" was never released: 7 events were not written`)
  })

  it("a drained facade and cached facades under a closed layer produce none", () => {
    const { stderr, status } = run(`
await Effect.runPromise(Effect.gen(function*() {
  const log = yield* Logger.named("fine")
  for (let i = 0; i < 7; i++) yield* log.info("written " + i)
  yield* Effect.scoped(Effect.gen(function*() {
    const tmp = yield* Logger.named("tmp", { reuse: false })
    yield* tmp.info("drained on close")
  }))
}).pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.memory()], batch: { maxWait: "1 hour" } }))))
process.exit(0)
`)
    assert.strictEqual(status, 0)
    assert.notInclude(stderr, "FapilogResourceWarning")
  })
})

describe("Logger.isNamedLogger", () => {
  it.effect("is true for every facade the library builds, false for look-alikes", () =>
    withLayer(
      Sink.memory(),
      Effect.gen(function*() {
        const loggers = yield* Logger.Loggers
        const root = yield* Logger.root
        const named = yield* Logger.named("payments")
        const child = named.with({ order_id: "o-1" })
        const fresh = yield* Effect.scoped(Logger.named("jobs", { reuse: false }))
        for (const log of [root, named, child, fresh, loggers.onRootUnsafe("http")]) {
          assert.isTrue(Logger.isNamedLogger(log))
          assert.strictEqual(log[Logger.TypeId], Logger.TypeId)
        }
        // the brand is checked, not the shape
        const lookAlike = { ...named, name: named.name, info: named.info }
        assert.isFalse(Logger.isNamedLogger(lookAlike))
        for (const other of [null, undefined, "payments", { name: "payments" }, Sink.memory()]) {
          assert.isFalse(Logger.isNamedLogger(other))
        }
        assert.strictEqual(Logger.TypeId, "~effect-fapilog/Logger")
      })
    ))
})

function runScript(script: string): { stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 30_000 })
  if (r.status !== 0) console.error(r.stderr)
  return { stderr: r.stderr, status: r.status }
}
