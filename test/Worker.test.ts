import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Metric, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"
import * as WorkerEngine from "../src/internal/engine/worker.ts"
import * as Worker from "../src/Worker.ts"

const event = (message: string, i = 0): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: 0, level: "Info", message, logger: "test", fields: { i } })

/** Lets forked fibers run without moving the clock. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

const start = (
  options: Partial<Worker.Options>,
  sinks: ReadonlyArray<Sink.Sink>
) =>
  Effect.gen(function*() {
    const writers = yield* Effect.forEach(sinks, (s) => Effect.map(s.open, (writer) => ({ name: s.name, writer })))
    return yield* WorkerEngine.make({ ...Worker.defaults, name: "test", ...options }, writers, Sink.makeBatch)
  })

const messages = (memory: Sink.MemorySink) => memory.eventsUnsafe().map((e) => e.message)

describe("Worker", () => {
  it.effect("writes a partial batch only when the batch wait elapses on the Clock", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const scope = yield* Scope.make()
      const worker = yield* Scope.provide(start({ batchSize: 10, batchWait: "50 millis" }, [memory]), scope)
      for (let i = 0; i < 3; i++) worker.offerUnsafe(event(`e${i}`))
      yield* settle
      assert.strictEqual(memory.eventsUnsafe().length, 0)
      yield* TestClock.adjust("49 millis")
      yield* settle
      assert.strictEqual(memory.eventsUnsafe().length, 0)
      yield* TestClock.adjust("1 millis")
      yield* settle
      assert.deepStrictEqual(messages(memory), ["e0", "e1", "e2"])
      yield* Scope.close(scope, Exit.void)
    }))

  it.effect("writes a full batch at once, without waiting", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const worker = yield* start({ batchSize: 4, batchWait: "1 hour" }, [memory])
      for (let i = 0; i < 9; i++) worker.offerUnsafe(event(`e${i}`))
      yield* settle
      // two full batches written (queued together: taken as one, whole batches only); the ninth
      // event waits for its batch to fill or time out
      assert.strictEqual(memory.eventsUnsafe().length, 8)
      const m = yield* worker.metrics
      assert.strictEqual(m.batches, 1)
      assert.strictEqual(m.lastBatchSize, 8)
    }).pipe(Effect.scoped))

  it.effect("a backlog goes out in whole batches, at most four at a time; a partial batch still waits", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const sizes: Array<number> = []
      const worker = yield* start({ batchSize: 4, batchWait: "1 hour" }, [recordingSizes(memory, sizes, Effect.void)])
      for (let i = 0; i < 23; i++) worker.offerUnsafe(event(`e${i}`))
      yield* settle
      // 23 queued: 16 (four whole batches), then 7 left is less than two batches: one batch of 4;
      // the last 3 wait for their batch to fill or time out
      assert.deepStrictEqual(sizes, [16, 4])
      assert.deepStrictEqual(messages(memory), Array.from({ length: 20 }, (_, i) => `e${i}`))
      yield* TestClock.adjust("1 hour")
      yield* settle
      assert.deepStrictEqual(sizes, [16, 4, 3])
    }).pipe(Effect.scoped))

  it.effect("heavy events (a batch whose drive took 20 µs or more per event, by Clock) are not taken as a backlog", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const sizes: Array<number> = []
      // every write takes 10 ms of Clock time: 2.5 ms per event in a batch of 4
      const worker = yield* start({ batchSize: 4, batchWait: "1 hour" }, [recordingSizes(memory, sizes, Effect.sleep("10 millis"))])
      for (let i = 0; i < 8; i++) worker.offerUnsafe(event(`a${i}`))
      yield* settle
      for (let i = 0; i < 8; i++) worker.offerUnsafe(event(`b${i}`))
      for (let step = 0; step < 6; step++) {
        yield* TestClock.adjust("10 millis")
        yield* settle
      }
      // the first backlog (8 queued, nothing measured yet) goes out at once; its drive took
      // 10 ms for 8 events, so the next backlog of 8 goes out one batch at a time
      assert.deepStrictEqual(sizes, [8, 4, 4])
      assert.strictEqual(memory.eventsUnsafe().length, 16)
    }).pipe(Effect.scoped))

  it.effect("flush returns once everything offered before it is written, without moving the clock", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const worker = yield* start({ batchSize: 1000, batchWait: "1 hour" }, [memory])
      for (let i = 0; i < 5; i++) yield* worker.offer(event(`e${i}`))
      yield* worker.flush
      assert.deepStrictEqual(messages(memory), ["e0", "e1", "e2", "e3", "e4"])
      const m = yield* worker.metrics
      assert.strictEqual(m.flushes, 1)
      assert.strictEqual(m.written, 5)
    }).pipe(Effect.scoped))

  it.effect("closing the scope drains what is queued", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const scope = yield* Scope.make()
      const worker = yield* Scope.provide(start({ batchSize: 7, batchWait: "1 hour" }, [memory]), scope)
      for (let i = 0; i < 100; i++) worker.offerUnsafe(event(`e${i}`, i))
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(memory.eventsUnsafe().length, 100)
      assert.deepStrictEqual(memory.eventsUnsafe().map((e) => e.fields!.i), Array.from({ length: 100 }, (_, i) => i))
    }))

  it.live("shutdown with 1,000,000 queued events loses none (file line count)", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-worker-"))
      const file = path.join(dir, "out.jsonl")
      const scope = yield* Scope.make()
      const worker = yield* Scope.provide(
        start({ capacity: 1_000_000, batchSize: 4096 }, [Sink.file(file)]),
        scope
      )
      for (let i = 0; i < 1_000_000; i++) {
        worker.offerUnsafe(LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "t", fields: { i } }))
      }
      assert.strictEqual((yield* worker.metrics).queueDepth, 1_000_000)
      yield* Scope.close(scope, Exit.void)
      const text = fs.readFileSync(file, "utf8")
      const lines = text.split("\n")
      assert.strictEqual(lines.pop(), "")
      assert.strictEqual(lines.length, 1_000_000)
      assert.strictEqual(JSON.parse(lines[999_999]!).i, 999_999)
      fs.rmSync(dir, { recursive: true, force: true })
    }), 120_000)

  describe("queue policies", () => {
    it.effect("dropNewest keeps the first `capacity` events and counts the rest", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ capacity: 10, policy: "dropNewest", dropSummaryInterval: "1 hour" }, [memory])
        for (let i = 0; i < 25; i++) worker.offerUnsafe(event(`e${i}`))
        yield* worker.flush
        const written = memory.eventsUnsafe().filter((e) => e.logger === "test" && e.level === "Info")
        assert.deepStrictEqual(written.map((e) => e.message), Array.from({ length: 10 }, (_, i) => `e${i}`))
        const m = yield* worker.metrics
        assert.strictEqual(m.dropped["queue full"], 15)
        assert.strictEqual(m.eventsIn, 25)
      }).pipe(Effect.scoped))

    it.effect("dropOldest keeps the last `capacity` events and counts the rest", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ capacity: 10, policy: "dropOldest" }, [memory])
        for (let i = 0; i < 25; i++) worker.offerUnsafe(event(`e${i}`))
        yield* worker.flush
        const written = memory.eventsUnsafe().filter((e) => e.level === "Info")
        assert.deepStrictEqual(written.map((e) => e.message), Array.from({ length: 10 }, (_, i) => `e${i + 15}`))
        assert.strictEqual((yield* worker.metrics).dropped["queue full"], 15)
      }).pipe(Effect.scoped))

    it.effect("dropOldest never evicts a flush barrier", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ capacity: 2, policy: "dropOldest" }, [memory])
        const flushing = yield* Effect.forkChild(worker.flush)
        for (let i = 0; i < 10; i++) worker.offerUnsafe(event(`e${i}`))
        yield* Fiber.join(flushing)
        yield* worker.flush
        assert.strictEqual((yield* worker.metrics).dropped["queue full"], 8)
      }).pipe(Effect.scoped))

    it.effect("block suspends facade offers until there is room and loses nothing", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ capacity: 3, policy: "block", batchSize: 2 }, [memory])
        for (let i = 0; i < 50; i++) yield* worker.offer(event(`e${i}`))
        yield* worker.flush
        assert.deepStrictEqual(messages(memory), Array.from({ length: 50 }, (_, i) => `e${i}`))
        assert.strictEqual((yield* worker.metrics).droppedTotal, 0)
      }).pipe(Effect.scoped))

    it.effect("block writes inline from the synchronous path when the queue is full", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ capacity: 3, policy: "block", batchWait: "1 hour" }, [memory])
        for (let i = 0; i < 10; i++) worker.offerUnsafe(event(`e${i}`))
        // each offer that did not fit wrote the queue and itself inline, in order, at once:
        // e0-e3 at the 4th offer, e4-e7 at the 8th; e8 and e9 are queued
        assert.deepStrictEqual(messages(memory), ["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7"])
        yield* worker.flush
        assert.strictEqual(memory.eventsUnsafe().length, 10)
        assert.strictEqual((yield* worker.metrics).droppedTotal, 0)
      }).pipe(Effect.scoped))

    it.effect("drops are summarised by one WARN event per interval", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ capacity: 5, policy: "dropNewest", dropSummaryInterval: "5 seconds" }, [memory])
        for (let i = 0; i < 12; i++) worker.offerUnsafe(event(`e${i}`))
        yield* worker.flush
        for (let i = 0; i < 12; i++) worker.offerUnsafe(event(`f${i}`))
        yield* worker.flush
        let warns = memory.eventsUnsafe().filter((e) => e.level === "Warn")
        assert.strictEqual(warns.length, 1)
        assert.strictEqual(warns[0]!.message, "dropped 7 events: queue full: 7")
        yield* TestClock.adjust("5 seconds")
        worker.offerUnsafe(event("g"))
        yield* worker.flush
        warns = memory.eventsUnsafe().filter((e) => e.level === "Warn")
        assert.strictEqual(warns.length, 2)
        assert.strictEqual(warns[1]!.message, "dropped 7 events: queue full: 14")
      }).pipe(Effect.scoped))
  })

  it.effect("counters are published as Effect Metrics, drops by reason", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const worker = yield* start({ name: "metrics-test", capacity: 4, policy: "dropNewest" }, [memory])
      for (let i = 0; i < 10; i++) worker.offerUnsafe(event(`e${i}`))
      yield* worker.flush
      const snapshot = yield* Metric.snapshot
      const value = (id: string, attrs: Record<string, string>) =>
        snapshot.find((m) =>
          m.id === id && Object.entries(attrs).every(([k, v]) => (m.attributes as Record<string, string> | undefined)?.[k] === v)
        )?.state as { readonly count?: number; readonly value?: number } | undefined
      assert.strictEqual(value("fapilog_events_in", { logger: "metrics-test" })?.count, 10)
      assert.strictEqual(value("fapilog_events_dropped", { logger: "metrics-test", reason: "queue full" })?.count, 6)
      // 4 events plus the WARN drop summary
      assert.strictEqual(value("fapilog_events_written", { logger: "metrics-test" })?.count, 5)
    }).pipe(Effect.scoped))

  it.effect("a drain that exceeds drainTimeout gives up, counts what is lost and says so", () =>
    Effect.gen(function*() {
      const hanging = { name: "hanging", writer: { write: () => Effect.never, writeUnsafe: undefined } }
      const scope = yield* Scope.make()
      const worker = yield* Scope.provide(
        WorkerEngine.make({ ...Worker.defaults, name: "slow-drain", drainTimeout: "2 seconds", batchSize: 2 }, [hanging], Sink.makeBatch),
        scope
      )
      for (let i = 0; i < 5; i++) worker.offerUnsafe(event(`e${i}`))
      yield* settle
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(closing)
      const m = yield* worker.metrics
      // 3 still queued and the batch of 2 stuck in the hanging sink: all 5 reported lost
      assert.strictEqual(m.dropped["drain timeout"], 5)
      assert.strictEqual(m.workerFibers, 0)
    }))

  describe("review regressions", () => {
    it.effect("policy block, unsafe offers past capacity: every event written once, in order, while the worker has a batch in flight", () =>
      Effect.gen(function*() {
        // offerUnsafe is what Effect.log uses: it cannot suspend, so a full queue is written
        // inline; that must never overtake the batch the worker is pushing through its pipeline
        const memory = Sink.memory()
        // a sink that yields before writing keeps the worker's batch in flight while offers go on
        const yielding = Sink.mapWriter(memory, (w) => ({ ...w, write: (batch) => Effect.andThen(Effect.yieldNow, w.write(batch)) }))
        const worker = yield* start({ capacity: 100, policy: "block", batchSize: 64 }, [yielding])
        for (let i = 0; i < 20_000; i++) {
          worker.offerUnsafe(event(`e${i}`))
          if (i % 500 === 0) yield* Effect.yieldNow
        }
        yield* worker.flush
        const got = messages(memory).filter((m) => m.startsWith("e"))
        assert.strictEqual(got.length, 20_000)
        const firstOutOfOrder = got.findIndex((m, i) => m !== `e${i}`)
        assert.strictEqual(firstOutOfOrder, -1, `out of order at ${firstOutOfOrder}: ${got.slice(firstOutOfOrder, firstOutOfOrder + 3).join(",")}`)
      }).pipe(Effect.scoped))

    it.effect("a sink whose write dies (a defect, not an error) fails only itself; the batch is counted for it", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const dying = Sink.make("dying", Effect.succeed({ write: () => Effect.die(new Error("defect")), writeUnsafe: undefined }))
        const worker = yield* start({}, [dying, memory])
        for (let i = 0; i < 10; i++) yield* worker.offer(event(`e${i}`))
        yield* worker.flush
        assert.strictEqual(messages(memory).filter((m) => m.startsWith("e")).length, 10)
        const m = yield* worker.metrics
        assert.strictEqual(m.restarts, 0)
        assert.strictEqual(m.dropped["sink failure"], undefined)
        assert.strictEqual(m.sinkFailedEvents["dying"], 10)
        assert.strictEqual(m.written, 10)
      }).pipe(Effect.scoped))

    it.effect("a flush still waiting when the drain times out returns", () =>
      Effect.gen(function*() {
        const hanging = { name: "hanging", writer: { write: () => Effect.never, writeUnsafe: undefined } }
        const scope = yield* Scope.make()
        const worker = yield* Scope.provide(WorkerEngine.make({ ...Worker.defaults, name: "w", drainTimeout: "1 second" }, [hanging], Sink.makeBatch), scope)
        worker.offerUnsafe(event("stuck"))
        const flushing = yield* Effect.forkChild(worker.flush)
        yield* settle
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* settle
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(closing)
        yield* Fiber.join(flushing)
        assert.strictEqual((yield* worker.metrics).dropped["drain timeout"], 1)
      }))

    it.effect("after a restart, flush still waits for the events queued behind the dead batch", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const explode = <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>) =>
          Stream.map(events, (e) => {
            if (e.message === "boom") throw new Error("bug")
            return e
          })
        const worker = yield* start({ pipeline: explode, restartBase: "100 millis", batchSize: 2 }, [memory])
        // a backlog is taken 4 batches at a time: the dead batch is a..h, i and j are behind it
        for (const m of ["a", "boom", "c", "d", "e", "f", "g", "h", "i", "j"]) worker.offerUnsafe(event(m))
        const flushing = yield* Effect.forkChild(worker.flush)
        yield* settle
        yield* TestClock.adjust("100 millis")
        yield* Fiber.join(flushing)
        // the barrier was queued behind i and j: it returns only once they are written
        assert.includeMembers(messages(memory), ["i", "j"])
        assert.strictEqual((yield* worker.metrics).dropped["worker failure"], 8)
      }).pipe(Effect.scoped))

    it.effect("sync mode with an asynchronous pipeline step runs each event once", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const slow = <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>) =>
          Stream.mapEffect(events, (e) => e.message === "slow" ? Effect.as(Effect.yieldNow, e) : Effect.succeed(e))
        const worker = yield* start({ mode: "sync", pipeline: slow }, [memory])
        worker.offerUnsafe(event("a"))
        worker.offerUnsafe(event("slow"))
        worker.offerUnsafe(event("b"))
        yield* settle
        assert.deepStrictEqual(messages(memory).slice().sort(), ["a", "b", "slow"])
      }).pipe(Effect.scoped))

    it.effect("a write-behind sink whose flush stalls is bounded by Sink.timeout", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const stalled = Sink.make("stalled", Effect.succeed({ write: () => Effect.void, writeUnsafe: undefined, flush: Effect.never }))
        const writers = [
          { name: "stalled", writer: yield* Sink.timeout(stalled, "1 second").open },
          { name: "memory", writer: yield* memory.open }
        ]
        const scope = yield* Scope.make()
        const worker = yield* Scope.provide(WorkerEngine.make({ ...Worker.defaults, name: "w" }, writers, Sink.makeBatch), scope)
        yield* worker.offer(event("x"))
        const flushing = yield* Effect.forkChild(worker.flush)
        yield* settle
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(flushing)
        assert.deepStrictEqual(messages(memory), ["x"])
        // closing flushes the sinks again: bounded the same way
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* settle
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(closing)
      }))
  })

  describe("sink isolation", () => {
    const throwing = Sink.make("throwing", Effect.succeed(Sink.writer(() => {
      throw new Error("disk on fire")
    }, "throwing")))
    const hanging = Sink.make("hanging", Effect.succeed({ write: () => Effect.never, writeUnsafe: undefined }))

    it.effect("a throwing sink does not stop a healthy sink; its failures are its own, not drops", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({}, [throwing, memory])
        for (let i = 0; i < 5; i++) yield* worker.offer(event(`e${i}`))
        yield* worker.flush
        assert.deepStrictEqual(messages(memory).slice(0, 5), ["e0", "e1", "e2", "e3", "e4"])
        const m = yield* worker.metrics
        // written: the memory sink got them; the throwing sink's failure is counted against it
        assert.strictEqual(m.dropped["sink failure"], undefined)
        assert.strictEqual(m.written, 5)
        assert.strictEqual(m.sinkFailedEvents[throwing.name], 5)
        assert.strictEqual(m.sinkErrors, 1)
      }).pipe(Effect.scoped))

    it.effect("a hanging sink times out (on the Clock) and the healthy sink keeps receiving", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const writers = [
          { name: "hanging", writer: yield* Sink.timeout(hanging, "1 second").open },
          { name: "memory", writer: yield* memory.open }
        ]
        const worker = yield* WorkerEngine.make({ ...Worker.defaults, name: "test" }, writers, Sink.makeBatch)
        yield* worker.offer(event("a"))
        const flushing = yield* Effect.forkChild(worker.flush)
        yield* settle
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(flushing)
        assert.deepStrictEqual(messages(memory), ["a"])
        yield* worker.offer(event("b"))
        const flushing2 = yield* Effect.forkChild(worker.flush)
        yield* settle
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(flushing2)
        assert.deepStrictEqual(messages(memory).slice(0, 2), ["a", "b"])
        const m = yield* worker.metrics
        assert.strictEqual(m.sinkErrors, 2)
        // the hanging sink failed both events (and the WARN summary of its first failure); the
        // healthy one got them: written, not dropped
        assert.strictEqual(m.sinkFailedEvents["hanging"], 3)
        assert.strictEqual(m.dropped["sink failure"], undefined)
        assert.deepStrictEqual(messages(memory).filter((m) => !m.startsWith("sink failures")), ["a", "b"])
        assert.include(messages(memory), "sink failures (the events reached another sink): hanging: 1")
      }).pipe(Effect.scoped))

    it.effect("retry recovers a sink that fails transiently, with backoff on the Clock", () =>
      Effect.gen(function*() {
        let failures = 2
        const received: Array<string> = []
        const flaky = Sink.make("flaky", Effect.succeed(Sink.writer((batch) => {
          if (failures-- > 0) throw new Error("transient")
          for (const e of batch.events) received.push(e.message)
        }, "flaky")))
        const worker = yield* WorkerEngine.make({ ...Worker.defaults, name: "test" }, [
          { name: "flaky", writer: yield* Sink.retry(flaky, { times: 3, base: "100 millis" }).open }
        ], Sink.makeBatch)
        yield* worker.offer(event("x"))
        const flushing = yield* Effect.forkChild(worker.flush)
        yield* settle
        assert.deepStrictEqual(received, [])
        yield* TestClock.adjust("100 millis")
        yield* settle
        yield* TestClock.adjust("200 millis")
        yield* Fiber.join(flushing)
        assert.deepStrictEqual(received, ["x"])
        assert.strictEqual((yield* worker.metrics).droppedTotal, 0)
      }).pipe(Effect.scoped))
  })

  describe("supervision", () => {
    const explodeOn = (bad: string) => <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>) =>
      Stream.map(events, (e) => {
        if (e.message === bad) throw new Error(`pipeline bug on ${bad}`)
        return e
      })

    it.effect("a worker whose pipeline dies is restarted with backoff and keeps writing", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ pipeline: explodeOn("boom"), restartBase: "100 millis" }, [memory])
        yield* worker.offer(event("before"))
        yield* worker.flush
        yield* worker.offer(event("boom"))
        // the barrier pushes the batch through at once; it is released when the pipeline dies
        yield* worker.flush
        yield* TestClock.adjust("100 millis")
        yield* settle
        yield* worker.offer(event("after"))
        yield* worker.flush
        assert.deepStrictEqual(messages(memory).filter((m) => m !== "" && !m.startsWith("dropped")), ["before", "after"])
        const m = yield* worker.metrics
        assert.strictEqual(m.restarts, 1)
        assert.strictEqual(m.dropped["worker failure"], 1)
      }).pipe(Effect.scoped))

    it.effect("after maxRestarts the worker falls back to synchronous writing", () =>
      Effect.gen(function*() {
        const memory = Sink.memory()
        const worker = yield* start({ pipeline: explodeOn("boom"), maxRestarts: 0 }, [memory])
        yield* worker.offer(event("boom"))
        yield* worker.flush
        assert.strictEqual((yield* worker.metrics).mode, "sync")
        yield* worker.offer(event("later"))
        assert.isTrue(messages(memory).includes("later"))
      }).pipe(Effect.scoped))
  })

  it.effect("sync mode writes inline in the caller, no fiber, no queue", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const worker = yield* start({ mode: "sync" }, [memory])
      yield* worker.offer(event("now"))
      assert.deepStrictEqual(messages(memory), ["now"])
      worker.offerUnsafe(event("also now"))
      assert.deepStrictEqual(messages(memory), ["now", "also now"])
      assert.strictEqual((yield* worker.metrics).queueDepth, 0)
    }).pipe(Effect.scoped))

  it.effect("control events reach the pipeline in order with the events", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const spy = <E, R>(events: Stream.Stream<LogEvent.LogEvent, E, R>) =>
        Stream.map(events, (e) => {
          seen.push(e.control === undefined ? e.message : e.control._tag)
          return e
        })
      const memory = Sink.memory()
      const worker = yield* start({ pipeline: spy }, [memory])
      yield* worker.offer(event("a"))
      worker.signalUnsafe(LogEvent.correlationEnd("req-1"))
      yield* worker.offer(event("b"))
      yield* worker.flush
      // (the worker's own end-of-drive markers are DriveEnd control events)
      assert.deepStrictEqual(seen.filter((s) => s !== "DriveEnd"), ["a", "CorrelationEnd", "b", "Flush"])
      assert.deepStrictEqual(messages(memory), ["a", "b"])
    }).pipe(Effect.scoped))
})

/** `sink`, recording the size of every batch written to it, each write taking `delay` first. */
const recordingSizes = (sink: Sink.Sink, sizes: Array<number>, delay: Effect.Effect<void>): Sink.Sink =>
  Sink.mapWriter(sink, (w) => ({
    ...w,
    write: (batch) => Effect.andThen(Effect.andThen(Effect.sync(() => sizes.push(batch.events.length)), delay), w.write(batch))
  }))
