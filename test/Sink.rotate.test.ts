import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Fapilog from "../src/Fapilog.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-rotate-"))

const event = (i: number) =>
  LogEvent.make({ timestamp: 0, level: "Info", message: `line ${i}`, logger: "t", fields: { i, pad: "x".repeat(i % 97) } })

/** Every file of the rotation set, oldest first, as parsed lines. */
const readSet = (file: string): Array<{ readonly name: string; readonly bytes: number; readonly lines: Array<any> }> => {
  const dir = path.dirname(file)
  const base = path.basename(file)
  const numbered = fs.readdirSync(dir)
    .filter((n) => n.startsWith(base + "."))
    .map((n) => Number(n.slice(base.length + 1)))
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => b - a)
  const names = [...numbered.map((n) => `${file}.${n}`), ...(fs.existsSync(file) ? [file] : [])]
  return names.map((name) => {
    const text = fs.readFileSync(name, "utf8")
    assert.isTrue(text === "" || text.endsWith("\n"), `${name} ends mid-line`)
    return { name, bytes: Buffer.byteLength(text), lines: text === "" ? [] : text.slice(0, -1).split("\n").map((l) => JSON.parse(l)) }
  })
}

describe("Sink.file rotation", () => {
  it.live("size rotation under load: every line intact, exactly once, in order, files within maxBytes", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const file = path.join(dir, "app.jsonl")
      const n = 20_000
      const sink = Sink.file(file, { rotate: { maxBytes: 64 * 1024, maxFiles: 1000 }, reopenOnSignal: false })
      yield* Effect.gen(function*() {
        for (let i = 0; i < n; i++) yield* Effect.logInfo("line", { i, pad: "y".repeat(i % 131) })
      }).pipe(Effect.provide(Fapilog.layer({ sinks: [sink], queue: { policy: "block", capacity: 1000 } })))
      const set = readSet(file)
      assert.isAbove(set.length, 20)
      for (const f of set) assert.isAtMost(f.bytes, 64 * 1024, f.name)
      const seen = set.flatMap((f) => f.lines.map((l) => l.i))
      assert.strictEqual(seen.length, n)
      assert.deepStrictEqual(seen, Array.from({ length: n }, (_, i) => i))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("maxFiles old files are kept: the newest lines, contiguous", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const file = path.join(dir, "app.jsonl")
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.file(file, { rotate: { maxBytes: 2000, maxFiles: 3 }, reopenOnSignal: false }).open, scope)
      for (let b = 0; b < 100; b++) {
        const batch = Sink.makeBatch(Array.from({ length: 5 }, (_, k) => event(b * 5 + k)))
        if (b % 2 === 0) yield* writer.write(batch)
        else writer.writeUnsafe!(batch)
      }
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["app.jsonl", "app.jsonl.1", "app.jsonl.2", "app.jsonl.3"])
      const seen = readSet(file).flatMap((f) => f.lines.map((l) => l.i))
      assert.strictEqual(seen.at(-1), 499)
      for (let k = 1; k < seen.length; k++) assert.strictEqual(seen[k], seen[k - 1] + 1)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("time rotation: an hour boundary read from Clock moves the file aside", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const file = path.join(dir, "app.jsonl")
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.file(file, { rotate: { interval: "hourly", maxFiles: 2 }, reopenOnSignal: false }).open, scope)
      writer.writeUnsafe!(Sink.makeBatch([event(1)]))
      yield* TestClock.adjust("30 minutes")
      writer.writeUnsafe!(Sink.makeBatch([event(2)]))
      yield* TestClock.adjust("31 minutes")
      writer.writeUnsafe!(Sink.makeBatch([event(3)]))
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(readSet(file).map((f) => f.lines.map((l) => l.i)), [[1, 2], [3]])
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("time rotation: the first line of a new period after a quiet one stays in the new file", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const file = path.join(dir, "app.jsonl")
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.file(file, { rotate: { interval: "hourly", maxFiles: 2 }, reopenOnSignal: false }).open, scope)
      yield* TestClock.adjust("150 minutes") // nothing logged in hours 0 and 1
      writer.writeUnsafe!(Sink.makeBatch([event(1)]))
      yield* TestClock.adjust("1 minute")
      writer.writeUnsafe!(Sink.makeBatch([event(2)]))
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(readSet(file).map((f) => f.lines.map((l) => l.i)), [[1, 2]])
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("reopen after a rename (logrotate move, then reopen): no line lost or duplicated", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const file = path.join(dir, "app.jsonl")
      const sink = Sink.file(file, { reopenOnSignal: false })
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(sink.open, scope)
      // writes in flight while the file is moved and the reopen requested
      for (let i = 0; i < 50; i++) yield* writer.write(Sink.makeBatch([event(i)]))
      fs.renameSync(file, file + ".old")
      yield* sink.reopen
      for (let i = 50; i < 100; i++) yield* writer.write(Sink.makeBatch([event(i)]))
      yield* Scope.close(scope, Exit.void)
      const old = readSet(file + ".old")[0]!.lines.map((l) => l.i)
      const current = readSet(file).at(-1)!.lines.map((l) => l.i)
      assert.deepStrictEqual([...old, ...current], Array.from({ length: 100 }, (_, i) => i))
      assert.isTrue(current.includes(99))
      assert.isFalse(old.includes(99))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("SIGHUP reopens the file; the listener is removed on close", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const file = path.join(dir, "app.jsonl")
      const before = process.listenerCount("SIGHUP")
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.file(file).open, scope)
      assert.strictEqual(process.listenerCount("SIGHUP"), before + 1)
      yield* writer.write(Sink.makeBatch([event(1), event(2)]))
      yield* writer.flush!
      fs.renameSync(file, file + ".1")
      // our listener runs after the sink's (listeners run in registration order)
      const delivered = yield* Deferred.make<void>()
      process.once("SIGHUP", () => Deferred.doneUnsafe(delivered, Exit.void))
      process.kill(process.pid, "SIGHUP")
      yield* Deferred.await(delivered)
      yield* writer.write(Sink.makeBatch([event(3)]))
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(process.listenerCount("SIGHUP"), before)
      assert.deepStrictEqual(readSet(file).map((f) => f.lines.map((l) => l.i)), [[1, 2], [3]])
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("20 file sinks share one SIGHUP listener, and every one of them reopens on the signal", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const files = Array.from({ length: 20 }, (_, i) => path.join(dir, `app${i}.jsonl`))
      const before = process.listenerCount("SIGHUP")
      let warnings = 0
      const onWarning = (w: Error) => {
        if (w.name === "MaxListenersExceededWarning") warnings++
      }
      process.on("warning", onWarning)
      const scope = yield* Scope.make()
      const writers = yield* Effect.forEach(files, (f) => Scope.provide(Sink.file(f).open, scope))
      assert.strictEqual(process.listenerCount("SIGHUP"), before + 1)
      yield* Effect.forEach(writers, (w, i) => Effect.andThen(w.write(Sink.makeBatch([event(i)])), w.flush!))
      for (const f of files) fs.renameSync(f, f + ".1")
      const delivered = yield* Deferred.make<void>()
      process.once("SIGHUP", () => Deferred.doneUnsafe(delivered, Exit.void))
      process.kill(process.pid, "SIGHUP")
      yield* Deferred.await(delivered)
      yield* Effect.forEach(writers, (w, i) => Effect.andThen(w.write(Sink.makeBatch([event(100 + i)])), w.flush!))
      yield* Scope.close(scope, Exit.void)
      process.off("warning", onWarning)
      assert.strictEqual(process.listenerCount("SIGHUP"), before)
      assert.strictEqual(warnings, 0)
      files.forEach((f, i) => assert.deepStrictEqual(readSet(f).map((set) => set.lines.map((l) => l.i)), [[i], [100 + i]]))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("a failed reopen keeps writing to the old file and reports the error", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const sub = path.join(dir, "sub")
      fs.mkdirSync(sub)
      const file = path.join(sub, "app.jsonl")
      const sink = Sink.file(file, { reopenOnSignal: false })
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(sink.open, scope)
      yield* writer.write(Sink.makeBatch([event(1)]))
      yield* writer.flush!
      fs.renameSync(sub, path.join(dir, "moved"))
      const error = yield* Effect.flip(sink.reopen)
      assert.include(error.message, "cannot reopen")
      yield* writer.write(Sink.makeBatch([event(2)]))
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(readSet(path.join(dir, "moved", "app.jsonl"))[0]!.lines.map((l) => l.i), [1, 2])
      fs.rmSync(dir, { recursive: true, force: true })
    }))
})
