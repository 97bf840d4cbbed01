/**
 * The API reference: every export of every public module (`src/*.ts`) is documented with a
 * summary and an example with a title, and `docs/api` is what `scripts/docs.ts` generates from
 * the sources.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Docs from "../scripts/docs.ts"

const modules = Docs.readModules("src")

describe("API reference", () => {
  it("reads every public module and its exports", () => {
    const names = modules.map((m) => m.name)
    for (const name of ["index", "Fapilog", "Logger", "Sink", "Worker", "Config", "LogEvent", "Pipeline"]) {
      assert.include(names, name)
    }
    const logger = modules.find((m) => m.name === "Logger")!
    const named = logger.exports.find((e) => e.name === "named")!
    // overloads are shown, the implementation signature is not
    assert.strictEqual(named.signatures.length, 3)
    assert.isTrue(named.signatures.every((s) => s.startsWith("export function named(")))
    assert.isFalse(named.signatures.some((s) => s.includes("reuse?: boolean")))
    const layer = modules.find((m) => m.name === "Fapilog")!.exports.find((e) => e.name === "layer")!
    assert.include(layer.signatures[0]!, "Layer.Layer<Logger.Loggers")
    assert.notInclude(layer.signatures[0]!, "Effect.gen")
  })

  it("every export of every public module has JSDoc with a summary and an @example code block, every @example a title", () => {
    const missing = Docs.missingDocs(modules)
    assert.deepStrictEqual(
      missing,
      [],
      `${missing.length} exports lack JSDoc, a summary, an @example with a code block or an example's title:\n  ${missing.join("\n  ")}`
    )
  })

  it("an untitled example is reported, in every module: nothing is pending any more", () => {
    // the exception list only shrinks, and it is empty: a module is never added to it
    assert.deepStrictEqual([...Docs.untitledExamplesPending], [])
    const untitled = Docs.parseDoc(["/**", " * Adds.", " *", " * @example", " * ```ts", " * const two = 1 + 1", " * ```", " */"].join("\n"))
    const mod = (name: string): Docs.Module => ({
      name,
      file: `src/${name}.ts`,
      doc: undefined,
      exports: [{ name: "add", kind: "const", line: 14, signatures: ["export const add = 1"], doc: untitled }]
    })
    assert.deepStrictEqual(Docs.missingDocs([mod("Sum")]), ["src/Sum.ts:14 add: an @example without a title"])
    assert.deepStrictEqual(Docs.missingDocs([mod("Sampler")]), ["src/Sampler.ts:14 add: an @example without a title"])
  })

  it("an @example's title is the text on its tag line, and the reference shows it", () => {
    const doc = Docs.parseDoc([
      "/**",
      " * Adds.",
      " *",
      " * @example Adding two numbers",
      " * ```ts",
      " * console.log(1 + 1) // => 2",
      " * ```",
      " *",
      " * @example",
      " * ```ts",
      " * const three = 1 + 2",
      " * ```",
      " */"
    ].join("\n"))
    assert.deepStrictEqual(doc.examples.map((e) => e.title), ["Adding two numbers", undefined])
    assert.strictEqual(doc.examples[0]!.body, "```ts\nconsole.log(1 + 1) // => 2\n```")
    const mod: Docs.Module = {
      name: "Sum",
      file: "src/Sum.ts",
      doc: undefined,
      exports: [{ name: "add", kind: "const", line: 14, signatures: ["export const add = 1"], doc }]
    }
    // a titled example still counts as an example with a code block; the untitled one is reported
    assert.deepStrictEqual(Docs.missingDocs([mod]), ["src/Sum.ts:14 add: an @example without a title"])
    const page = Docs.render([mod]).get("Sum.md")!
    assert.include(page, "**Example** (Adding two numbers)\n\n```ts\nconsole.log(1 + 1) // => 2\n```")
    assert.include(page, "**Example**\n\n```ts\nconst three = 1 + 2\n```")
  })

  it("docs/api is up to date with the generator", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-api-"))
    try {
      Docs.generate("src", dir)
      const expected = fs.readdirSync(dir).sort()
      const actual = fs.existsSync("docs/api") ? fs.readdirSync("docs/api").filter((f) => f.endsWith(".md")).sort() : []
      const stale = expected.filter((f) =>
        !actual.includes(f) ||
        fs.readFileSync(path.join("docs/api", f), "utf8") !== fs.readFileSync(path.join(dir, f), "utf8")
      )
      const extra = actual.filter((f) => !expected.includes(f))
      assert.deepStrictEqual(
        [...stale, ...extra],
        [],
        `docs/api is out of date (${[...stale, ...extra].join(", ")}): run \`npm run docs\``
      )
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
