/**
 * Every TypeScript code block in the README, in docs/ and in the JSDoc of src/ is compiled here,
 * so documentation cannot drift from the code.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

interface Block {
  readonly origin: string
  readonly code: string
}

const root = path.resolve(".")

const markdownFiles = (): Array<string> => {
  const out = ["README.md"]
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (entry.name.endsWith(".md")) out.push(p)
    }
  }
  walk("docs")
  return out
}

const fence = /```(?:ts|typescript)\n([\s\S]*?)```/g

const markdownBlocks = (): Array<Block> =>
  markdownFiles().flatMap((file) => {
    const text = fs.readFileSync(file, "utf8")
    const blocks: Array<Block> = []
    for (const m of text.matchAll(fence)) {
      const line = text.slice(0, m.index).split("\n").length
      blocks.push({ origin: `${file}:${line}`, code: m[1]! })
    }
    return blocks
  })

const jsdocBlocks = (): Array<Block> =>
  fs.readdirSync("src").filter((f) => f.endsWith(".ts")).flatMap((f) => {
    const file = path.join("src", f)
    const text = fs.readFileSync(file, "utf8")
    const blocks: Array<Block> = []
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const body = comment[0].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n")
      for (const m of body.matchAll(fence)) {
        const line = text.slice(0, comment.index).split("\n").length
        blocks.push({ origin: `${file}:${line}`, code: m[1]! })
      }
    }
    return blocks
  })

const src = path.join(root, "src")

/** Node resolves "effect-fapilog" through the package's exports (dist/): point at src instead. */
const fromSource = (code: string): string =>
  code
    .replace(/from "effect-fapilog"/g, `from ${JSON.stringify(path.join(src, "index.ts"))}`)
    .replace(/from "effect-fapilog\/(\w+)"/g, (_, m: string) => `from ${JSON.stringify(path.join(src, `${m}.ts`))}`)

/** The first block of a fenced language after a heading of the README. */
const readmeBlock = (heading: string, language: string): string => {
  const text = fs.readFileSync("README.md", "utf8")
  const at = text.indexOf(`\n${heading}\n`)
  assert.isAtLeast(at, 0, `README has no "${heading}" section`)
  const open = text.indexOf("```" + language + "\n", at)
  assert.isAtLeast(open, 0, `README's "${heading}" has no ${language} block`)
  const body = open + 4 + language.length
  return text.slice(body, text.indexOf("```", body))
}

/** A JSON line without its time, which differs from run to run. */
const timeless = (line: string): unknown => {
  const { time: _, ...rest } = JSON.parse(line) as Record<string, unknown>
  return rest
}

describe("documentation", () => {
  it("every code block in README, docs/ and the JSDoc of src/ compiles", () => {
    const blocks = [...markdownBlocks(), ...jsdocBlocks()]
    assert.isAbove(blocks.length, 10)
    const dir = path.join(root, "test/.tmp/docs")
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const origins = new Map<string, string>()
    blocks.forEach((b, i) => {
      const name = `block${i}.ts`
      origins.set(name, b.origin)
      fs.writeFileSync(path.join(dir, name), `${b.code}\nexport {}\n`)
    })
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: "../../../tsconfig.base.json",
        compilerOptions: {
          noEmit: true,
          noUnusedLocals: false,
          paths: {
            "effect-fapilog": ["../../../src/index.ts"],
            "effect-fapilog/*": ["../../../src/*.ts"]
          }
        },
        include: ["*.ts"]
      })
    )
    const tsc = path.join(root, "node_modules/.bin/tsc")
    const r = spawnSync(tsc, ["-p", path.join(dir, "tsconfig.json")], { encoding: "utf8" })
    const errors = (r.stdout + r.stderr)
      .split("\n")
      .filter((l) => /error TS/.test(l))
      .map((l) => l.replace(/^.*?(block\d+\.ts)/, (_, name: string) => origins.get(name) ?? name))
    assert.deepStrictEqual(errors, [], `doc blocks that do not compile:\n${errors.join("\n")}`)
    assert.strictEqual(r.status, 0)
  }, 120_000)

  it("the short code blocks of README and docs/ run without error", async () => {
    // short = at most 25 lines and nothing that listens, serves or runs forever
    const runnable = markdownBlocks().filter((b) =>
      b.code.split("\n").length <= 25 &&
      !/NodeHttpServer|runMain|Layer\.launch|listen\(|serve\(|createServer|setInterval|process\.exit|it\.effect|from "@effect\/vitest"/.test(b.code)
    )
    assert.isAbove(runnable.length, 10)
    const dir = path.join(root, "test/.tmp/docs-run")
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const failures: Array<string> = []
    const jobs = runnable.map((b, i) => () => {
      const code = fromSource(b.code)
      const file = path.join(dir, `run${i}.ts`)
      fs.writeFileSync(file, `${code}\nexport {}\n`)
      return new Promise<void>((resolve) => {
        execFile(process.execPath, [file], { encoding: "utf8", timeout: 30_000, cwd: dir }, (error, _stdout, stderr) => {
          if (error) failures.push(`${b.origin}: ${error.message.split("\n")[0]}\n${stderr.split("\n").slice(0, 6).join("\n")}`)
          resolve()
        })
      })
    })
    // a few at a time: most of each run is Node starting and loading effect
    const workers = Array.from({ length: 3 }, async () => {
      for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) await job()
    })
    await Promise.all(workers)
    assert.deepStrictEqual(failures, [], `doc blocks that fail when run (${runnable.length} run):\n${failures.join("\n\n")}`)
  }, 300_000)

  it("the README quick start runs as copied, in a fresh directory, and prints what the README shows", async () => {
    // as a user would: saved as main.ts in an otherwise empty ES module project and run by Node;
    // only the package import is pointed at src/ (consumer-check runs the packed tarball)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-quickstart-"))
    try {
      fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir")
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" })) // the README's `npm pkg set`
      const code = readmeBlock("## Quick start", "ts")
      const file = /Sink\.file\("([^"]+)"/.exec(code)?.[1]
      assert.isDefined(file, "the quick start writes no file")
      fs.writeFileSync(path.join(dir, "main.ts"), fromSource(code))
      const run = await new Promise<{ error: Error | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ["main.ts"], { encoding: "utf8", timeout: 60_000, cwd: dir }, (error, stdout, stderr) =>
          resolve({ error, stdout, stderr }))
      })
      assert.isNull(run.error, `the quick start failed:\n${run.stderr}`)
      const shown = readmeBlock("## Quick start", "text").trim().split("\n").map(timeless)
      const printed = run.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map(timeless)
      const written = fs.readFileSync(path.join(dir, file!), "utf8").trim().split("\n").map(timeless)
      // lines of different loggers may interleave in any order (the README says so): compare as sets
      const sorted = (lines: Array<unknown>) => lines.map((l) => JSON.stringify(l)).sort()
      assert.strictEqual(shown.length, 3)
      assert.deepStrictEqual(sorted(printed), sorted(shown), `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`)
      assert.deepStrictEqual(sorted(written), sorted(shown))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
