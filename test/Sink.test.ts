import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, pipe, Scope } from "effect"
import fc from "fast-check"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire, syncBuiltinESMExports } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import * as Encoder from "../src/Encoder.ts"
import { CHUNK_CHARS } from "../src/internal/chunkedLines.ts"
import * as Fapilog from "../src/Fapilog.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Logger from "../src/Logger.ts"
import * as Sink from "../src/Sink.ts"

const event = (message: string) => LogEvent.make({ timestamp: 0, level: "Info", message, logger: "t" })

describe("Sink", () => {
  it.live("file: appends batches in order (async and sync paths), keeps what was there, drains on close", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-sink-"))
      const file = path.join(dir, "a.jsonl")
      fs.writeFileSync(file, "{\"existing\":true}\n")
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.file(file).open, scope)
      yield* writer.write(Sink.makeBatch([event("one"), event("two")]))
      writer.writeUnsafe!(Sink.makeBatch([event("three")]))
      yield* Scope.close(scope, Exit.void)
      const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l))
      assert.deepStrictEqual(lines.map((l) => l.msg ?? "existing"), ["existing", "one", "two", "three"])
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("file: batches of every size, arriving while writes are in flight, are written whole and in order", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-sink-"))
      const file = path.join(dir, "sizes.jsonl")
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.file(file).open, scope)
      // small batches fill the reused buffers; big ones (past a buffer) and multi-byte text take
      // the other path; none of them waits for the disk, so most arrive during a write
      const sizes = [1, 3, 200, 1, 5000, 2, 40_000, 7, 1, 12_000, 3]
      const expected: Array<string> = []
      let n = 0
      for (const size of sizes) {
        const events = Array.from({ length: size }, () => event(`m${n++} ${n % 7 === 0 ? "héllo ✓ 😀" : "x".repeat(n % 50)}`))
        for (const e of events) expected.push(e.message)
        yield* writer.write(Sink.makeBatch(events))
      }
      yield* writer.flush!
      yield* Scope.close(scope, Exit.void)
      const text = fs.readFileSync(file, "utf8")
      assert.isTrue(text.endsWith("\n"))
      const messages = text.slice(0, -1).split("\n").map((l) => JSON.parse(l).msg)
      assert.strictEqual(messages.length, expected.length)
      assert.deepStrictEqual(messages, expected)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("file: a write that completes starts the next one before a writer waiting for room goes on", () =>
    Effect.gen(function*() {
      // `fs.write` held: each call is recorded and completes when the test says. A writer waiting
      // for room is resumed by the completion; it must find the next write already started, or
      // encoding and writing take turns instead of overlapping (deep objects lost ~25 %)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-sink-"))
      const file = path.join(dir, "overlap.jsonl")
      // the CommonJS object behind `node:fs`: patched there, then synced to the ES namespace
      const fsObject = createRequire(import.meta.url)("node:fs") as { write: unknown }
      const realWrite = fs.write
      const held: Array<() => void> = []
      fsObject.write = (fd: number, buf: Buffer, off: number, len: number, pos: null, cb: (e: NodeJS.ErrnoException | null, n: number) => void) =>
        held.push(() => realWrite(fd, buf, off, len, pos, cb))
      syncBuiltinESMExports()
      try {
        const scope = yield* Scope.make()
        const writer = yield* Scope.provide(Sink.file(file, { highWaterMark: 10 }).open, scope)
        yield* writer.write(Sink.makeBatch([event("one")])) // written at once: the first write
        assert.strictEqual(held.length, 1)
        let writesStartedWhenResumed = -1
        const fiber = yield* Effect.forkChild(Effect.gen(function*() {
          yield* writer.write(Sink.makeBatch([event("two")])) // past the high-water mark: waits for room
          writesStartedWhenResumed = held.length
          yield* writer.write(Sink.makeBatch([event("three")]))
        }))
        yield* Effect.yieldNow
        assert.strictEqual(writesStartedWhenResumed, -1, "the writer waits while the first write is in flight")
        held[0]!() // the first write completes: "two" is taken and written, the waiter resumed
        // the real write's callback comes from the thread pool: turn the event loop until it has
        for (let turns = 0; writesStartedWhenResumed === -1 && turns < 10_000; turns++) {
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        }
        assert.strictEqual(writesStartedWhenResumed, 2, "the write of \"two\" was started before the writer went on")
        fsObject.write = realWrite
        syncBuiltinESMExports()
        for (let i = 1; i < held.length; i++) held[i]!()
        yield* Fiber.join(fiber)
        yield* Scope.close(scope, Exit.void)
        const messages = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l).msg)
        assert.deepStrictEqual(messages, ["one", "two", "three"])
      } finally {
        fsObject.write = realWrite
        syncBuiltinESMExports()
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.live("file: creates missing parent directories; a parent that cannot be a directory is a SinkError at open", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-sink-"))
      const file = path.join(dir, "logs", "deep", "app.jsonl")
      yield* Effect.scoped(Effect.gen(function*() {
        const writer = yield* Sink.file(file).open
        yield* writer.write(Sink.makeBatch([event("first")]))
        yield* writer.flush!
      }))
      assert.strictEqual(JSON.parse(fs.readFileSync(file, "utf8")).msg, "first")
      fs.writeFileSync(path.join(dir, "plain"), "")
      const error = yield* Effect.flip(Effect.scoped(Sink.file(path.join(dir, "plain", "app.jsonl")).open))
      assert.strictEqual(error._tag, "SinkError")
      assert.match(error.message, /cannot open .*plain\/app\.jsonl: .*(EEXIST|ENOTDIR)/)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it("file: flushUnsafe writes what the write-behind buffer holds before process.exit (child process, through a fan-out)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-exit-"))
    const script = path.join(dir, "exit.ts")
    const files = [path.join(dir, "a.jsonl"), path.join(dir, "b.jsonl")]
    const src = path.resolve("src")
    fs.writeFileSync(script, `
import { Effect } from ${JSON.stringify(path.join(src, "..", "node_modules", "effect", "dist", "index.js"))}
import * as fs from "node:fs"
import * as LogEvent from ${JSON.stringify(path.join(src, "LogEvent.ts"))}
import * as Sink from ${JSON.stringify(path.join(src, "Sink.ts"))}
const files = ${JSON.stringify(files)}
const withFlush = process.argv[2] === "flush"
const batch = (b: number) =>
  Sink.makeBatch(Array.from({ length: 100 }, (_, i) => LogEvent.make({ timestamp: 0, level: "Info", message: "m" + (b * 100 + i), logger: "t" })))
Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  const writers = yield* Effect.forEach(files, (f) => Sink.file(f, { reopenOnSignal: false }).open)
  const fan = yield* Sink.fanOut(writers.map((w, i) => Sink.make(String(i), Effect.succeed(w)))).open
  // the first batch goes out through an fs.write in flight; wait (without an event-loop turn, so
  // its callback cannot run) until the OS has it, so that the rest stays in the buffer
  for (const w of writers) Effect.runSync(w.write(batch(0)))
  const first = Buffer.byteLength(batch(0).ndjson)
  const start = Date.now()
  while (files.some((f) => fs.statSync(f).size < first)) if (Date.now() - start > 10_000) process.exit(2)
  for (let b = 1; b < 50; b++) for (const w of writers) Effect.runSync(w.write(batch(b)))
  if (withFlush) fan.flushUnsafe!()
  process.exit(0)
})))
`)
    const count = (f: string) => fs.readFileSync(f, "utf8").split("\n").filter((l) => l !== "").length
    const run = (arg: string) => {
      for (const f of files) fs.rmSync(f, { force: true })
      const r = spawnSync(process.execPath, [script, arg], { encoding: "utf8", timeout: 30_000 })
      assert.strictEqual(r.status, 0, r.stderr)
      return files.map(count)
    }
    // without it the buffer dies with the process (the check that this test can fail)
    assert.deepStrictEqual(run("none"), [100, 100])
    assert.deepStrictEqual(run("flush"), [5_000, 5_000])
    const expected = Array.from({ length: 5_000 }, (_, i) => "m" + i)
    for (const f of files) {
      assert.deepStrictEqual(fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l).msg), expected)
    }
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it.live("file: /dev/full gives a real ENOSPC as a typed SinkError", () =>
    Effect.gen(function*() {
      if (!fs.existsSync("/dev/full")) return
      yield* Effect.scoped(Effect.gen(function*() {
        const writer = yield* Sink.file("/dev/full").open
        // write-behind: the batch is accepted, the disk refuses it later
        yield* writer.write(Sink.makeBatch([event("x"), event("y")]))
        const error = yield* Effect.flip(writer.flush!)
        assert.strictEqual(error._tag, "SinkError")
        assert.include(error.message, "ENOSPC")
        assert.strictEqual(writer.takeLost!(), 2)
        assert.strictEqual(writer.takeLost!(), 0)
      }))
    }))

  it.effect("memory: events and lines can be read back and cleared", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const writer = yield* memory.open
      yield* writer.write(Sink.makeBatch([event("a"), event("b")]))
      assert.deepStrictEqual((yield* memory.events).map((e) => e.message), ["a", "b"])
      const lines = yield* memory.lines
      assert.deepStrictEqual(lines.map((l) => JSON.parse(l).msg), ["a", "b"])
      yield* memory.clear
      assert.deepStrictEqual(yield* memory.events, [])
    }).pipe(Effect.scoped))

  it.live("fanOut of write-behind file sinks: after flush both files are complete on disk", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-fanout-"))
      const a = path.join(dir, "a.jsonl")
      const b = path.join(dir, "b.jsonl")
      const lines = (file: string) => fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "")
      yield* Effect.gen(function*() {
        const log = yield* Logger.named("app")
        for (let i = 0; i < 5_000; i++) yield* log.info(`line ${i}`, { i })
        yield* log.flush
        // read before the layer closes: flush alone must have made every line durable
        for (const file of [a, b]) {
          const written = lines(file)
          assert.strictEqual(written.length, 5_000, file)
          assert.strictEqual(JSON.parse(written[4_999]!).i, 4_999)
        }
      }).pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.fanOut([Sink.file(a), Sink.file(b)])] })))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("fanOut, retry and timeout keep flush and takeLost: a loss behind them is reported and counted once", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-fanout-"))
      const ok = path.join(dir, "ok.jsonl")
      if (!fs.existsSync("/dev/full")) return
      const full = Sink.retry(Sink.timeout(Sink.file("/dev/full"), "5 seconds"), { times: 1 })
      yield* Effect.scoped(Effect.gen(function*() {
        const writer = yield* Sink.fanOut([full, Sink.file(ok)]).open
        assert.isDefined(writer.writeUnsafe)
        yield* writer.write(Sink.makeBatch([event("x"), event("y")]))
        writer.writeUnsafe!(Sink.makeBatch([event("z")]))
        const error = yield* Effect.flip(writer.flush!)
        assert.include(error.message, "ENOSPC")
        assert.strictEqual(writer.takeLost!(), 3)
        assert.strictEqual(writer.takeLost!(), 0)
        // the healthy child was flushed too, before the fan-out's flush returned
        assert.deepStrictEqual(fs.readFileSync(ok, "utf8").trim().split("\n").map((l) => JSON.parse(l).msg), ["x", "y", "z"])
      }))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("fanOut acts when run, not when built", () =>
    Effect.gen(function*() {
      const a = Sink.memory("a")
      const b = Sink.memory("b")
      const writer = yield* Sink.fanOut([a, b]).open
      const write = writer.write(Sink.makeBatch([event("x")]))
      assert.strictEqual(a.eventsUnsafe().length, 0)
      yield* write
      yield* write
      assert.strictEqual(a.eventsUnsafe().length, 2)
      assert.strictEqual(b.eventsUnsafe().length, 2)
      assert.isUndefined(writer.flush)
    }).pipe(Effect.scoped))

  it.live("retry, timeout and mapWriter are dual: the data-last forms pipe", () =>
    Effect.gen(function*() {
      let attempts = 0
      const flaky = Sink.make("flaky", Effect.succeed(Sink.writer(() => {
        if (++attempts < 3) throw new Error("not yet")
      }, "flaky")))
      let mapped = 0
      const sink = pipe(
        flaky,
        Sink.retry({ times: 3, base: "1 millis" }),
        Sink.timeout("5 seconds"),
        Sink.mapWriter((w) => ({ ...w, write: (batch) => Effect.andThen(Effect.sync(() => mapped++), w.write(batch)) }))
      )
      assert.strictEqual(sink.name, "flaky")
      assert.isTrue(Sink.isSink(sink))
      assert.isFalse(Sink.isSink({ times: 3 }))
      const writer = yield* sink.open
      yield* writer.write(Sink.makeBatch([event("x")]))
      assert.strictEqual(attempts, 3)
      assert.strictEqual(mapped, 1)
      assert.strictEqual(Sink.retry(flaky).name, "flaky")
    }).pipe(Effect.scoped))

  it("fanOut of one sink is that sink", () => {
    const memory = Sink.memory()
    assert.strictEqual(Sink.fanOut([memory]), memory)
  })

  it.effect("fanOut writes to every sink even when one fails, then reports the failure", () =>
    Effect.gen(function*() {
      const a = Sink.memory("a")
      const b = Sink.memory("b")
      const broken = Sink.make("broken", Effect.succeed(Sink.writer(() => {
        throw new Error("nope")
      }, "broken")))
      const writer = yield* Sink.fanOut([a, broken, b]).open
      const exit = yield* Effect.exit(writer.write(Sink.makeBatch([event("x")])))
      assert.strictEqual(exit._tag, "Failure")
      assert.deepStrictEqual(a.eventsUnsafe().map((e) => e.message), ["x"])
      assert.deepStrictEqual(b.eventsUnsafe().map((e) => e.message), ["x"])
    }).pipe(Effect.scoped))

  it("a batch renders one NDJSON line per event, newline-terminated", () => {
    const batch = Sink.makeBatch([event("a")])
    const first = batch.ndjson
    assert.strictEqual(first, batch.ndjson)
    assert.strictEqual(first.endsWith("\n"), true)
    assert.strictEqual(first.split("\n").length, 2)
  })
})

describe("Sink.TypeId", () => {
  it("every constructor and combinator brands its sink; a hand-written literal is still a sink", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-typeid-"))
    const memory = Sink.memory()
    const built: ReadonlyArray<Sink.Sink> = [
      memory,
      Sink.make("m", memory.open),
      Sink.stdout(),
      Sink.stderr(),
      Sink.pretty(),
      Sink.file(path.join(dir, "app.log")),
      Sink.otlp({ url: "http://127.0.0.1:4318/v1/logs" }),
      Sink.syslog({ port: 5514 }),
      Sink.fanOut([memory, Sink.memory("other")]),
      Sink.timeout(memory, "1 second"),
      Sink.retry(memory),
      Sink.mapWriter(memory, (w) => w)
    ]
    for (const sink of built) {
      assert.strictEqual(sink[Sink.TypeId], Sink.TypeId, sink.name)
      assert.isTrue(Sink.isSink(sink), sink.name)
    }
    const literal: Sink.Sink = { name: "literal", open: memory.open }
    assert.isTrue(Sink.isSink(literal))
    assert.isFalse(Sink.isSink({ name: "no open" }))
    assert.isFalse(Sink.isSink(null))
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

describe("Sink: an encoder per sink", () => {
  /** `LEVEL message` lines; throws for a message "bad" (whole batch and alone); counts batches. */
  const plainEncoder = () => {
    const calls = { batches: 0 }
    const encode = (e: LogEvent.LogEvent): string => {
      if (e.control !== undefined) return ""
      if (e.message === "bad") throw new Error("cannot encode bad")
      return `${e.level.toUpperCase()} ${e.message}`
    }
    const encoder: Encoder.Encoder = {
      encode,
      encodeBatch: (events) => {
        calls.batches++
        return events.map((e) => e.control !== undefined ? "" : encode(e) + "\n").join("")
      }
    }
    return { encoder, calls }
  }
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-encoder-"))
  const lines = (file: string) => fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "")

  it.live("a file sink with its own encoder writes that format; the layer's other sinks write the default NDJSON, encoded once", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const json = path.join(dir, "app.jsonl")
      const text = path.join(dir, "app.txt")
      const { calls, encoder } = plainEncoder()
      const memory = Sink.memory({ name: "also-plain", encoder })
      const m = yield* Effect.gen(function*() {
        const log = yield* Logger.named("app")
        yield* log.info("one", { n: 1 })
        yield* log.warn("two")
        yield* log.flush
        return yield* log.metrics
      }).pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.file(json), Sink.file(text, { encoder }), memory] })))
      assert.deepStrictEqual(lines(text), ["INFO one", "WARN two"])
      assert.deepStrictEqual(lines(json).map((l) => JSON.parse(l)).map((o) => [o.level, o.msg, o.n]), [["INFO", "one", 1], ["WARN", "two", undefined]])
      assert.deepStrictEqual(yield* memory.lines, ["INFO one", "WARN two"])
      // two sinks with the same encoder instance: one encoding per batch, not one per sink
      assert.strictEqual(calls.batches, m.batches)
      assert.strictEqual(m.written, 2)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("a throwing encoder: its sink writes the other lines and counts its failure; the other sink writes every line", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const json = path.join(dir, "app.jsonl")
      const text = path.join(dir, "app.txt")
      const plain = Sink.file(text, { encoder: plainEncoder().encoder })
      const m = yield* Effect.gen(function*() {
        const log = yield* Logger.named("app")
        for (const message of ["a", "bad", "b"]) yield* log.info(message)
        yield* log.flush
        return yield* log.metrics
      }).pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.file(json), plain], dropSummaryInterval: "1 hour" })))
      const written = lines(json).map((l) => JSON.parse(l))
      assert.deepStrictEqual(written.slice(0, 3).map((o) => o.msg), ["a", "bad", "b"])
      // then the WARN summary of sink failures, in both files
      assert.deepStrictEqual(written[3]._sink_failures, { [plain.name]: 1 })
      assert.deepStrictEqual(lines(text), ["INFO a", "INFO b", `WARN ${written[3].msg}`])
      // "bad" reached the NDJSON file: written, and the plain sink's failure, not a drop
      assert.strictEqual(m.written, 3)
      assert.strictEqual(m.droppedTotal, 0)
      assert.strictEqual(m.sinkFailedEvents[plain.name], 1)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  for (const mode of ["async", "sync"] as const) {
    it.effect(`a throwing encoder on the only sink: what it cannot encode is dropped as "encode failure" (${mode})`, () =>
      Effect.gen(function*() {
        const memory = Sink.memory({ encoder: plainEncoder().encoder })
        const m = yield* Effect.gen(function*() {
          const log = yield* Logger.named("app")
          for (const message of ["a", "bad", "b", "bad"]) yield* log.info(message)
          yield* log.flush
          return yield* log.metrics
        }).pipe(Effect.provide(Fapilog.layer({ sinks: [memory], mode, dropSummaryInterval: "1 hour" })))
        const written = yield* memory.lines
        assert.deepStrictEqual(written.filter((l) => !l.startsWith("WARN")), ["INFO a", "INFO b"])
        // and the WARN summaries of the drops (when they are written depends on the mode)
        assert.isTrue(written.some((l) => l.startsWith("WARN dropped")))
        assert.strictEqual(m.eventsIn, 4)
        assert.strictEqual(m.dropped["encode failure"], 2)
        assert.strictEqual(m.droppedTotal, 2)
      }))
  }

  it("a batch's NDJSON comes in pieces of whole lines, ~32 K characters each, that make up ndjson", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.string({ minLength: 1000, maxLength: 40_000 })), { maxLength: 60 }),
        (messages) => {
          const batch = Sink.makeBatch(messages.map(event)) as Sink.Batch & { readonly ndjsonChunks: ReadonlyArray<string> }
          const chunks = batch.ndjsonChunks
          assert.strictEqual(chunks.join(""), batch.ndjson)
          for (let i = 0; i < chunks.length; i++) {
            const chunk = chunks[i]!
            assert.isTrue(chunk.length > 0 && chunk.endsWith("\n"), "whole lines, none empty")
            const withoutLast = chunk.slice(0, chunk.lastIndexOf("\n", chunk.length - 2) + 1)
            // a piece closes at the line that takes it to 32 K characters: before that line it was shorter
            assert.isBelow(withoutLast.length, CHUNK_CHARS)
            if (i < chunks.length - 1) assert.isAtLeast(chunk.length, CHUNK_CHARS)
          }
          assert.strictEqual(chunks.join("").split("\n").length - 1, messages.length)
        }
      ),
      { numRuns: 40 }
    )
  })

  it("a batch's lines are encoded once per encoder; Encoder.json's are its ndjson", () => {
    const { calls, encoder } = plainEncoder()
    const batch = Sink.makeBatch([event("a"), event("b")])
    assert.strictEqual(batch.lines(Encoder.json).text, batch.ndjson)
    assert.deepStrictEqual(batch.lines(encoder), { text: "INFO a\nINFO b\n", unencodable: 0 })
    assert.strictEqual(batch.lines(encoder), batch.lines(encoder))
    assert.strictEqual(calls.batches, 1)
  })
})

describe("Sink: an encoder per sink, through combinators", () => {
  it.effect("a fan-out counts as left out what every child left out; retry keeps the count", () =>
    Effect.gen(function*() {
      const fragile: Encoder.Encoder = {
        encode: (e) => {
          if (e.message === "bad") throw new Error("no")
          return e.control !== undefined ? "" : e.message
        },
        encodeBatch: (events) => events.map((e) => fragile.encode(e) + "\n").join("")
      }
      const batch = Sink.makeBatch([event("a"), event("bad")])
      const mixed = yield* Sink.fanOut([Sink.memory("json"), Sink.memory({ name: "fragile", encoder: fragile })]).open
      yield* mixed.write(batch)
      assert.strictEqual(mixed.unencodable!(batch), 0) // the NDJSON child wrote "bad"
      const both = yield* Sink.retry(Sink.fanOut([Sink.memory({ encoder: fragile }), Sink.memory({ encoder: fragile })])).open
      yield* both.write(batch)
      assert.strictEqual(both.unencodable!(batch), 1)
      assert.isUndefined((yield* Sink.fanOut([Sink.memory("a"), Sink.memory("b")]).open).unencodable)
    }).pipe(Effect.scoped))
})
