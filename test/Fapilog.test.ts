import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const src = path.resolve("src")

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `body` (a module importing `Fapilog`, `Logger`, `Sink`, `Effect`) in a child Node process. */
const runScript = (dir: string, body: string, env: Record<string, string> = {}): Promise<Run> => {
  const file = path.join(dir, "main.ts")
  fs.writeFileSync(
    file,
    `import { Effect } from "effect"\n` +
      `import * as Fapilog from ${JSON.stringify(path.join(src, "Fapilog.ts"))}\n` +
      `import * as Logger from ${JSON.stringify(path.join(src, "Logger.ts"))}\n` +
      `import * as Sink from ${JSON.stringify(path.join(src, "Sink.ts"))}\n` +
      body
  )
  return new Promise((resolve) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, ...env }
    for (const k of Object.keys(childEnv)) if (k.startsWith("FAPILOG_") && !(k in env)) delete childEnv[k]
    execFile(process.execPath, [file], { encoding: "utf8", timeout: 30_000, cwd: dir, env: childEnv }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr })
    })
  })
}

// under the repository, so the script resolves `effect` from its node_modules
const tmp = () => {
  fs.mkdirSync(path.resolve("test/.tmp"), { recursive: true })
  return fs.mkdtempSync(path.resolve("test/.tmp/main-"))
}

const jsonLines = (text: string) =>
  text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, any>)

describe("Fapilog.runMain", () => {
  it.live("a failing main: one JSON Error line with the failure, in the file, before the drain; exit code 1", () =>
    Effect.promise(async () => {
      const dir = tmp()
      const r = await runScript(
        dir,
        `const main = Effect.gen(function*() {
  const log = yield* Logger.named("app")
  yield* log.info("started")
  return yield* Effect.fail(new Error("database unreachable", { cause: new Error("ECONNREFUSED") }))
})
Fapilog.runMain(main, { layer: Fapilog.layer({ sinks: [Sink.file("app.jsonl")] }) })
`
      )
      assert.strictEqual(r.code, 1, r.stderr)
      const lines = jsonLines(fs.readFileSync(path.join(dir, "app.jsonl"), "utf8"))
      assert.deepStrictEqual(lines.map((l) => [l.level, l.msg]), [["INFO", "started"], ["ERROR", "main program failed"]])
      const err = lines[1]!.err
      assert.strictEqual(err.name, "Error")
      assert.strictEqual(err.message, "database unreachable")
      assert.include(err.stack, "database unreachable")
      assert.strictEqual(err.cause.message, "ECONNREFUSED")
      // Effect's own report is not printed (nor anything else)
      assert.strictEqual(r.stdout, "")
      assert.strictEqual(r.stderr, "")
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)

  it.live("a dying main: one Fatal line with the defect's stack on stdout (FapilogLive); non-zero exit", () =>
    Effect.promise(async () => {
      const dir = tmp()
      const r = await runScript(
        dir,
        `Fapilog.runMain(Effect.sync(() => {
  const o: any = undefined
  return o.field
}))
`
      )
      assert.notStrictEqual(r.code, 0)
      assert.strictEqual(r.stderr, "")
      const lines = r.stdout.split("\n").filter((l) => l !== "")
      assert.strictEqual(lines.length, 1, r.stdout)
      const line = JSON.parse(lines[0]!)
      assert.strictEqual(line.level, "FATAL")
      assert.strictEqual(line.err.name, "TypeError")
      assert.include(line.err.stack, "main.ts")
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)

  it.live("a bad environment variable: one line on stderr, nothing on stdout, exit code 1", () =>
    Effect.promise(async () => {
      const dir = tmp()
      const r = await runScript(dir, `Fapilog.runMain(Effect.log("never"))\n`, { FAPILOG_LEVEL: "loud" })
      assert.strictEqual(r.code, 1)
      assert.strictEqual(r.stdout, "")
      const lines = r.stderr.split("\n").filter((l) => l !== "")
      assert.strictEqual(lines.length, 1, r.stderr)
      assert.match(lines[0]!, /^effect-fapilog: the logging layer could not start: .*FAPILOG_LEVEL/)
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)

  it.live("a level that filters out Error: the failure is one stderr line, never silent", () =>
    Effect.promise(async () => {
      const dir = tmp()
      const r = await runScript(dir, `Fapilog.runMain(Effect.fail(new Error("quiet failure")), { layer: Fapilog.layer({ level: "None" }) })\n`)
      assert.strictEqual(r.code, 1)
      assert.strictEqual(r.stdout, "")
      assert.strictEqual(r.stderr, "effect-fapilog: main program failed: quiet failure\n")
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)

  it.live("SIGINT: the main is interrupted, not logged as a failure; the layer drains; exit code 130", () =>
    Effect.promise(async () => {
      const dir = tmp()
      fs.writeFileSync(
        path.join(dir, "main.ts"),
        `import { Effect } from "effect"\n` +
          `import * as Fapilog from ${JSON.stringify(path.join(src, "Fapilog.ts"))}\n` +
          `Fapilog.runMain(Effect.logInfo("started").pipe(Effect.andThen(Effect.never), Effect.onInterrupt(() => Effect.logInfo("stopping"))))\n`
      )
      const child = spawn(process.execPath, [path.join(dir, "main.ts")], { cwd: dir })
      let out = ""
      await new Promise<void>((resolve) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString()
          if (out.includes("started")) resolve()
        })
      })
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      child.kill("SIGINT")
      assert.strictEqual(await exited, 130)
      assert.deepStrictEqual(jsonLines(out).map((l) => [l.level, l.msg]), [["INFO", "started"], ["INFO", "stopping"]])
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)

  it.live("a main that succeeds: its lines are written, exit code 0", () =>
    Effect.promise(async () => {
      const dir = tmp()
      const r = await runScript(dir, `Fapilog.runMain(Effect.logInfo("done"))\n`)
      assert.strictEqual(r.code, 0, r.stderr)
      assert.deepStrictEqual(jsonLines(r.stdout).map((l) => l.msg), ["done"])
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)
})
