/**
 * Shared helpers for the records events carry (not API).
 *
 * @internal
 */
import { types } from "node:util"
import { isPlainPrototype } from "./plainRecord.ts"

/** Work done on a reusable record, and the budget it spent (charged again on every reuse). */
export interface Reused<A> {
  readonly value: A
  readonly cost: number
}

/**
 * Remembers work done on reusable records (see {@link Reuse.isReusable}): the last record's first (a run
 * of events from one context), then every live record's, weakly (contexts interleaving in one
 * batch). Shared by the redactor and the encoder.
 */
export class Reuse<A> {
  private last: object | undefined = undefined
  private lastDone: Reused<A> | undefined = undefined
  private readonly all = new WeakMap<object, Reused<A>>()
  /** {@link isReusable}'s answers for frozen records (which cannot change). */
  private readonly answers = new WeakMap<object, boolean>()

  /**
   * Whether a record's work can be reused: a frozen plain record (not a Proxy) whose own values
   * are all primitive data properties, so nothing reachable from it can change (see
   * `LogEvent.annotator`). The answer is remembered per frozen record; a record that is not
   * frozen (Effect's `annotateLogs` makes a new one per call) is answered by the first, cheap
   * test alone. Never throws.
   */
  isReusable(record: Readonly<Record<string, unknown>>): boolean {
    if (!isFrozenPlain(record)) return false
    let answer = this.answers.get(record)
    if (answer === undefined) {
      answer = check(record)
      this.answers.set(record, answer)
    }
    return answer
  }

  /** The work remembered for `record`, if any (only reusable, hence frozen, records are kept). */
  get(record: object): Reused<A> | undefined {
    if (record === this.last) return this.lastDone
    if (!isFrozenPlain(record)) return undefined
    const done = this.all.get(record)
    if (done !== undefined) {
      this.last = record
      this.lastDone = done
    }
    return done
  }

  /** Remembers the work done on `record` (the caller checked that it is reusable). */
  set(record: object, value: A, cost: number): void {
    const done = { value, cost }
    this.last = record
    this.lastDone = done
    this.all.set(record, done)
  }
}

/**
 * Whether `record` is frozen and not a Proxy: the first test, cheap, of every reuse. `isFrozen`
 * first: inlined, it answers most records (not frozen) without the native `isProxy` call (a Proxy
 * answers through its traps, guarded here, and is then refused by `isProxy`).
 */
const isFrozenPlain = (record: object): boolean => {
  try {
    return Object.isFrozen(record) && !types.isProxy(record)
  } catch {
    return false
  }
}

/** The rest of `Reuse.isReusable`, for a frozen record that is not a Proxy. */
const check = (record: Readonly<Record<string, unknown>>): boolean => {
  try {
    if (!isPlainPrototype(Object.getPrototypeOf(record))) return false
    const keys = Object.keys(record)
    for (let i = 0; i < keys.length; i++) {
      const descriptor = Object.getOwnPropertyDescriptor(record, keys[i]!)
      if (descriptor === undefined || !("value" in descriptor)) return false
      const value: unknown = descriptor.value
      if (typeof value === "object" ? value !== null : typeof value === "function") return false
    }
    return true
  } catch {
    return false
  }
}
