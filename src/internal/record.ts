/**
 * Shared helpers for the records events carry (not API).
 *
 * @internal
 */
import { types } from "node:util"
import { isPlainPrototype } from "./plainRecord.ts"

/**
 * Whether a record's work can be reused: a frozen plain record (not a Proxy) whose own values are
 * all primitive data properties, so nothing reachable from it can change. Redactor and encoder
 * cache their result for such a record (see `LogEvent.annotator`). Never throws.
 */
export const isReusable = (record: Readonly<Record<string, unknown>>): boolean => {
  // a frozen record cannot change: its answer is kept (weakly) and looked up next time
  const known = answers.get(record)
  if (known !== undefined) return known
  const answer = check(record)
  if (answer || isFrozenPlain(record)) answers.set(record, answer)
  return answer
}

const answers = new WeakMap<object, boolean>()

const isFrozenPlain = (record: object): boolean => {
  try {
    return !types.isProxy(record) && Object.isFrozen(record)
  } catch {
    return false
  }
}

const check = (record: Readonly<Record<string, unknown>>): boolean => {
  try {
    if (types.isProxy(record) || !Object.isFrozen(record)) return false
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

/** Work done on a reusable record, and the budget it spent (charged again on every reuse). */
export interface Reused<A> {
  readonly value: A
  readonly cost: number
}

/**
 * Remembers work done on reusable records (see {@link isReusable}): the last record's first (a run
 * of events from one context), then every live record's, weakly (contexts interleaving in one
 * batch). Shared by the redactor and the encoder.
 */
export class Reuse<A> {
  private last: object | undefined = undefined
  private lastDone: Reused<A> | undefined = undefined
  private readonly all = new WeakMap<object, Reused<A>>()

  /** The work remembered for `record`, if any. */
  get(record: object): Reused<A> | undefined {
    if (record === this.last) return this.lastDone
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
