/**
 * The redaction walk of each kind of container (not API): plain or class objects, arrays, maps,
 * sets and errors, each copied on write.
 *
 * Callers: the walker (`internal/redactWalk.ts`) only, from its dispatch, once per container it
 * enters — after it has checked the depth, pushed the container on its ancestors and opened the
 * `try` that turns a throw into a marker. Each function visits the container's entries in their own
 * order (`Object.keys`, index, iteration order) and hands every entry back to the {@link Visitor}.
 *
 * Must never: mutate its input, read an entry twice, spend more than one unit of key budget per
 * entry, or skip the marker when the budget runs out (what is cut is said, with how much).
 *
 * Invariant: copy on write — when no entry changed, the container itself is returned (same
 * reference); otherwise a copy of the same kind (prototype kept for objects and errors) in which
 * the entries before the first change are the originals.
 *
 * @internal
 */
import { errorMessage } from "./errorMessage.ts"
import { setOwn } from "./plainRecord.ts"
import * as Path from "./redactPath.ts"

/** Markers left where the walker cut or could not read. */
export const DEPTH_MARKER = "[REDACTED: depth limit]"
export const KEY_LIMIT_MARKER = "[REDACTED: key limit]"
export const CIRCULAR_MARKER = "[REDACTED: circular]"
export const UNREADABLE_MARKER = "[REDACTED: unreadable]"

/** Sentinel returned by the walker for "drop this property". */
export const REMOVE: unique symbol = Symbol("effect-fapilog/Redactor/remove")

/** What a container walk needs from the walker (`redactWalk.Walker` is the one implementation). */
export interface Visitor {
  /** The pattern scan of a string (the string itself when nothing matched). */
  readonly scan: (s: string) => string
  /** Spends one unit of the key budget; `false`, spending nothing, when none is left. */
  spend(): boolean
  /** `value`, redacted, as a container's entry at `depth` with `nodes` live. */
  walk(value: unknown, depth: number, nodes: Path.PathNodes): unknown
  /** What a matched entry becomes: the censor, or {@link REMOVE}. */
  readonly matched: string | typeof REMOVE
  /**
   * Whether the entry reached through `key` (`undefined`: an index or a non-string key) with
   * `childNodes` live is matched outright (by its key or by a path): then it becomes `matched`.
   */
  isMatched(key: string | undefined, childNodes: Path.PathNodes): boolean
}

const copyPrefix = (
  source: Record<string, unknown>,
  keys: ReadonlyArray<string>,
  end: number,
  proto: object | null
): Record<string, unknown> => {
  const out: Record<string, unknown> = proto === Object.prototype ? {} : Object.create(proto)
  for (let i = 0; i < end; i++) {
    const key = keys[i]!
    setOwn(out, key, source[key])
  }
  return out
}

const moreMarker = (left: number): string => `${KEY_LIMIT_MARKER.slice(0, -1)}, ${left} more]`

/** An object's own enumerable properties; a copy (with `proto`) only from the first change. */
export const object = (
  v: Visitor,
  obj: Record<string, unknown>,
  depth: number,
  nodes: Path.PathNodes,
  proto: object | null
): unknown => {
  const keys = Object.keys(obj)
  let out: Record<string, unknown> | undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (!v.spend()) {
      out ??= copyPrefix(obj, keys, i, proto)
      setOwn(out, KEY_LIMIT_MARKER, keys.length - i)
      break
    }
    let value: unknown
    try {
      value = obj[key]
    } catch (error) {
      // one unreadable value (a throwing getter) must not take its neighbours with it
      value = v.scan(`[Throws: ${errorMessage(error)}]`)
      out ??= copyPrefix(obj, keys, i, proto)
    }
    const childNodes = Path.stepPath(nodes, key)
    const next = v.isMatched(key, childNodes) ? v.matched : v.walk(value, depth + 1, childNodes)
    if (next !== value) {
      out ??= copyPrefix(obj, keys, i, proto)
      if (next !== REMOVE) setOwn(out, key, next)
    } else if (out !== undefined) {
      setOwn(out, key, value)
    }
  }
  return out ?? obj
}

/** An array's elements (holes read as `undefined`); a removed element closes up. */
export const array = (v: Visitor, arr: ReadonlyArray<unknown>, depth: number, nodes: Path.PathNodes): unknown => {
  const length = arr.length
  let out: Array<unknown> | undefined
  for (let i = 0; i < length; i++) {
    if (!v.spend()) {
      out ??= arr.slice(0, i)
      out.push(moreMarker(length - i))
      break
    }
    const value = arr[i]
    const childNodes = nodes.length === 0 ? Path.NO_NODES : Path.stepPath(nodes, String(i))
    const next = v.isMatched(undefined, childNodes) ? v.matched : v.walk(value, depth + 1, childNodes)
    if (next !== value) {
      out ??= arr.slice(0, i)
      if (next !== REMOVE) out.push(next)
    } else if (out !== undefined) {
      out.push(value)
    }
  }
  return out ?? arr
}

/** A map's keys (walked, never matched) and values (matched by string keys). */
export const map = (v: Visitor, map: ReadonlyMap<unknown, unknown>, depth: number, nodes: Path.PathNodes): unknown => {
  let changed = false
  const entries: Array<[unknown, unknown]> = []
  let left = map.size
  for (const [k, value] of map) {
    if (!v.spend()) {
      entries.push([KEY_LIMIT_MARKER, left])
      changed = true
      break
    }
    left--
    const key = typeof k === "string" ? k : undefined
    const childNodes = key === undefined ? Path.NO_NODES : Path.stepPath(nodes, key)
    const k2 = v.walk(k, depth + 1, Path.NO_NODES)
    const v2 = v.isMatched(key, childNodes) ? v.matched : v.walk(value, depth + 1, childNodes)
    if (k2 !== k || v2 !== value) changed = true
    if (v2 !== REMOVE) entries.push([k2, v2])
  }
  return changed ? new Map(entries) : map
}

/** A set's values, each under the path step `*`. */
export const set = (v: Visitor, set: ReadonlySet<unknown>, depth: number, nodes: Path.PathNodes): unknown => {
  let changed = false
  const values: Array<unknown> = []
  let left = set.size
  for (const value of set) {
    if (!v.spend()) {
      values.push(moreMarker(left))
      changed = true
      break
    }
    left--
    const v2 = v.walk(value, depth + 1, Path.stepPath(nodes, "*"))
    if (v2 !== value) changed = true
    values.push(v2)
  }
  return changed ? new Set(values) : set
}

/**
 * An error: its message, stack, `cause`, `errors` and own enumerable properties. A copy keeps the
 * prototype and writes `stack`, `cause`, `errors` and an own `name` as hidden properties again.
 */
export const error = (v: Visitor, error: Error, depth: number, nodes: Path.PathNodes): unknown => {
  const message: unknown = error.message
  const stack: unknown = error.stack
  const message2 = typeof message === "string" ? v.scan(message) : v.walk(message, depth + 1, Path.NO_NODES)
  const stack2 = typeof stack === "string" ? v.scan(stack) : stack
  const hasCause = "cause" in error
  const cause = hasCause ? error.cause : undefined
  const cause2 = hasCause ? v.walk(cause, depth + 1, Path.NO_NODES) : undefined
  const errors: unknown = (error as { errors?: unknown }).errors
  const errors2 = Array.isArray(errors) ? v.walk(errors, depth + 1, Path.NO_NODES) : errors
  const props = object(v, error as unknown as Record<string, unknown>, depth, nodes, null)
  const propsChanged = props !== (error as unknown)
  if (message2 === message && stack2 === stack && cause2 === cause && errors2 === errors && !propsChanged) {
    return error
  }
  const copy = new Error(typeof message2 === "string" ? message2 : String(message2))
  Object.setPrototypeOf(copy, Object.getPrototypeOf(error))
  const hidden = { enumerable: false, writable: true, configurable: true }
  Object.defineProperty(copy, "stack", { ...hidden, value: stack2 })
  if (hasCause) Object.defineProperty(copy, "cause", { ...hidden, value: cause2 })
  if (errors2 !== errors) Object.defineProperty(copy, "errors", { ...hidden, value: errors2 })
  if (Object.hasOwn(error, "name")) Object.defineProperty(copy, "name", { ...hidden, value: error.name })
  const source = (propsChanged ? props : error) as Record<string, unknown>
  for (const key of Object.keys(source)) setOwn(copy as unknown as Record<string, unknown>, key, source[key])
  return copy
}
