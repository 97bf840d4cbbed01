import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Config from "../src/Config.ts"
import * as Fapilog from "../src/Fapilog.ts"
import * as Logger from "../src/Logger.ts"
import * as Sink from "../src/Sink.ts"

const withEnv = (env: Record<string, string>) =>
  Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))

const buildLive = (env: Record<string, string>) =>
  Effect.scoped(Layer.build(Fapilog.live)).pipe(withEnv(env), Effect.flip)

describe("Config.fromEnv", () => {
  it.effect("defaults: Info, JSON on stdout, 10,000 dropOldest, 256 / 50 ms, async", () =>
    Effect.gen(function*() {
      const options = yield* Config.fromEnv.pipe(withEnv({}))
      assert.strictEqual(options.level, "Info")
      assert.strictEqual(options.sinks!.length, 1)
      assert.strictEqual(options.sinks![0]!.name, "stdout")
      assert.deepStrictEqual(options.queue, { capacity: 10_000, policy: "dropOldest" })
      assert.strictEqual(options.batch!.maxSize, 256)
      assert.strictEqual(options.mode, "async")
    }))

  it.effect("reads every variable", () =>
    Effect.gen(function*() {
      const options = yield* Config.fromEnv.pipe(withEnv({
        FAPILOG_LEVEL: "Debug",
        FAPILOG_FORMAT: "pretty",
        FAPILOG_FILE: "/tmp/x.jsonl",
        FAPILOG_QUEUE_CAPACITY: "500",
        FAPILOG_QUEUE_POLICY: "block",
        FAPILOG_BATCH_SIZE: "64",
        FAPILOG_BATCH_WAIT: "10 millis",
        FAPILOG_MODE: "sync"
      }))
      assert.strictEqual(options.level, "Debug")
      assert.deepStrictEqual(options.sinks!.map((s) => s.name), ["stdout", "file:/tmp/x.jsonl"])
      assert.deepStrictEqual(options.queue, { capacity: 500, policy: "block" })
      assert.strictEqual(options.batch!.maxSize, 64)
      assert.strictEqual(options.mode, "sync")
    }))

  it.effect("FAPILOG_LEVEL accepts any case", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* Config.fromEnv.pipe(withEnv({ FAPILOG_LEVEL: "debug" }))).level, "Debug")
      assert.strictEqual((yield* Config.fromEnv.pipe(withEnv({ FAPILOG_LEVEL: "WARN" }))).level, "Warn")
    }))

  it.effect("OTEL_EXPORTER_OTLP_ENDPOINT adds an OTLP sink", () =>
    Effect.gen(function*() {
      const options = yield* Config.fromEnv.pipe(withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        OTEL_SERVICE_NAME: "checkout"
      }))
      assert.strictEqual(options.sinks!.length, 2)
      assert.include(options.sinks![1]!.name, "otlp")
    }))

  for (
    const [variable, value] of [
      ["FAPILOG_QUEUE_CAPACITY", "lots"],
      ["FAPILOG_QUEUE_CAPACITY", "0"],
      ["FAPILOG_QUEUE_POLICY", "fast"],
      ["FAPILOG_BATCH_SIZE", "-1"],
      ["FAPILOG_BATCH_WAIT", "soon"],
      ["FAPILOG_LEVEL", "Loud"],
      ["FAPILOG_FORMAT", "xml"],
      ["FAPILOG_MODE", "turbo"]
    ] as const
  ) {
    it.effect(`a bad ${variable} (${value}) is a ConfigError naming it when FapilogLive is built`, () =>
      Effect.gen(function*() {
        const error = yield* buildLive({ [variable]: value })
        assert.strictEqual(error._tag, "ConfigError")
        assert.include(String(error), variable)
      }))
  }
})

describe("Fapilog.layer", () => {
  it.effect("rejects impossible explicit options with InvalidOptions naming the option", () =>
    Effect.gen(function*() {
      const error = yield* Effect.scoped(Layer.build(Fapilog.layer({ queue: { capacity: 0 } }))).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidOptions")
      assert.strictEqual((error as Config.InvalidOptions).option, "queue.capacity")
    }))

  it.effect("a file sink that cannot be opened fails the layer with a SinkError naming the path", () =>
    Effect.gen(function*() {
      const file = path.join(os.tmpdir(), `fapilog-missing-${process.pid}`, "nested", "app.jsonl")
      const error = yield* Effect.scoped(Layer.build(Fapilog.layer({ sinks: [Sink.file(file)] }))).pipe(Effect.flip)
      assert.strictEqual(error._tag, "SinkError")
      assert.include(error.message, file)
    }))

  it.live("a path that cannot be written (a directory) is a SinkError at build time, not a crash later", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-dir-"))
      const error = yield* Effect.scoped(Layer.build(Fapilog.layer({ sinks: [Sink.file(dir)] }))).pipe(Effect.flip)
      assert.strictEqual(error._tag, "SinkError")
      assert.include(error.message, "EISDIR")
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("FAPILOG_FILE writes JSON lines to that file and closes it on release", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-env-"))
      const file = path.join(dir, "app.jsonl")
      yield* Effect.gen(function*() {
        const log = yield* Logger.named("env")
        yield* log.info("below the level", { n: 1 })
        yield* log.warn("kept", { n: 2 })
      }).pipe(Effect.provide(Fapilog.live), withEnv({ FAPILOG_FILE: file, FAPILOG_LEVEL: "Warn" }))
      const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l))
      assert.deepStrictEqual(lines.map((l) => [l.logger, l.level, l.msg, l.n]), [["env", "WARN", "kept", 2]])
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("redaction is on by default, before any sink; redact: false turns it off", () =>
    Effect.gen(function*() {
      const on = Sink.memory()
      const off = Sink.memory()
      const program = Effect.logInfo("token in message: Bearer abcdefgh12345678", { password: "hunter2", nested: { api_key: "k" } })
      yield* program.pipe(Effect.provide(Fapilog.layer({ sinks: [on] })))
      yield* program.pipe(Effect.provide(Fapilog.layer({ sinks: [off], redact: false })))
      assert.notInclude(on.linesUnsafe()[0], "hunter2")
      assert.notInclude(on.linesUnsafe()[0], "abcdefgh12345678")
      assert.include(on.linesUnsafe()[0], "[REDACTED]")
      assert.include(off.linesUnsafe()[0], "hunter2")
      const env = yield* Config.fromEnv.pipe(withEnv({ FAPILOG_REDACT: "false" }))
      assert.strictEqual(env.redact, false)
    }))

  it.effect("mode: sync writes inline: the sink has the event as soon as the call returns", () =>
    Effect.gen(function*() {
      const { memory, program } = syncProgram()
      yield* program
      assert.deepStrictEqual(memory.eventsUnsafe().map((e) => e.message), ["one", "two"])
    }))
})

const syncProgram = () => {
  const memory = Sink.memory()
  const program = Effect.gen(function*() {
    const log = yield* Logger.named("job")
    yield* log.info("one")
    assert.strictEqual(memory.eventsUnsafe().length, 1)
    yield* Effect.logInfo("two")
    assert.strictEqual(memory.eventsUnsafe().length, 2)
  }).pipe(Effect.provide(Fapilog.layer({ sinks: [memory], mode: "sync" })))
  return { memory, program }
}
