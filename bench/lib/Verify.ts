/**
 * Checks a JSON-lines output file: exactly the expected number of lines, each one valid JSON.
 *
 * The file is read in 1 MiB chunks and split on `\n` by hand, so a 200 MB file is never held in
 * memory at once.
 *
 * @module
 */
import * as Fs from "node:fs/promises"

/** The outcome of checking one file. */
export interface Verdict {
  readonly ok: boolean
  readonly lines: number
  readonly invalid: number
  readonly bytes: number
  /** Why the file failed, when it did (first problem found). */
  readonly problem?: string
}

const NEWLINE = 0x0a
const CHUNK = 1 << 20

/**
 * Counts the lines of `path` and parses each with `JSON.parse`; `ok` when there are exactly
 * `expected` lines, all valid, and the file ends with a newline.
 *
 * @example
 * ```ts
 * import * as Verify from "./Verify.ts"
 * const verdict = await Verify.jsonLines("/tmp/out.jsonl", 1_000_000)
 * if (!verdict.ok) console.error(verdict.problem)
 * ```
 */
export const jsonLines = async (path: string, expected: number): Promise<Verdict> => {
  const handle = await Fs.open(path, "r")
  let lines = 0
  let invalid = 0
  let bytes = 0
  let firstProblem: string | undefined
  let carry: Buffer | undefined
  const buffer = Buffer.allocUnsafe(CHUNK)
  const check = (line: Buffer, start: number, end: number): void => {
    lines++
    try {
      const value: unknown = JSON.parse(line.toString("utf8", start, end))
      if (typeof value !== "object" || value === null) throw new Error("not an object")
    } catch (error) {
      invalid++
      if (firstProblem === undefined) {
        const text = line.toString("utf8", start, Math.min(end, start + 200))
        firstProblem = `line ${lines} is not a JSON object (${String(error)}): ${text}`
      }
    }
  }
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null)
      if (bytesRead === 0) break
      bytes += bytesRead
      let start = 0
      let nl = buffer.indexOf(NEWLINE, 0)
      while (nl !== -1 && nl < bytesRead) {
        if (carry !== undefined) {
          const joined = Buffer.concat([carry, buffer.subarray(0, nl)])
          carry = undefined
          check(joined, 0, joined.length)
        } else {
          check(buffer, start, nl)
        }
        start = nl + 1
        nl = buffer.indexOf(NEWLINE, start)
      }
      if (start < bytesRead) {
        const rest = Buffer.from(buffer.subarray(start, bytesRead))
        carry = carry === undefined ? rest : Buffer.concat([carry, rest])
      }
    }
  } finally {
    await handle.close()
  }
  if (carry !== undefined) {
    check(carry, 0, carry.length)
    firstProblem ??= `the last line has no trailing newline`
  }
  if (firstProblem === undefined && lines !== expected) {
    firstProblem = `expected ${expected} lines, found ${lines}`
  }
  return {
    ok: firstProblem === undefined,
    lines,
    invalid,
    bytes,
    ...(firstProblem === undefined ? {} : { problem: firstProblem })
  }
}
