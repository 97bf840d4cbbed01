import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { WriteBuffer } from "../src/internal/writeBuffer.ts"

// The file sink's write buffer (internal): what is appended comes out of `take` byte for byte, in
// order, whatever the sizes (small batches share the reused buffer, big ones overflow), and
// `chars` always counts what is held.

type Step =
  | { readonly _tag: "append"; readonly chunks: ReadonlyArray<string> }
  | { readonly _tag: "take" }

const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 40, unit: "grapheme" }) },
  // past the 1 MiB buffer: the overflow path, alone or after what the buffer holds
  { weight: 1, arbitrary: fc.integer({ min: 400_000, max: 1_500_000 }).map((n) => "é".repeat(n)) }
)
const step: fc.Arbitrary<Step> = fc.oneof(
  // a batch's text comes as pieces of whole lines
  { weight: 3, arbitrary: fc.array(text, { minLength: 1, maxLength: 3 }).map((chunks) => ({ _tag: "append" as const, chunks })) },
  { weight: 1, arbitrary: fc.constant({ _tag: "take" as const }) }
)

describe("WriteBuffer", () => {
  it("gives back every appended byte once, in order, and counts what it holds", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const buffer = new WriteBuffer()
        const appended: Array<string> = []
        const taken: Array<Buffer> = []
        let held = 0
        for (const s of steps) {
          if (s._tag === "append") {
            buffer.append(s.chunks)
            appended.push(s.chunks.join(""))
            held += s.chunks.join("").length
          } else {
            // as the file sink does: take until empty, copying each result before the next take
            // (the buffer handed out is reused once `take` is called again)
            for (let bytes = buffer.take(); bytes !== undefined; bytes = buffer.take()) {
              held -= bytes.toString("utf8").length
              taken.push(Buffer.from(bytes))
              assert.strictEqual(buffer.chars, held)
            }
            assert.isTrue(buffer.isEmpty())
          }
          assert.strictEqual(buffer.chars, held)
        }
        taken.push(buffer.takeAll())
        assert.isTrue(buffer.isEmpty())
        assert.strictEqual(buffer.chars, 0)
        assert.strictEqual(Buffer.concat(taken).toString("utf8"), appended.join(""))
      }),
      { numRuns: 60 }
    )
  })

  it("hands out the buffered bytes before the overflow batch that came after them", () => {
    const buffer = new WriteBuffer()
    buffer.append(["small\n"])
    const big = "x".repeat(9 * 1024 * 1024) + "\n" // past the biggest reused buffer: overflow
    buffer.append([big])
    buffer.append(["after\n"]) // after the big batch, whichever buffer it lands in
    assert.strictEqual(buffer.take()!.toString(), "small\n")
    assert.strictEqual(buffer.chars, big.length + 6)
    assert.strictEqual(buffer.take()!.length, big.length)
    assert.strictEqual(buffer.take()!.toString(), "after\n")
    assert.isUndefined(buffer.take())
  })
})
