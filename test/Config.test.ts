import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Result } from "effect"
import fc from "fast-check"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as util from "node:util"
import * as Config from "../src/Config.ts"
import * as Fapilog from "../src/Fapilog.ts"
import * as Logger from "../src/Logger.ts"
import * as Sink from "../src/Sink.ts"

const withEnv = (env: Record<string, string>) =>
  Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))

const buildLive = (env: Record<string, string>) =>
  Effect.scoped(Layer.build(Fapilog.live)).pipe(withEnv(env), Effect.flip)

/** The message of the one error `Config.fromEnv` fails with under `env`. */
const envError = (env: Record<string, string>) =>
  Config.fromEnv.pipe(withEnv(env), Effect.flip, Effect.map((error) => error.message))

/** The entries of one `fromEnv` error message, one per bad variable or `FAPILOG_LEVELS` entry. */
const entriesOf = (message: string): ReadonlyArray<string> => {
  assert.match(message, /^SourceError: invalid environment: /)
  return message.replace(/^SourceError: invalid environment: /, "").split("; ")
}

/** Options given in code exactly as a JSON file would give them (any value, any spelling). */
const fromJson = (options: Record<string, unknown>): Config.Options => options as Config.Options

const invalidOption = (options: Record<string, unknown>) => Effect.flip(Config.resolve(fromJson(options)))

const levelsExpected = "one of Trace, Debug, Info, Warn, Error, Fatal, All, None (any case)"

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

describe("Config.fromEnv: one rule for every variable", () => {
  const read = (env: Record<string, string>) => Config.fromEnv.pipe(withEnv(env))

  it.effect("names in any case, surrounding spaces ignored", () =>
    Effect.gen(function*() {
      const options = yield* read({
        FAPILOG_LEVEL: " none ",
        FAPILOG_FORMAT: "PRETTY",
        FAPILOG_QUEUE_POLICY: "DROPNEWEST",
        FAPILOG_MODE: "SYNC",
        FAPILOG_BATCH_WAIT: "2 Seconds",
        FAPILOG_QUEUE_CAPACITY: " 42 "
      })
      assert.strictEqual(options.level, "None")
      assert.deepStrictEqual(options.queue, { capacity: 42, policy: "dropNewest" })
      assert.strictEqual(options.mode, "sync")
      assert.strictEqual(options.batch!.maxWait, "2 seconds")
      assert.strictEqual((yield* read({ FAPILOG_FORMAT: "JSON" })).sinks![0]!.name, "stdout")
      assert.strictEqual((yield* read({ FAPILOG_QUEUE_POLICY: "Block" })).queue!.policy, "block")
      assert.strictEqual((yield* read({ FAPILOG_MODE: "Async" })).mode, "async")
      for (const level of ["trace", "DEBUG", "Info", "wArN", "error", "FATAL", "all"]) {
        assert.strictEqual((yield* read({ FAPILOG_LEVEL: level })).level, level[0]!.toUpperCase() + level.slice(1).toLowerCase())
      }
    }))

  it.effect("FAPILOG_REDACT accepts exactly true/false/1/0/yes/no/on/off in any case", () =>
    Effect.gen(function*() {
      for (const [value, on] of [["true", true], ["TRUE", true], ["1", true], ["Yes", true], ["ON", true], ["false", false], ["False", false], ["0", false], ["NO", false], ["off", false]] as const) {
        assert.deepStrictEqual((yield* read({ FAPILOG_REDACT: value })).redact, on ? {} : false, value)
      }
      for (const value of ["maybe", "y", "n", "2", "enabled", "t"]) {
        const message = yield* envError({ FAPILOG_REDACT: value })
        assert.include(message, `FAPILOG_REDACT=${JSON.stringify(value)}: expected one of true, false, 1, 0, yes, no, on, off (any case)`)
      }
    }))

  it.effect("a variable that is empty or only spaces is unset", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* read({ FAPILOG_FILE: "" })).sinks!.map((s) => s.name), ["stdout"])
      assert.deepStrictEqual((yield* read({ FAPILOG_FILE: "  " })).sinks!.map((s) => s.name), ["stdout"])
      const blank = yield* read({ FAPILOG_LEVEL: " ", FAPILOG_QUEUE_CAPACITY: "", FAPILOG_REDACT: "\t" })
      assert.deepStrictEqual([blank.level, blank.queue!.capacity, blank.redact], ["Info", 10_000, {}])
    }))

  const bad: ReadonlyArray<readonly [variable: string, values: ReadonlyArray<string>, expected: string]> = [
    ["FAPILOG_LEVEL", ["Loud", "verbose", "debug2", "3", "warning"], levelsExpected],
    ["FAPILOG_FORMAT", ["xml", "yaml", "jsonl"], "one of json, pretty (any case)"],
    ["FAPILOG_QUEUE_CAPACITY", ["lots", "0", "-1", "1.5", "1e3", "10_000", "9007199254740993"], "a positive integer"],
    ["FAPILOG_QUEUE_POLICY", ["fast", "drop_newest", "dropnewest!"], "one of dropOldest, dropNewest, block (any case)"],
    ["FAPILOG_BATCH_SIZE", ["-1", "0", "many", "2.0"], "a positive integer"],
    ["FAPILOG_BATCH_WAIT", ["soon", "50", "-5 millis", "Infinity", "5 fortnights"], `a finite duration of 0 or more, such as "50 millis" or "5 seconds"`],
    ["FAPILOG_MODE", ["turbo", "synchronous"], "one of async, sync (any case)"]
  ]
  for (const [variable, values, expected] of bad) {
    it.effect(`bad spellings of ${variable}: ${values.join(" | ")}`, () =>
      Effect.gen(function*() {
        for (const value of values) {
          const message = yield* envError({ [variable]: value })
          assert.deepStrictEqual(entriesOf(message), [`${variable}=${JSON.stringify(value)}: expected ${expected}`])
        }
      }))
  }

  it.effect("FAPILOG_LEVELS becomes the loggers option: levels in any case, names as given", () =>
    Effect.gen(function*() {
      const options = yield* read({ FAPILOG_LEVELS: "payments=debug, db.pool = WARN ,root=Info," })
      assert.deepStrictEqual(options.loggers, { payments: { level: "Debug" }, "db.pool": { level: "Warn" }, root: { level: "Info" } })
      assert.isUndefined((yield* read({})).loggers)
      const proto = yield* read({ FAPILOG_LEVELS: "__proto__=debug" })
      assert.deepStrictEqual(Object.entries(proto.loggers!), [["__proto__", { level: "Debug" }]])
    }))

  it.effect("FAPILOG_LEVELS: every bad entry is reported by name, in one error", () =>
    Effect.gen(function*() {
      const message = yield* envError({ FAPILOG_LEVELS: "payments,=debug,a..b=debug,a b=info,db=loud,x=info,x=warn,ok=error" })
      const name = `expected a logger name: parts separated by single dots, without spaces, "=" or ","`
      assert.deepStrictEqual(entriesOf(message), [
        `FAPILOG_LEVELS entry "payments": expected name=level`,
        `FAPILOG_LEVELS name "": ${name}`,
        `FAPILOG_LEVELS name "a..b": ${name}`,
        `FAPILOG_LEVELS name "a b": ${name}`,
        `FAPILOG_LEVELS["db"]="loud": expected ${levelsExpected}`,
        `FAPILOG_LEVELS name "x": given more than once`
      ])
    }))

  it.effect("every bad variable is reported in one error, in the order of the guide", () =>
    Effect.gen(function*() {
      const message = yield* envError({
        FAPILOG_REDACT: "maybe",
        FAPILOG_QUEUE_POLICY: "fast",
        FAPILOG_LEVEL: "loud",
        FAPILOG_BATCH_SIZE: "0"
      })
      assert.deepStrictEqual(entriesOf(message), [
        `FAPILOG_LEVEL="loud": expected ${levelsExpected}`,
        `FAPILOG_QUEUE_POLICY="fast": expected one of dropOldest, dropNewest, block (any case)`,
        `FAPILOG_BATCH_SIZE="0": expected a positive integer`,
        `FAPILOG_REDACT="maybe": expected one of true, false, 1, 0, yes, no, on, off (any case)`
      ])
    }))

  it.effect("a bad OTLP variable is reported in the same error as the FAPILOG_ ones", () =>
    Effect.gen(function*() {
      const message = yield* envError({
        FAPILOG_MODE: "turbo",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign"
      })
      assert.include(message, `FAPILOG_MODE="turbo"`)
      assert.include(message, "OTEL_EXPORTER_OTLP_HEADERS")
    }))

  it.effect("FapilogLive with several bad variables fails once, with a ConfigError naming all of them", () =>
    Effect.gen(function*() {
      const error = yield* buildLive({ FAPILOG_LEVEL: "loud", FAPILOG_MODE: "turbo", FAPILOG_REDACT: "maybe" })
      assert.strictEqual(error._tag, "ConfigError")
      for (const variable of ["FAPILOG_LEVEL", "FAPILOG_MODE", "FAPILOG_REDACT"]) assert.include(error.message, variable)
    }))
})

describe("one rule: a name means the same in code and in the environment", () => {
  const randomCase = (word: string) =>
    fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) =>
      Array.from(word, (c, i) => upper[i] ? c.toUpperCase() : c.toLowerCase()).join("")
    )
  const padded = (word: fc.Arbitrary<string>) =>
    fc.tuple(fc.constantFrom("", " ", "  "), word, fc.constantFrom("", " ")).map(([a, w, b]) => a + w + b)
  // a known name in any case and spacing, or any other string
  const spelling = (names: ReadonlyArray<string>) =>
    fc.oneof(padded(fc.constantFrom(...names).chain(randomCase)), fc.string({ maxLength: 12 }))
  const cases = [
    ["level", "FAPILOG_LEVEL", ["Trace", "Debug", "Info", "Warn", "Error", "Fatal", "All", "None"]],
    ["queue.policy", "FAPILOG_QUEUE_POLICY", ["dropOldest", "dropNewest", "block"]],
    ["mode", "FAPILOG_MODE", ["async", "sync"]]
  ] as const
  const inCode = (option: string, value: string): Config.Options =>
    option === "queue.policy" ? fromJson({ queue: { policy: value } }) : fromJson({ [option]: value })
  const fromResolved = (option: string, r: Config.Resolved) =>
    option === "level" ? r.level : option === "mode" ? r.mode : r.policy
  const fromOptions = (option: string, o: Config.Options) =>
    option === "level" ? o.level : option === "mode" ? o.mode : o.queue?.policy

  for (const [option, variable, names] of cases) {
    it(`${option} and ${variable} accept the same spellings and give the same canonical name`, () =>
      fc.assert(fc.property(spelling(names), (value) => {
        const code = Effect.runSync(Effect.result(Config.resolve(inCode(option, value))))
        const env = Effect.runSync(Effect.result(Config.fromEnv.pipe(withEnv({ [variable]: value }))))
        const canonical = names.find((n) => n.toLowerCase() === value.trim().toLowerCase())
        if (value.trim() === "") {
          // an empty variable is an unset one; an empty name in code is a bad name
          assert.isTrue(Result.isSuccess(env))
          assert.isTrue(Result.isFailure(code))
        } else if (canonical === undefined) {
          assert.isTrue(Result.isFailure(code) && code.failure.option === option)
          assert.isTrue(Result.isFailure(env) && env.failure.message.includes(variable))
        } else {
          assert.strictEqual(Result.isSuccess(code) && fromResolved(option, code.success), canonical)
          assert.strictEqual(Result.isSuccess(env) && fromOptions(option, env.success), canonical)
        }
      })))
  }
})

describe("Config.resolve: options in code as strictly as from the environment", () => {
  it.effect("level names in any case become Effect's spelling, per logger too", () =>
    Effect.gen(function*() {
      const resolved = yield* Config.resolve(fromJson({
        level: "debug",
        queue: { policy: "DROPNEWEST" },
        mode: "SYNC",
        loggers: { "db.pool": { level: "warn" }, payments: {}, root: { level: "TRACE" } }
      }))
      assert.strictEqual(resolved.level, "Debug")
      assert.strictEqual(resolved.policy, "dropNewest")
      assert.strictEqual(resolved.mode, "sync")
      assert.deepStrictEqual(resolved.loggers, { "db.pool": { level: "Warn" }, payments: {}, root: { level: "Trace" } })
    }))

  it.effect("level: \"debug\" (lowercase, as from JSON): plain Effect.logError and Effect.logDebug lines are written", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      yield* Effect.gen(function*() {
        yield* Effect.logDebug("debug line")
        yield* Effect.logError("error line")
      }).pipe(Effect.provide(Fapilog.layer(fromJson({ level: "debug", sinks: [memory] }))))
      assert.deepStrictEqual(memory.eventsUnsafe().map((e) => [e.level, e.message]), [["Debug", "debug line"], ["Error", "error line"]])
    }))

  it.effect("an unknown level is InvalidOptions naming the option", () =>
    Effect.gen(function*() {
      const error = yield* Effect.scoped(Layer.build(Fapilog.layer(fromJson({ level: "verbose", sinks: [Sink.memory()] })))).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidOptions")
      assert.strictEqual((error as Config.InvalidOptions).option, "level")
      assert.strictEqual(error.message, `level="verbose": expected ${levelsExpected}`)
      const perLogger = yield* invalidOption({ loggers: { "db.pool": { level: "loud" } } })
      assert.strictEqual(perLogger.option, `loggers["db.pool"].level`)
      assert.strictEqual(perLogger.message, `loggers["db.pool"].level="loud": expected ${levelsExpected}`)
    }))

  const bad: ReadonlyArray<readonly [option: string, options: Record<string, unknown>]> = [
    ["level", { level: 3 }],
    ["level", { level: "warning" }],
    ["queue", { queue: 10 }],
    ["queue.capacity", { queue: { capacity: 0 } }],
    ["queue.capacity", { queue: { capacity: 1.5 } }],
    ["queue.capacity", { queue: { capacity: "100" } }],
    ["queue.capacity", { queue: { capacity: Number.POSITIVE_INFINITY } }],
    ["queue.policy", { queue: { policy: "fast" } }],
    ["batch.maxSize", { batch: { maxSize: -1 } }],
    ["batch.maxWait", { batch: { maxWait: "soon" } }],
    ["batch.maxWait", { batch: { maxWait: Number.NaN } }],
    ["drainTimeout", { drainTimeout: -5 }],
    ["dropSummaryInterval", { dropSummaryInterval: "-1 seconds" }],
    ["sinkTimeout", { sinkTimeout: "Infinity" }],
    ["idleTimeToLive", { idleTimeToLive: "forever" }],
    ["sinkTimeout", { sinkTimeout: { timeout: 5 } }],
    ["sinkRetries", { sinkRetries: -1 }],
    ["maxRestarts", { maxRestarts: 2.5 }],
    ["mode", { mode: "turbo" }],
    ["sinks", { sinks: { name: "memory" } }],
    ["sinks", { sinks: [{ name: "fake" }] }],
    ["pipeline", { pipeline: "identity" }],
    ["redact", { redact: true }],
    ["rootName", { rootName: "" }],
    ["loggers", { loggers: "db=warn" }],
    ["loggers", { loggers: { "a..b": { level: "Warn" } } }],
    [`loggers["db"]`, { loggers: { db: "warn" } }]
  ]
  for (const [option, options] of bad) {
    it.effect(`InvalidOptions naming ${option}: ${util.inspect(options, { depth: 2, breakLength: Infinity })}`, () =>
      Effect.gen(function*() {
        const error = yield* invalidOption(options)
        assert.strictEqual(error._tag, "InvalidOptions")
        assert.strictEqual(error.option, option)
        assert.match(error.message, /: expected /)
      }))
  }

  it.effect("every documented default still resolves, and 0 is a valid duration and retry count", () =>
    Effect.gen(function*() {
      const resolved = yield* Config.resolve({ batch: { maxWait: 0 }, sinkRetries: 0, maxRestarts: 0, drainTimeout: { seconds: 2 } })
      assert.strictEqual(resolved.batchWait, 0)
      assert.strictEqual(resolved.sinkRetries, 0)
      assert.deepStrictEqual(resolved.drainTimeout, { seconds: 2 })
      assert.strictEqual(resolved.rootName, "root")
      assert.deepStrictEqual(resolved.loggers, {})
    }))
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
      // a parent directory cannot be made under a regular file
      const file = path.join("/dev/null", "nested", "app.jsonl")
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

describe("docs/guide/configuration.md: the messages it shows are the real ones", () => {
  const guide = fs.readFileSync(path.join(import.meta.dirname, "..", "docs", "guide", "configuration.md"), "utf8")
  const section = (heading: string) => {
    const start = guide.indexOf(`\n## ${heading}\n`)
    assert.isAtLeast(start, 0, `the guide has a section "${heading}"`)
    const end = guide.indexOf("\n## ", start + 1)
    return guide.slice(start, end < 0 ? undefined : end)
  }
  /** Rows of the section's tables whose first two cells are each one code span. */
  const rows = (text: string) =>
    Array.from(text.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|/gm), (m) => [m[1]!, m[2]!] as const)
  const errors = section("Error messages")
  const envRows = rows(errors).filter(([input]) => /^[A-Z_]+=/.test(input))
  const codeRows = rows(errors).filter(([input]) => !/^[A-Z_]+=/.test(input))
  const assignment = (text: string): [string, string] => {
    const equals = text.indexOf("=")
    return [text.slice(0, equals), text.slice(equals + 1)]
  }

  it("has examples of both kinds", () => {
    assert.isAtLeast(envRows.length, 10)
    assert.isAtLeast(codeRows.length, 10)
  })

  it.effect("every environment example: the error is that entry, and only it", () =>
    Effect.gen(function*() {
      for (const [input, entry] of envRows) {
        const message = yield* envError(Object.fromEntries([assignment(input)]))
        assert.deepStrictEqual(entriesOf(message), [entry], input)
      }
    }))

  it.effect("every code example: the InvalidOptions message is that text", () =>
    Effect.gen(function*() {
      for (const [input, message] of codeRows) {
        const options = new Function(`return ({ ${input} })`)() as Record<string, unknown>
        const error = yield* invalidOption(options)
        assert.strictEqual(error.message, message, input)
        assert.isTrue(message.startsWith(error.option), `${message} starts with the option ${error.option}`)
      }
    }))

  it.effect("the whole-error example: three bad variables in one ConfigError, as printed", () =>
    Effect.gen(function*() {
      const command = /```sh\n(.*)\n```/.exec(errors)![1]!
      const env = Object.fromEntries(command.split(" ").filter((word) => /^[A-Z_]+=/.test(word)).map(assignment))
      assert.strictEqual(Object.keys(env).length, 3)
      const printed = /```text\n(.*)\n```/.exec(errors)![1]!
      const error = yield* Config.fromEnv.pipe(withEnv(env), Effect.flip)
      assert.strictEqual(String(error), printed)
    }))

  it("every FAPILOG_ variable the code reads is in the variables table, and has an error example unless it cannot be bad", () => {
    const source = fs.readFileSync(path.join(import.meta.dirname, "..", "src", "Config.ts"), "utf8")
    const read = new Set(Array.from(source.matchAll(/"(FAPILOG_[A-Z_]+)"/g), (m) => m[1]!))
    const table = section("Environment variables (`FapilogLive`)")
    const documented = new Set(Array.from(table.matchAll(/^\| `(FAPILOG_[A-Z_]+)` \|/gm), (m) => m[1]!))
    assert.deepStrictEqual([...documented].sort(), [...read].sort())
    const exemplified = new Set(envRows.map(([input]) => assignment(input)[0]))
    assert.deepStrictEqual([...read].filter((v) => !exemplified.has(v)), ["FAPILOG_FILE"])
  })
})
