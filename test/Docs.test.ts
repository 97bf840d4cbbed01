/**
 * Every TypeScript code block in the README, in docs/ and in the JSDoc of src/ is compiled here,
 * so documentation cannot drift from the code; the short ones are also run, and the results they
 * show are checked.
 *
 * - short: at most 25 lines, and nothing that listens, serves or runs forever (see `runnable`).
 *   Each short block must run as a program of its own (its imports of "effect-fapilog" pointed
 *   at src/) without error, within 30 s.
 * - shown results: in a block that runs, a line `console.log(<args>) // => <expected>` (the whole
 *   call on one line, optionally ending in `;`) is checked. What the call prints — Node's
 *   `util.format(<args>)`, which is what `console.log` writes to a pipe — with each printed line
 *   trimmed and the lines joined by one space, must equal `<expected>` trimmed, every time the
 *   line runs; and it must run at least once. A multi-line object therefore reads on one line:
 *   `{ a: 1, b: "x" }` prints as `{ a: 1, b: 'x' }`, and `// => { a: 1, b: 'x' }` is what to write.
 *   A failure names the line (file:line), the expected and the actual text.
 * - speed: the blocks of one file run one after the other in one process; if that run fails in
 *   any way, each of its blocks is run again alone and only what fails alone is reported.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

interface Block {
  readonly file: string
  /** The line of the opening fence. */
  readonly line: number
  readonly origin: string
  readonly code: string
}

const root = path.resolve(".")

/**
 * README and the pages of docs/, except docs/api: it is generated from the JSDoc of src/ (and
 * kept up to date by ApiDocs.test.ts), whose blocks are checked where they are written.
 */
const markdownFiles = (): Array<string> => {
  const out = ["README.md"]
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (p !== path.join("docs", "api")) walk(p)
      }
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
      blocks.push({ file, line, origin: `${file}:${line}`, code: m[1]! })
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
      // the body keeps the comment's lines, so a fence's line is the comment's plus its offset
      const first = text.slice(0, comment.index).split("\n").length
      for (const m of body.matchAll(fence)) {
        const line = first + body.slice(0, m.index).split("\n").length - 1
        blocks.push({ file, line, origin: `${file}:${line}`, code: m[1]! })
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

/** Short enough to run: at most 25 lines, and nothing that listens, serves or runs forever. */
const runnable = (b: Block): boolean =>
  b.code.split("\n").length <= 25 &&
  !/NodeHttpServer|runMain|Layer\.launch|listen\(|serve\(|createServer|setInterval|process\.exit|it\.effect|from "@effect\/vitest"/.test(b.code)

/** A line that shows its result: `console.log(<args>) // => <expected>`. */
const shownLine = /^(\s*)console\.log\((.*)\);?\s*\/\/ => (.*)$/

/** A block ready to run: its file, and the expected text of each line that shows a result, by index. */
interface Run {
  readonly block: Block
  readonly id: number
  readonly file: string
  readonly shown: ReadonlyMap<number, string>
}

/**
 * Writes block `id` as it is run: on each line that shows its result, `console.log(<args>)`
 * becomes `__shown(<line index>, <args>)`, which writes what `console.log` would print as one
 * marked line of stdout (`\u0001shown [id, line, text]`), so other output may interleave and
 * blocks run in one process stay apart. Lines keep their numbers.
 */
const prepare = (dir: string, block: Block, id: number): Run => {
  const shown = new Map<number, string>()
  const lines = fromSource(block.code).split("\n").map((line, i) => {
    const m = shownLine.exec(line)
    if (m === null) return line
    shown.set(i, m[3]!.trim())
    return `${m[1]}__shown(${i}, ${m[2]})`
  })
  if (shown.size > 0) {
    // declarations are hoisted: the helper may be called before these lines
    lines.push(
      "import { format as __format } from \"node:util\"",
      "function __shown(line: number, ...args: Array<unknown>): void {",
      `  process.stdout.write("\\u0001shown " + JSON.stringify([${id}, line, __format(...args)]) + "\\n")`,
      "}"
    )
  }
  const file = path.join(dir, `run${id}.ts`)
  fs.writeFileSync(file, `${lines.join("\n")}\nexport {}\n`)
  return { block, id, file, shown }
}

interface Outcome {
  readonly error: Error | null
  readonly stdout: string
  readonly stderr: string
}

const node = (file: string, timeout: number, cwd: string): Promise<Outcome> =>
  new Promise((resolve) => {
    execFile(process.execPath, [file], { encoding: "utf8", timeout, cwd }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }))
  })

/**
 * What is wrong with a run of these blocks: the error it failed with (attributed to the first
 * block), and every shown result that differs from what was printed or was never printed.
 */
const problems = (runs: ReadonlyArray<Run>, outcome: Outcome): Array<string> => {
  if (outcome.error !== null) {
    return [`${runs[0]!.block.origin}: ${outcome.error.message.split("\n")[0]}\n${outcome.stderr.split("\n").slice(0, 6).join("\n")}`]
  }
  const printed = new Map<string, Array<string>>()
  for (const m of outcome.stdout.matchAll(/\u0001shown (.*)\n/g)) {
    const [id, line, text] = JSON.parse(m[1]!) as [number, number, string]
    const key = `${id}:${line}`
    printed.set(key, [...printed.get(key) ?? [], text.split("\n").map((l) => l.trim()).join(" ")])
  }
  const out: Array<string> = []
  for (const run of runs) {
    for (const [i, expected] of run.shown) {
      const where = `${run.block.file}:${run.block.line + 1 + i}`
      const actual = printed.get(`${run.id}:${i}`)
      if (actual === undefined) out.push(`${where}: shows \`// => ${expected}\` but the line never ran`)
      else {
        for (const a of actual) {
          if (a !== expected) out.push(`${where}: prints something else than it shows\n  expected: ${expected}\n  actual:   ${a}`)
        }
      }
    }
  }
  return out
}

/**
 * Runs the blocks of one file in one Node process, one after the other (each imported once its
 * predecessor's top level has finished). If that run fails in any way, every block is run again
 * alone, in its own process, and only what fails alone is reported: the claim is that each block
 * works as copied, and one process per file is only a shortcut (most of a run is Node starting).
 */
const runFile = async (dir: string, runs: ReadonlyArray<Run>): Promise<Array<string>> => {
  const driver = path.join(dir, `file${runs[0]!.id}.ts`)
  fs.writeFileSync(driver, `for (const f of ${JSON.stringify(runs.map((r) => r.file))}) await import(f)\nexport {}\n`)
  if (problems(runs, await node(driver, 30_000 + 2_000 * runs.length, dir)).length === 0) return []
  const out: Array<string> = []
  for (const run of runs) out.push(...problems([run], await node(run.file, 30_000, dir)))
  return out
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

  it("the short code blocks of README, docs/ and the JSDoc of src/ run, and print the results they show", async () => {
    const markdown = markdownBlocks().filter(runnable)
    const jsdoc = jsdocBlocks().filter(runnable)
    assert.isAbove(markdown.length, 10)
    assert.isAbove(jsdoc.length, 10)
    const dir = path.join(root, "test/.tmp/docs-run")
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const runs = [...markdown, ...jsdoc].map((b, id) => prepare(dir, b, id))
    const checked = runs.reduce((n, r) => n + r.shown.size, 0)
    assert.isAbove(checked, 10, "hardly any block shows a result with `console.log(...) // => ...`")
    const byFile = new Map<string, Array<Run>>()
    for (const run of runs) byFile.set(run.block.file, [...byFile.get(run.block.file) ?? [], run])
    const jobs = Array.from(byFile.values(), (group) => () => runFile(dir, group))
    const failures: Array<string> = []
    // a few files at a time
    const workers = Array.from({ length: 3 }, async () => {
      for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) failures.push(...await job())
    })
    await Promise.all(workers)
    assert.deepStrictEqual(
      failures,
      [],
      `doc blocks that fail when run, or print something else than they show (${runs.length} run, ${checked} results checked):\n${failures.join("\n\n")}`
    )
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
