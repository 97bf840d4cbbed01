/**
 * The encoder's fast path for big plain values (not API): native `JSON.stringify` for a value
 * that the safe walker of `Encoder.ts` would write exactly as `JSON.stringify` does.
 *
 * Caller: `Encoder.ts` (`obj`), for a top-level value (a field, an annotation, the root of
 * `encodeValue`) that is a plain object or an array. When {@link PlainJson.encode} returns
 * `undefined`, the caller writes the value with its safe walker, as before.
 *
 * Why: on the benchmark's deep-object workload (pino's package.json nested four deep, a 24 KB
 * line) the walker took 75 µs per event where `JSON.stringify` takes 31 µs, and its output, a
 * string built of thousands of concatenated pieces, cost the file sink another 20–40 µs to
 * flatten before encoding it to UTF-8 (node 24, `bench/runners/matrix.ts --workload deep`
 * measured 0.55× pino before this path; see `docs/benchmarks.md`).
 *
 * How: a cheap walk reads every property once and checks that the value is a tree of plain
 * objects (prototype `Object.prototype` or `null`, no `toJSON`, not a Proxy) and arrays
 * holding strings, numbers, booleans, `null` and `undefined`, within every limit the walker
 * applies (depth, keys per object, items per array, string and key lengths, and the line budget,
 * which it charges exactly as the walker would). Only then is the value given to `JSON.stringify`,
 * whose output for such a value is the walker's, except for U+2028/U+2029, which are escaped
 * after. Cycles fail the walk (they exceed the depth) and go to the walker, which cuts them.
 *
 * Must never: throw (the walk and the stringify are guarded), or let through a line the walker
 * would not bound. A getter is read twice (by the walk, then by `JSON.stringify`); one that
 * returns something else the second time can only get a valid one-line JSON text no longer than
 * the walk's bound (every string character escaped, every number at its longest), else the
 * walker takes over.
 *
 * @internal
 */
import { types } from "node:util"
import { isPlainPrototype } from "./plainRecord.ts"

/** The limits the walk checks (the encoder's). */
export interface Limits {
  readonly maxDepth: number
  readonly maxKeys: number
  readonly maxArrayLength: number
  /** Strings longer than this are cut by the walker: not plain. */
  readonly stringCap: number
  /** Keys longer than this are cut by the walker: not plain. */
  readonly maxStringLength: number
}

// the longest text of a number (`-1.2345678901234567e-308`)
const NUMBER_MAX = 24
const SEPARATORS = /[\u2028\u2029]/
const SEPARATORS_G = /[\u2028\u2029]/g
const unicodeEscape = (c: string): string => "\\u" + c.charCodeAt(0).toString(16)

/**
 * `json` (JSON text from `JSON.stringify`) with U+2028 and U+2029 escaped: valid JSON either
 * way, but a line separator left raw would split the line for many readers.
 */
export const escapeSeparators = (json: string): string =>
  SEPARATORS.test(json) ? json.replace(SEPARATORS_G, unicodeEscape) : json

/**
 * One encoder's fast path: its limits and the walk's running totals (one instance per encoder
 * state, used by one encode at a time).
 */
export class PlainJson {
  readonly limits: Limits
  /** What the walker would charge the line budget for the value walked. */
  charge = 0
  /** The longest text `JSON.stringify` may return for it. */
  private bound = 0
  /** The walk gives up once `charge` reaches this (the walker would write line-limit markers). */
  private budget = 0

  constructor(limits: Limits) {
    this.limits = limits
  }

  /**
   * The JSON text of `value` when it is plain and within the limits and `budget` (the line
   * budget left; the value's cost is then in `charge`), else `undefined`.
   */
  encode(value: object, budget: number): string | undefined {
    this.charge = 0
    this.bound = 0
    this.budget = budget
    try {
      if (!this.container(value, 0)) return undefined
      const json = JSON.stringify(value)
      if (typeof json !== "string" || json.length > this.bound) return undefined
      return escapeSeparators(json)
    } catch {
      return undefined
    }
  }

  /** Whether the object or array `o`, at nesting `depth`, is plain (adds its cost). */
  private container(o: object, depth: number): boolean {
    if (depth >= this.limits.maxDepth || types.isProxy(o) || typeof (o as any).toJSON === "function") return false
    this.charge += 2
    if (Array.isArray(o)) {
      const n = o.length
      if (n > this.limits.maxArrayLength) return false
      this.bound += n + 2
      for (let i = 0; i < n; i++) {
        const v = o[i]
        if (v === undefined) this.bound += 4
        else if (!this.value(v, depth)) return false
      }
      return this.charge < this.budget
    }
    if (!isPlainPrototype(Object.getPrototypeOf(o))) return false
    const keys = Object.keys(o)
    const n = keys.length
    if (n > this.limits.maxKeys) return false
    // one native read of every value (12.3 → 9 µs for the deep object's walk, against a keyed
    // read per key); a getter that adds or removes keys meanwhile sends the value to the walker
    const values = Object.values(o)
    if (values.length !== n) return false
    this.bound += n + 2
    const maxKey = this.limits.maxStringLength
    for (let i = 0; i < n; i++) {
      const k = keys[i]!
      if (k.length > maxKey) return false
      const v = values[i]
      if (v === undefined) continue
      this.bound += 6 * k.length + 3
      if (!this.value(v, depth)) return false
    }
    return this.charge < this.budget
  }

  /** Whether `v`, inside a container at nesting `depth`, is plain (adds its cost). */
  private value(v: unknown, depth: number): boolean {
    if (this.charge >= this.budget) return false
    switch (typeof v) {
      case "string":
        if (v.length > this.limits.stringCap) return false
        this.charge += v.length + 2
        this.bound += 6 * v.length + 2
        return true
      case "number":
      case "boolean":
        this.charge += 4
        this.bound += NUMBER_MAX
        return true
      case "object":
        if (v === null) {
          this.charge += 2
          this.bound += 4
          return true
        }
        return this.container(v, depth + 1)
      default:
        return false
    }
  }
}
