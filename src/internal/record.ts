/**
 * Shared helpers for the records events carry (not API).
 *
 * @internal
 */
import { types } from "node:util"

/**
 * Whether a record's work can be reused: a frozen plain record (not a Proxy) whose own values are
 * all primitive data properties, so nothing reachable from it can change. Redactor and encoder
 * cache their result for such a record (see `LogEvent.annotator`). Never throws.
 */
export const isReusable = (record: Readonly<Record<string, unknown>>): boolean => {
  try {
    if (types.isProxy(record) || !Object.isFrozen(record)) return false
    const proto = Object.getPrototypeOf(record)
    if (proto !== Object.prototype && proto !== null) return false
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
