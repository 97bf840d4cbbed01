import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Effect } from "effect"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Encoder from "../src/Encoder.ts"
import * as Fapilog from "../src/Fapilog.ts"
import * as Pretty from "../src/internal/pretty.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 678)

const withStack = <E extends Error>(e: E, frames: string): E => {
  e.stack = `${e.name}: ${e.message}\n${frames}`
  return e
}

/** An error with a cause, with fixed stacks so the expected text is exact. */
const declined = () => {
  const socket = withStack(new TypeError("socket closed"), "    at connect (src/net.ts:3:9)")
  return Object.assign(
    withStack(new Error("card declined", { cause: socket }), "    at charge (src/pay.ts:10:5)\n    at main (src/main.ts:2:1)"),
    { code: "E42" }
  )
}

const event = (input: Partial<LogEvent.Input>): LogEvent.LogEvent =>
  LogEvent.make({ timestamp: T0, level: "Info", message: "hello", logger: "svc", ...input })

describe("pretty console", () => {
  it("an error with a cause chain, without colour: an indented block with its frames and nested cause", () => {
    const text = Encoder.pretty().encode(event({
      level: "Error",
      message: "payment failed",
      logger: "payments",
      fields: { order_id: 42, err: declined() },
      correlationId: "req-1"
    }))
    expect(text).toBe(
      "03:04:05.678 ERROR [payments] payment failed order_id=42 (correlation_id=req-1)\n" +
        "    err: Error: card declined code=E42\n" +
        "        at charge (src/pay.ts:10:5)\n" +
        "        at main (src/main.ts:2:1)\n" +
        "      caused by: TypeError: socket closed\n" +
        "          at connect (src/net.ts:3:9)"
    )
  })

  it("the same with colour: level, logger, keys and the error line coloured; stripped, the same text", () => {
    const e = event({ level: "Error", message: "payment failed", logger: "payments", fields: { order_id: 42, err: declined() } })
    const text = Encoder.pretty({ colors: true }).encode(e)
    expect(text).toBe(
      "\u001b[90m03:04:05.678\u001b[0m \u001b[31mERROR\u001b[0m \u001b[36m[payments]\u001b[0m payment failed \u001b[2morder_id=\u001b[0m42\n" +
        "    \u001b[2merr:\u001b[0m \u001b[31mError: card declined\u001b[0m \u001b[2mcode=\u001b[0mE42\n" +
        "        \u001b[2mat charge (src/pay.ts:10:5)\u001b[0m\n" +
        "        \u001b[2mat main (src/main.ts:2:1)\u001b[0m\n" +
        "      \u001b[2mcaused by:\u001b[0m \u001b[31mTypeError: socket closed\u001b[0m\n" +
        "          \u001b[2mat connect (src/net.ts:3:9)\u001b[0m"
    )
    expect(text.replace(/\u001b\[[0-9;]*m/g, "")).toBe(Encoder.pretty().encode(e))
  })

  it("Effect's cause (Effect.logError(cause)) as a block keeping its own nesting", () => {
    const boom = withStack(new Error("boom", { cause: withStack(new TypeError("inner"), "    at open (src/db.ts:1:2)") }), "    at run (src/job.ts:3:9)")
    const text = Encoder.pretty().encode(event({ level: "Error", message: "job failed", logger: "jobs", cause: Cause.fail(boom) }))
    expect(text).toBe(
      "03:04:05.678 ERROR [jobs] job failed\n" +
        "    cause: Error: boom\n" +
        "          at run (src/job.ts:3:9) {\n" +
        "        [cause]: TypeError: inner\n" +
        "            at open (src/db.ts:1:2)\n" +
        "        }"
    )
    const coloured = Encoder.pretty({ colors: true }).encode(event({ level: "Error", message: "job failed", logger: "jobs", cause: Cause.fail(boom) }))
    expect(coloured).toContain("    \u001b[2mcause:\u001b[0m \u001b[31mError: boom\u001b[0m\n")
  })

  it("an AggregateError lists its errors; a cause that is not an error is one line", () => {
    const all = withStack(
      new AggregateError([withStack(new Error("a"), "    at a (a.ts:1:1)"), "plain"], "2 errors"),
      "    at both (x.ts:1:1)"
    )
    all.cause = { reason: "quota" }
    const text = Encoder.pretty().encode(event({ level: "Error", fields: { err: all } }))
    expect(text).toBe(
      "03:04:05.678 ERROR [svc] hello\n" +
        "    err: AggregateError: 2 errors\n" +
        "        at both (x.ts:1:1)\n" +
        "      caused by: {\"reason\":\"quota\"}\n" +
        "      [0]: Error: a\n" +
        "          at a (a.ts:1:1)\n" +
        "      [1]: plain"
    )
  })

  it("errors among Effect.logError's arguments (args) are blocks too", () => {
    const err = withStack(new Error("card declined"), "    at charge (src/pay.ts:10:5)")
    const text = Pretty.render(
      JSON.parse(Encoder.json.encode(event({ level: "Error", message: "payment failed", fields: { args: [err, 42] } }))),
      Pretty.resolve()
    )
    expect(text).toBe(
      "03:04:05.678 ERROR [svc] payment failed args[1]=42\n" +
        "    args[0]: Error: card declined\n" +
        "        at charge (src/pay.ts:10:5)"
    )
  })

  it("an error's multi-line message and hostile text cannot forge a line or drive the terminal", () => {
    const e = withStack(new Error("first\n03:04:05.678 FATAL [svc] forged\u001b[2J"), "    at x (x.ts:1:1)")
    e.stack = `Error: ${e.message}\n    at x (x.ts:1:1)`
    const text = Encoder.pretty().encode(event({ level: "Error", fields: { err: e } }))
    for (const line of text.split("\n").slice(1)) expect(line.startsWith("    ")).toBe(true)
    expect(text).not.toContain("\u001b")
    expect(text).toContain("\\u001b[2J")
  })

  it("lines are kept short: fields wrap onto indented lines past the width", () => {
    const fields = {
      method: "GET",
      url: "/api/v1/orders/1234567890?expand=items,customer",
      status: 200,
      duration_ms: 12.5,
      user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
      bytes: 1234,
      region: "eu-west-1"
    }
    const text = Encoder.pretty().encode(event({ message: "request completed", logger: "http", fields }))
    expect(text).toBe(
      "03:04:05.678 INFO  [http] request completed method=GET url=\"/api/v1/orders/1234567890?expand=items,customer\" status=200\n" +
        "    duration_ms=12.5 user_agent=\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\" bytes=1234 region=eu-west-1"
    )
    for (const line of Encoder.pretty({ width: 60 }).encode(event({ fields })).split("\n")) {
      assert.isAtMost(line.length, 60 + 60, line) // a token longer than the width keeps its own line
    }
    expect(Encoder.pretty({ width: 60 }).encode(event({ fields })).split("\n").length).toBeGreaterThan(2)
  })

  it("enrichment and sampling fields are hidden by default, dimmed or shown on request", () => {
    const e = event({ annotations: { service: "pay", host: "box", pid: 12 }, fields: { _sampled: true, _sample_rate: 0.1, id: 7 } })
    expect(Encoder.pretty().encode(e)).toBe("03:04:05.678 INFO  [svc] hello id=7")
    expect(Encoder.pretty({ metadata: "show" }).encode(e)).toBe(
      "03:04:05.678 INFO  [svc] hello service=pay host=box pid=12 _sampled=true _sample_rate=0.1 id=7"
    )
    expect(Encoder.pretty({ metadata: "dim", colors: true }).encode(e)).toContain("\u001b[2mhost=box\u001b[0m")
    expect(Encoder.pretty({ metadataKeys: ["id"] }).encode(e)).toBe(
      "03:04:05.678 INFO  [svc] hello service=pay host=box pid=12 _sampled=true _sample_rate=0.1"
    )
  })

  it("NO_COLOR and FORCE_COLOR: FORCE_COLOR wins when set, then NO_COLOR, then the TTY", () => {
    const tty = { isTTY: true }
    const pipe = { isTTY: false }
    assert.isTrue(Pretty.colorsFor(tty, {}))
    assert.isFalse(Pretty.colorsFor(pipe, {}))
    assert.isFalse(Pretty.colorsFor(tty, { NO_COLOR: "1" }))
    assert.isTrue(Pretty.colorsFor(tty, { NO_COLOR: "" }))
    assert.isFalse(Pretty.colorsFor(tty, { TERM: "dumb" }))
    assert.isTrue(Pretty.colorsFor(pipe, { FORCE_COLOR: "1" }))
    assert.isTrue(Pretty.colorsFor(pipe, { FORCE_COLOR: "" }))
    assert.isTrue(Pretty.colorsFor(pipe, { FORCE_COLOR: "3", NO_COLOR: "1" }))
    assert.isFalse(Pretty.colorsFor(tty, { FORCE_COLOR: "0" }))
    assert.isFalse(Pretty.colorsFor(tty, { FORCE_COLOR: "false" }))
  })

  it.effect("the pretty sink reads FORCE_COLOR / NO_COLOR when it opens, not when the module loads", () =>
    Effect.gen(function*() {
      const run = (env: Record<string, string | undefined>) =>
        captureStdout(withEnv(env, Effect.logError("x").pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.pretty()] })))))
      const forced = yield* run({ FORCE_COLOR: "1", NO_COLOR: undefined })
      expect(forced).toContain("\u001b[31mERROR")
      const none = yield* run({ FORCE_COLOR: undefined, NO_COLOR: "1" })
      expect(none).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR \[root\] x\n$/)
      const explicit = yield* captureStdout(withEnv(
        { FORCE_COLOR: "1" },
        Effect.logError("x").pipe(Effect.provide(Fapilog.layer({ sinks: [Sink.pretty({ colors: false })] })))
      ))
      expect(explicit).not.toContain("\u001b")
    }))
})

// -----------------------------------------------------------------------------
// the command
// -----------------------------------------------------------------------------

const bin = path.resolve("src/bin/effect-fapilog.ts")

const tmpDir = () => {
  fs.mkdirSync(path.resolve("test/.tmp"), { recursive: true })
  return fs.mkdtempSync(path.resolve("test/.tmp/pretty-"))
}

const cleanEnv = (): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { ...process.env }
  delete env["FORCE_COLOR"]
  delete env["NO_COLOR"]
  return env
}

const runBin = (args: ReadonlyArray<string>, stdin?: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000, env: cleanEnv() }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }))
    child.stdin!.end(stdin ?? "")
  })

const sampleEvents = (): Array<LogEvent.LogEvent> => [
  event({ message: "started", annotations: { host: "box", pid: 1 } }),
  event({ level: "Debug", message: "tick", fields: { n: 1 } }),
  event({ level: "Warn", message: "slow", fields: { ms: 812 } }),
  event({ level: "Error", message: "payment failed", fields: { err: declined() }, correlationId: "req-1" })
]

describe("effect-fapilog pretty", () => {
  it.live("renders a real NDJSON file exactly as Encoder.pretty renders the events; non-JSON lines unchanged", () =>
    Effect.promise(async () => {
      const dir = tmpDir()
      const file = path.join(dir, "app.jsonl")
      const events = sampleEvents()
      fs.writeFileSync(file, Encoder.json.encodeBatch(events.slice(0, 2)) + "not json {\n" + Encoder.json.encodeBatch(events.slice(2)))
      const r = await runBin(["pretty", file])
      assert.strictEqual(r.code, 0, r.stderr)
      const pretty = Encoder.pretty()
      assert.strictEqual(r.stdout, pretty.encodeBatch(events.slice(0, 2)) + "not json {\n" + pretty.encodeBatch(events.slice(2)))
      // --level warn, from stdin, colours forced
      const warn = await runBin(["pretty", "--level", "warn", "--color"], fs.readFileSync(file, "utf8"))
      assert.strictEqual(warn.code, 0, warn.stderr)
      assert.strictEqual(warn.stdout, "not json {\n" + Encoder.pretty({ colors: true }).encodeBatch(events.slice(2)))
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)

  it.live("a usage error or a missing file: one message on stderr, exit code 1", () =>
    Effect.promise(async () => {
      const missing = await runBin(["pretty", "does-not-exist.jsonl"])
      assert.strictEqual(missing.code, 1)
      assert.match(missing.stderr, /^effect-fapilog: cannot read does-not-exist\.jsonl: ENOENT/)
      const bad = await runBin(["pretty", "--level", "loud"])
      assert.strictEqual(bad.code, 1)
      assert.include(bad.stderr, "--level must be one of")
    }), 60_000)

  it.live("--follow prints what is appended to the file and stops on SIGINT", () =>
    Effect.promise(async () => {
      const dir = tmpDir()
      const file = path.join(dir, "app.jsonl")
      const [first, second] = sampleEvents()
      fs.writeFileSync(file, Encoder.json.encode(first!) + "\n")
      const child = spawn(process.execPath, [bin, "pretty", "--follow", file], { env: cleanEnv() })
      let out = ""
      const seen = (text: string) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (out.includes(text)) {
              child.stdout.off("data", onData)
              resolve()
            }
          }
          const onData = (d: Buffer) => {
            out += d.toString()
            check()
          }
          child.stdout.on("data", onData)
          child.once("exit", () => reject(new Error(`exited before printing ${text}: ${out}`)))
          check()
        })
      await seen("started")
      // a line written in two pieces is printed once, whole
      const line = Encoder.json.encode(event({ message: "appended later", fields: { n: 2 } }))
      fs.appendFileSync(file, line.slice(0, 20))
      fs.appendFileSync(file, line.slice(20) + "\n" + Encoder.json.encode(second!) + "\n")
      await seen("tick")
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal }))
      )
      child.kill("SIGINT")
      const exit = await exited
      assert.strictEqual(exit.code, 130)
      assert.strictEqual(out, Encoder.pretty().encodeBatch([first!, event({ message: "appended later", fields: { n: 2 } }), second!]))
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)
})

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

const withEnv = <A, E, R>(env: Record<string, string | undefined>, self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const saved: Record<string, string | undefined> = {}
      for (const [k, v] of Object.entries(env)) {
        saved[k] = process.env[k]
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      return saved
    }),
    () => self,
    (saved) =>
      Effect.sync(() => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      })
  )

/** Runs `self` with process.stdout.write captured; returns what was written. */
const captureStdout = <E, R>(self: Effect.Effect<unknown, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const original = process.stdout.write
      const chunks: Array<string> = []
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
        chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString())
        const cb = rest.find((x) => typeof x === "function") as (() => void) | undefined
        cb?.()
        return true
      }) as typeof process.stdout.write
      return { original, chunks }
    }),
    ({ chunks }) => Effect.map(self, () => chunks.join("")),
    ({ original }) => Effect.sync(() => (process.stdout.write = original))
  )
