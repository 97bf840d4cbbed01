import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LogEvent from "../src/LogEvent.ts"
import * as Sink from "../src/Sink.ts"

const event = (message: string) => LogEvent.make({ timestamp: 0, level: "Info", message, logger: "t" })

describe("Sink.file: big batches", () => {
  it.live("batches past the first write buffer, and multi-byte batches that fit it in characters but not in bytes, are written whole and in order", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fapilog-bigbatch-"))
      const file = path.join(dir, "big.jsonl")
      const scope = yield* Scope.make()
      const writer = yield* Scope.provide(Sink.file(file).open, scope)
      const ascii = "x".repeat(10_000)
      const wide = "é✓😀".repeat(2_500) // 10,000 UTF-16 units, 25,000 bytes
      // characters × bytes per character: 1.5 M × 1 (grows the buffer), 0.5 M × 2.5 (fits in
      // characters, not in bytes), then a mix around the buffer sizes, most arriving mid-write
      const plan: Array<[number, string]> = [[150, ascii], [50, wide], [3, ascii], [120, wide], [900, ascii], [1, wide], [400, ascii], [80, wide]]
      const expected: Array<string> = []
      let n = 0
      for (const [count, text] of plan) {
        const events = Array.from({ length: count }, () => event(`${n++} ${text}`))
        const batch = Sink.makeBatch(events)
        expected.push(batch.ndjson)
        yield* writer.write(batch)
      }
      yield* writer.flush!
      yield* Scope.close(scope, Exit.void)
      const written = fs.readFileSync(file, "utf8")
      assert.strictEqual(written.length, expected.reduce((sum, s) => sum + s.length, 0))
      assert.isTrue(written === expected.join(""), "the file holds exactly the batches, in order")
      fs.rmSync(dir, { recursive: true, force: true })
    }))
})
