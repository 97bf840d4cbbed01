/**
 * Every TypeScript code block in the README, in docs/ and in the JSDoc of src/ is compiled here,
 * so documentation cannot drift from the code.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
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
})
