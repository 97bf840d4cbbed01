/**
 * Hostile input (issue 8): generated payloads built by an attacker go through the Redactor, the
 * Encoder and the whole layer. Nothing throws, one event is exactly one parseable line (no line
 * forging), secrets planted under the default keys never reach a sink, prototypes are not
 * polluted and `__proto__`/`constructor`/`prototype` keys do not vanish; huge payloads are capped
 * with a marker in bounded time.
 *
 * Default tier: 2,000 generated cases through Redactor + Encoder (+ 500 through the layer);
 * slow tier (`FAPILOG_SLOW=1`): 100,000 (+ 5,000).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import * as fs from "node:fs"
import { createServer as createHttpServer } from "node:http"
import { createServer as createNetServer } from "node:net"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import * as Aggregator from "../src/Aggregator.ts"
import * as Encoder from "../src/Encoder.ts"
import * as Enricher from "../src/Enricher.ts"
import * as Fapilog from "../src/Fapilog.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Logger from "../src/Logger.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Redactor from "../src/Redactor.ts"
import * as Sampler from "../src/Sampler.ts"
import * as Sink from "../src/Sink.ts"

const slow = process.env["FAPILOG_SLOW"] === "1"
const directRuns = slow ? 100_000 : 2_000
const layerCases = slow ? 5_000 : 500

// -----------------------------------------------------------------------------
// generators
// -----------------------------------------------------------------------------

/** Pieces an attacker would put in a string. */
const nasty = fc.constantFrom(
  "\n",
  "\r",
  "\r\n",
  "\u2028",
  "\u2029",
  "\u0000",
  "\u001b[31m",
  "\u001b[2J\u001b[H",
  "\u0085",
  "\ud800",
  "\udfff",
  "\udbff\udfff",
  "\"",
  "\\",
  "\\n",
  "\n{\"time\":\"2020-01-01T00:00:00.000Z\",\"level\":\"ERROR\",\"logger\":\"auth\",\"msg\":\"forged\"}\n",
  "\r\n2020-01-01 ERROR [auth] forged",
  "</script>",
  "${jndi:ldap://x/a}",
  "%s%n%x"
)

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 40 }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(nasty, fc.string({ maxLength: 8 })), { maxLength: 6 }).map((a) => a.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  // big (a few hundred KB at most, so 100,000 cases stay affordable; the 10 MB case is below)
  { weight: 1, arbitrary: fc.tuple(nasty, fc.integer({ min: 1_000, max: 300_000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length))) }
)

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "time", "level", "msg", "logger", "cause", "spans", ""),
  hostileString.filter((s) => s.length < 64)
)

const hostileValue: fc.Arbitrary<unknown> = fc.anything({
  key: hostileKey,
  values: [hostileString, fc.double(), fc.bigInt(), fc.boolean(), fc.constant(null), fc.constant(undefined)],
  maxDepth: 4,
  maxKeys: 6,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withObjectString: true
})

/** Turns a generated value into something worse: cycles, throwing getters, throwing proxies. */
const sabotage = (value: unknown, how: number): unknown => {
  switch (how) {
    case 0: {
      const o: Record<string, unknown> = { value }
      o["self"] = o
      o["list"] = [o, value]
      return o
    }
    case 1: {
      const o = { value }
      Object.defineProperty(o, "boom", { enumerable: true, get: () => { throw new Error("getter") } })
      return o
    }
    case 2:
      return new Proxy({ value }, {
        ownKeys: () => { throw new Error("ownKeys trap") },
        get: () => { throw new Error("get trap") },
        getOwnPropertyDescriptor: () => { throw new Error("gOPD trap") },
        has: () => { throw new Error("has trap") },
        getPrototypeOf: () => { throw new Error("getPrototypeOf trap") }
      })
    case 3: {
      const e = new Error(typeof value === "string" ? value : "err")
      ;(e as unknown as Record<string, unknown>)["detail"] = value
      ;(e as unknown as Record<string, unknown>)["cause"] = e
      return e
    }
    case 4:
      return { toJSON: () => { throw new Error("toJSON") }, value }
    case 5:
      return Redacted.make(value)
    default:
      return value
  }
}

const SECRET = "S3CR3T-zq81"

interface Case {
  readonly message: string
  readonly fields: Record<string, unknown>
  readonly annotations: Record<string, unknown>
  readonly secrets: ReadonlyArray<string>
}

/** A hostile event with secrets planted under default secret keys at several depths. */
const hostileCase: fc.Arbitrary<Case> = fc.record({
  message: hostileString,
  entries: fc.array(fc.tuple(hostileKey, hostileValue, fc.integer({ min: 0, max: 9 })), { maxLength: 6 }),
  annotation: fc.tuple(hostileKey, hostileValue),
  nonce: fc.nat(),
  secretKey: fc.constantFrom("password", "Password", "db_password", "api_key", "X-Api-Key", "apiKey", "token", "access_token", "refreshToken", "client_secret", "authorization", "Cookie", "session", "ssn", "cvv", "private_key"),
  depth: fc.integer({ min: 0, max: 6 })
}).map(({ message, entries, annotation, nonce, secretKey, depth }) => {
  const secret = `${SECRET}-${nonce}`
  const fields: Record<string, unknown> = {}
  for (const [k, v, how] of entries) define(fields, k, sabotage(v, how))
  // planted: at the top, nested `depth` levels down, inside an array, and in the annotations
  let nested: Record<string, unknown> = { [secretKey]: secret }
  for (let i = 0; i < depth; i++) nested = { [`level${i}`]: nested }
  define(fields, secretKey, secret)
  define(fields, "nested", nested)
  define(fields, "items", [{ id: 1, [secretKey]: secret }, message])
  const annotations: Record<string, unknown> = {}
  define(annotations, annotation[0], annotation[1])
  define(annotations, "auth", { user: "u", credentials: secret })
  return { message, fields, annotations, secrets: [secret] }
})

// -----------------------------------------------------------------------------
// tests
// -----------------------------------------------------------------------------

describe("hostile input", () => {
  const redact = Redactor.make()
  const pretty = Encoder.pretty({ colors: false })
  const prototypes = snapshotPrototypes()

  it(`Redactor + Encoder over ${directRuns.toLocaleString("en")} generated events: never throws, one parseable line, no forging, no secret, no pollution`, () => {
    const started = performance.now()
    let cases = 0
    fc.assert(
      fc.property(hostileCase, fc.constantFrom<LogEvent.LogEvent["level"]>("Info", "Debug"), (c, level) => {
        cases++
        const event = LogEvent.make({ timestamp: 1_700_000_000_000, level, message: c.message, logger: "hostile", fields: c.fields, annotations: c.annotations })
        const redacted = redact(event)
        const line = Encoder.json.encode(redacted)
        assertOneLine(line)
        const parsed = JSON.parse(line) as Record<string, unknown>
        // the forged `{"level":"ERROR"...}` inside the message stays inside the message
        assert.strictEqual(parsed["level"], level === "Info" ? "INFO" : "DEBUG")
        assert.strictEqual(parsed["logger"], "hostile")
        assert.strictEqual(typeof parsed["msg"], "string")
        const batch = Encoder.json.encodeBatch([redacted, redacted])
        assert.strictEqual(batch, `${line}\n${line}\n`)
        const human = pretty.encode(redacted)
        assertNoForgedLine(human)
        assert.notInclude(human, "\u001b", "raw ESC in the pretty line")
        for (const s of c.secrets) {
          assert.notInclude(line, s)
          assert.notInclude(human, s)
        }
        assertPrototypesIntact(prototypes)
      }),
      { numRuns: directRuns }
    )
    const ms = performance.now() - started
    console.log(`[figure] hostile: ${cases.toLocaleString("en")} generated events through Redactor + JSON + pretty encoders in ${(ms / 1000).toFixed(1)} s: 0 throws, 0 forged lines, 0 forged levels, 0 leaked secrets, prototypes intact`)
  }, slow ? 900_000 : 120_000)

  it.effect(`the whole layer (redaction pipeline, memory + file sinks) over ${layerCases.toLocaleString("en")} generated events: one line per event, no secret`, () =>
    Effect.gen(function*() {
      const cases = fc.sample(hostileCase, { numRuns: layerCases, seed: 42 })
      const memory = Sink.memory()
      const dir = fs.mkdtempSync(path.join(mkTmp(), "layer-"))
      const file = path.join(dir, "out.jsonl")
      const started = performance.now()
      yield* Effect.gen(function*() {
        const log = yield* Logger.named("hostile")
        for (const c of cases) {
          yield* Effect.annotateLogs(log.info(c.message, c.fields), c.annotations)
          yield* Effect.annotateLogs(Effect.logWarning(c.message, c.fields), c.annotations)
        }
      }).pipe(Effect.provide(Fapilog.layer({
        sinks: [memory, Sink.file(file)],
        pipeline: Redactor.pipeline(),
        queue: { capacity: 100_000 }
      })))
      const ms = performance.now() - started
      const lines = memory.linesUnsafe()
      const fileLines = fs.readFileSync(file, "utf8").split("\n")
      assert.strictEqual(fileLines.pop(), "")
      // two events per case (facade + Effect.logWarning), no WARN summary: nothing was dropped
      assert.strictEqual(lines.length, 2 * cases.length)
      assert.strictEqual(fileLines.length, 2 * cases.length)
      assertPrototypesIntact(prototypes)
      for (const out of [lines, fileLines]) {
        let infos = 0
        let warns = 0
        for (const line of out) {
          assertOneLine(line)
          const parsed = JSON.parse(line) as Record<string, unknown>
          if (parsed["level"] === "INFO") infos++
          else if (parsed["level"] === "WARN") warns++
          assert.notInclude(line, SECRET)
        }
        assert.strictEqual(infos, cases.length)
        assert.strictEqual(warns, cases.length)
      }
      fs.rmSync(dir, { recursive: true, force: true })
      console.log(`[figure] hostile through the layer: ${(2 * cases.length).toLocaleString("en")} events → ${lines.length.toLocaleString("en")} memory lines and ${fileLines.length.toLocaleString("en")} file lines, all parseable, 0 leaked secrets (${ms.toFixed(0)} ms)`)
    }), slow ? 600_000 : 120_000)

  it.effect("no planted secret reaches any sink type: memory, file, stdout JSON, pretty console", () =>
    Effect.gen(function*() {
      const cases = fc.sample(hostileCase, { numRuns: 200, seed: 7 })
      const memory = Sink.memory()
      const dir = fs.mkdtempSync(path.join(mkTmp(), "sinks-"))
      const file = path.join(dir, "out.jsonl")
      const captured = yield* captureStdout(
        Effect.gen(function*() {
          const log = yield* Logger.named("sinks")
          for (const c of cases) yield* Effect.annotateLogs(log.info(c.message, c.fields), c.annotations)
          yield* log.info("explicit", { password: `${SECRET}-x`, auth: `${SECRET}-y`, r: Redacted.make(`${SECRET}-z`), url: `postgres://app:${SECRET}@db/prod` })
        }).pipe(Effect.provide(Fapilog.layer({
          sinks: [memory, Sink.file(file), Sink.stdout(), Sink.pretty({ colors: false })],
          pipeline: Redactor.pipeline()
        })))
      )
      const outputs: Record<string, string> = {
        memory: memory.linesUnsafe().join("\n"),
        file: fs.readFileSync(file, "utf8"),
        "stdout (json + pretty)": captured
      }
      for (const [name, text] of Object.entries(outputs)) {
        assert.notInclude(text, SECRET, `a secret reached the ${name} sink`)
        assert.notInclude(text, "\u001b", `raw ESC in the ${name} sink`)
      }
      // every event gave one line in each of the two stdout formats (the pretty one may continue
      // on indented lines: errors, wrapped fields)
      const stdoutLines = captured.split("\n")
      assert.strictEqual(stdoutLines.pop(), "")
      assert.strictEqual(stdoutLines.filter((l) => !l.startsWith(" ")).length, 2 * (cases.length + 1))
      assert.strictEqual(memory.linesUnsafe().length, cases.length + 1)
      fs.rmSync(dir, { recursive: true, force: true })
      console.log(`[figure] secrets: ${cases.length + 1} events with planted secrets → memory, file, stdout JSON and pretty: 0 secrets, 0 raw ESC, one line per event per sink`)
    }))

  it.live("no planted secret reaches the wire either: OTLP (JSON and protobuf) and syslog bytes", () =>
    Effect.gen(function*() {
      const cases = fc.sample(hostileCase, { numRuns: 100, seed: 11 })
      const bodies: Array<Buffer> = []
      const http = createHttpServer((req, res) => {
        const parts: Array<Buffer> = []
        req.on("data", (d: Buffer) => parts.push(d))
        req.on("end", () => {
          bodies.push(Buffer.concat(parts))
          res.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      const syslogBytes: Array<Buffer> = []
      const tcp = createNetServer((socket) => socket.on("data", (d: Buffer) => syslogBytes.push(d)))
      const listen = (server: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown }) =>
        Effect.callback<number>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as { port: number }).port)))
        })
      const httpPort = yield* listen(http)
      const tcpPort = yield* listen(tcp)
      yield* Effect.gen(function*() {
        const log = yield* Logger.named("wire")
        for (const c of cases) yield* Effect.annotateLogs(log.info(c.message, c.fields), c.annotations)
        yield* log.info("explicit", { password: `${SECRET}-x`, r: Redacted.make(`${SECRET}-z`), url: `https://app:${SECRET}@db/prod` })
      }).pipe(Effect.provide(Fapilog.layer({
        sinks: [
          Sink.otlp({ url: `http://127.0.0.1:${httpPort}/v1/logs`, encoding: "json" }),
          Sink.otlp({ url: `http://127.0.0.1:${httpPort}/v1/logs`, encoding: "protobuf" }),
          Sink.syslog({ host: "127.0.0.1", port: tcpPort, transport: "tcp" })
        ],
        pipeline: Redactor.pipeline()
      })))
      yield* Effect.promise(() => new Promise<void>((resolve) => http.close(() => resolve())))
      yield* Effect.promise(() => new Promise<void>((resolve) => tcp.close(() => resolve())))
      const otlp = Buffer.concat(bodies).toString("latin1")
      const syslog = Buffer.concat(syslogBytes).toString("latin1")
      // what the sinks received is real: each kind got every event
      assert.isAtLeast(bodies.length, 2)
      assert.include(otlp, "explicit")
      assert.include(syslog, "explicit")
      assert.notInclude(otlp, SECRET, "a secret reached the OTLP bytes")
      assert.notInclude(syslog, SECRET, "a secret reached the syslog bytes")
      console.log(`[figure] secrets over the wire: ${cases.length + 1} events → OTLP JSON + protobuf (${bodies.length} requests) and syslog/TCP (${syslog.length} bytes): 0 secrets`)
    }), 60_000)

  it.effect("a field with a throwing getter goes through every pipeline stage, and its neighbours too", () =>
    Effect.gen(function*() {
      const memory = Sink.memory()
      const hostile = {
        ok: 1,
        get boom(): never {
          throw new Error("getter")
        }
      }
      const log = Effect.gen(function*() {
        const l = yield* Logger.named("hostile-getter")
        yield* l.info("before")
        yield* Logger.withCorrelationId("r1")(l.info("hostile", hostile))
        yield* l.with(hostile).warn("bound hostile", { extra: true })
        yield* l.info("after")
        return yield* l.metrics
      })
      const m = yield* log.pipe(Effect.provide(Fapilog.layer({
        sinks: [memory],
        pipeline: Pipeline.compose(
          Enricher.pipeline({ service: "svc" }),
          Sampler.byCorrelation({ rate: 1 }),
          Sampler.adaptive({ targetPerSecond: 1000 }),
          Aggregator.repetitive(),
          Redactor.pipeline()
        )
      })))
      assert.deepStrictEqual(memory.eventsUnsafe().map((e) => e.message), ["before", "hostile", "bound hostile", "after"])
      assert.strictEqual(m.restarts, 0)
      assert.include(memory.linesUnsafe()[1], "[Throws: getter]")
    }))

  it("__proto__, constructor and prototype keys neither pollute prototypes nor vanish (through redaction that copies)", () => {
    const fields = JSON.parse(
      "{\"__proto__\":{\"polluted\":\"yes\"},\"constructor\":{\"prototype\":{\"polluted\":\"yes\"}},\"prototype\":\"p\",\"password\":\"hunter2\",\"nested\":{\"__proto__\":{\"isAdmin\":true},\"token\":\"t\"}}"
    ) as Record<string, unknown>
    const event = LogEvent.make({ timestamp: 0, level: "Info", message: "m", logger: "x", fields, annotations: { __proto__: null, constructor: "c" } as Record<string, unknown> })
    for (const e of [event, redact(event)]) {
      const parsed = JSON.parse(Encoder.json.encode(e)) as Record<string, unknown>
      assert.isTrue(Object.hasOwn(parsed, "__proto__"), "__proto__ vanished")
      assert.deepStrictEqual(parsed["__proto__"], { polluted: "yes" })
      assert.deepStrictEqual(parsed["constructor"], { prototype: { polluted: "yes" } })
      assert.strictEqual(parsed["prototype"], "p")
      const nested = parsed["nested"] as Record<string, unknown>
      assert.isTrue(Object.hasOwn(nested, "__proto__"), "nested __proto__ vanished")
      assert.deepStrictEqual(nested["__proto__"], { isAdmin: true })
    }
    const redactedLine = JSON.parse(Encoder.json.encode(redact(event))) as Record<string, unknown>
    assert.strictEqual(redactedLine["password"], "[REDACTED]")
    assert.strictEqual((redactedLine["nested"] as Record<string, unknown>)["token"], "[REDACTED]")
    assertPrototypesIntact(prototypes)
    assert.strictEqual(({} as Record<string, unknown>)["polluted"], undefined)
    assert.strictEqual(({} as Record<string, unknown>)["isAdmin"], undefined)
  })

  describe("huge payloads are capped with a marker in bounded time", () => {
    const measure = (label: string, fields: Record<string, unknown>, marker: RegExp) => {
      const started = performance.now()
      const redacted = redact(LogEvent.make({ timestamp: 0, level: "Info", message: "huge", logger: "x", fields }))
      const line = Encoder.json.encode(redacted)
      const ms = performance.now() - started
      assertOneLine(line)
      JSON.parse(line)
      assert.match(line, marker)
      assert.isBelow(line.length, 2 * 1024 * 1024)
      assert.isBelow(ms, 5_000)
      console.log(`[figure] huge payload ${label}: redacted + encoded in ${ms.toFixed(0)} ms into a ${line.length.toLocaleString("en")}-character line, marker ${marker}`)
      return line
    }

    it("a 10 MB string", () => {
      measure("10 MB string", { body: "x\n".repeat(5 * 1024 * 1024) }, /truncated \d+ chars/)
    })

    it("a 3 MB string beside other fields: cut, and the other fields are still written", () => {
      const line = measure("3 MB string beside other fields", { blob: "x".repeat(3_000_000), orderId: "o-1", status: 502 }, /truncated \d+ chars/)
      const parsed = JSON.parse(line)
      assert.strictEqual(parsed.orderId, "o-1")
      assert.strictEqual(parsed.status, 502)
      assert.notInclude(line, "more keys")
    })

    it("a 100,000-key object", () => {
      const big: Record<string, number> = {}
      for (let i = 0; i < 100_000; i++) big[`k${i}`] = i
      measure("100,000 keys", { big }, /more keys|key limit/)
    })

    it("10,000-deep nesting (objects and arrays)", () => {
      let o: unknown = { leaf: true }
      let a: unknown = ["leaf"]
      for (let i = 0; i < 10_000; i++) {
        o = { child: o }
        a = [a]
      }
      measure("10,000-deep nesting", { o, a }, /depth limit|\[Object\]|\[Array\]/)
    })

    it("a 1,000,000-element array and a 10 MB message", () => {
      const started = performance.now()
      const event = LogEvent.make({ timestamp: 0, level: "Info", message: "\n".repeat(10 * 1024 * 1024), logger: "x", fields: { arr: new Array(1_000_000).fill(1) } })
      const line = Encoder.json.encode(redact(event))
      const ms = performance.now() - started
      assertOneLine(line)
      JSON.parse(line)
      assert.isBelow(line.length, 2 * 1024 * 1024)
      console.log(`[figure] huge payload 10 MB message of newlines + 1,000,000-element array: ${ms.toFixed(0)} ms, ${line.length.toLocaleString("en")}-character line`)
    })
  })
})

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** A pretty event: several lines, but only `\n` breaks and every line after the first indented. */
function assertNoForgedLine(text: string): void {
  if (/[\r\u2028\u2029]/.test(text)) assert.fail(`raw line break in a pretty event: ${JSON.stringify(text.slice(0, 200))}`)
  const lines = text.split("\n")
  for (const l of lines.slice(1)) {
    if (!l.startsWith("    ")) assert.fail(`a continuation line that is not indented: ${JSON.stringify(l.slice(0, 200))}`)
  }
}

function assertOneLine(line: string): void {
  if (/[\n\r\u2028\u2029]/.test(line)) assert.fail(`line break inside one event's line: ${JSON.stringify(line.slice(0, 200))}`)
}

function snapshotPrototypes(): Record<string, ReadonlyArray<string | symbol>> {
  return {
    Object: Reflect.ownKeys(Object.prototype),
    Array: Reflect.ownKeys(Array.prototype),
    Function: Reflect.ownKeys(Function.prototype),
    String: Reflect.ownKeys(String.prototype)
  }
}

function assertPrototypesIntact(before: Record<string, ReadonlyArray<string | symbol>>): void {
  const now = snapshotPrototypes()
  for (const k of Object.keys(before)) {
    if (now[k]!.length !== before[k]!.length) assert.fail(`${k}.prototype was polluted: ${String(now[k]!.filter((x) => !before[k]!.includes(x)).map(String))}`)
  }
}

/** Runs `self` with process.stdout.write captured (the stdout and pretty sinks write there). */
function captureStdout<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<string, E, R> {
  return Effect.suspend(() => {
    let text = ""
    const original = process.stdout.write
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
      text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")
      const cb = rest.find((r) => typeof r === "function") as ((err?: Error | null) => void) | undefined
      if (cb !== undefined) queueMicrotask(() => cb(null))
      return true
    }) as typeof process.stdout.write
    return self.pipe(
      Effect.ensuring(Effect.sync(() => {
        process.stdout.write = original
      })),
      Effect.map(() => text)
    )
  })
}

function mkTmp(): string {
  const dir = path.resolve("test/.tmp/hostile")
  fs.mkdirSync(dir, { recursive: true })
  return dir
}
