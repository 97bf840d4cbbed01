import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect } from "effect"
import { EventEmitter } from "node:events"
import * as Fapilog from "../src/Fapilog.ts"
import * as Handle from "../src/Handle.ts"
import * as Sink from "../src/Sink.ts"

const parse = (lines: ReadonlyArray<string>) => lines.map((l) => JSON.parse(l) as Record<string, any>)

describe("Handle", () => {
  it.live("lines logged from plain callbacks go through the same engine: pipeline, redaction, sinks", () =>
    Effect.promise(async () => {
      const memory = Sink.memory()
      const log = await Handle.make(Fapilog.layer({
        sinks: [memory],
        pipeline: (events) => events // a pipeline stage, to show the handle's events pass through it
      }))
      const emitter = new EventEmitter()
      emitter.on("done", (id: string) => log.info("job done", { id, password: "hunter2" }))
      emitter.on("failed", (err: Error) => log.error("job failed", err))
      emitter.emit("done", "j-1")
      emitter.emit("failed", new Error("disk full"))
      await new Promise<void>((resolve) => setImmediate(() => {
        log.with({ tick: 1 }).warn("from a timer callback")
        resolve()
      }))
      const db = await log.named("legacy.db")
      db.debug("filtered out at Info")
      db.log("Warn", "slow query", () => ({ ms: 812 }))
      await log.flush()
      // each facade has its own worker: order holds per logger
      const all = parse(memory.linesUnsafe())
      const lines = [...all.filter((l) => l.logger === "root"), ...all.filter((l) => l.logger !== "root")]
      assert.deepStrictEqual(lines.map((l) => [l.logger, l.level, l.msg]), [
        ["root", "INFO", "job done"],
        ["root", "ERROR", "job failed"],
        ["root", "WARN", "from a timer callback"],
        ["legacy.db", "WARN", "slow query"]
      ])
      assert.strictEqual(lines[0]!.id, "j-1")
      assert.notInclude(memory.linesUnsafe().join("\n"), "hunter2") // redacted like any event
      assert.strictEqual(lines[1]!.err.message, "disk full")
      assert.strictEqual(lines[2]!.tick, 1)
      assert.strictEqual(lines[3]!.ms, 812)
      await log.dispose()
    }))

  it.live("calls after dispose do not throw: they are dropped and counted; dispose drains what was queued", () =>
    Effect.promise(async () => {
      const memory = Sink.memory()
      const log = await Handle.make(Fapilog.layer({ sinks: [memory] }))
      for (let i = 0; i < 100; i++) log.info("before", { i })
      const child = log.with({ a: 1 })
      await log.dispose()
      assert.strictEqual(memory.linesUnsafe().length, 100) // drained without a flush
      const stderr = process.stderr.write
      const warnings: Array<string> = []
      process.stderr.write = ((s: string) => {
        warnings.push(s)
        return true
      }) as typeof process.stderr.write
      try {
        assert.doesNotThrow(() => {
          log.info("after")
          log.error("after", Cause.fail("x"))
          child.warn("after")
        })
      } finally {
        process.stderr.write = stderr
      }
      assert.strictEqual(log.dropped, 3)
      assert.strictEqual(warnings.length, 1)
      assert.match(warnings[0]!, /disposed handle was dropped/)
      assert.strictEqual(memory.linesUnsafe().length, 100)
      await log.dispose() // idempotent
      await log.flush() // resolves
    }))

  it.live("a layer that cannot start rejects make", () =>
    Effect.promise(async () => {
      const error = await Handle.make(Fapilog.layer({ sinks: [Sink.file(`${import.meta.filename}/not-a-directory/b.jsonl`)] })).then(
        () => undefined,
        (e: unknown) => e
      )
      assert.isDefined(error)
    }))

  it.effect("Handle.current: callbacks inside an Effect program log through the running layer", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      yield* Effect.gen(function*() {
        const log = yield* Handle.current
        const emitter = new EventEmitter()
        emitter.on("ready", (port: number) => log.info("listening", { port }))
        emitter.emit("ready", 8080)
        yield* Effect.promise(() => log.dispose())
        log.info("dropped")
        assert.strictEqual(log.dropped, 1)
      }).pipe(Effect.provide(Fapilog.layer({ sinks: [memory] })))
      assert.deepStrictEqual(parse(memory.linesUnsafe()).map((l) => [l.msg, l.port]), [["listening", 8080]])
    }))
})
