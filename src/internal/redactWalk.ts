/**
 * The redaction walker (not API): one bounded, copy-on-write walk over a value.
 *
 * Callers: `internal/redact.ts` owns one walker per `Redactor.make` / `makeValue`, calls
 * {@link Walker.reset} once per event (or value), then {@link Walker.root} for `fields` and
 * `annotations`, {@link Walker.cause} for the cause, {@link Walker.value} for a lone value, in that
 * order; the key budget is shared by everything walked between two resets.
 *
 * Must never: throw (an object that cannot be read becomes a marker), mutate its input, call a
 * getter or `toJSON` more than the encoder would, or pass through anything it did not inspect
 * (beyond `maxDepth`, beyond the key budget, in a cycle: a marker, never the value).
 *
 * Invariants: an input with nothing to redact is returned as is (same reference, at every level);
 * `ancestors` holds exactly the containers on the current path (pushed and popped in `walk`); the
 * case order in `walk` mirrors what the encoder writes for each kind of object.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Redacted from "effect/Redacted"
import { errorMessage } from "./errorMessage.ts"
import { isPlainPrototype, setOwn } from "./plainRecord.ts"
import * as Path from "./redactPath.ts"

/** Markers left where the walker cut or could not read. */
export const DEPTH_MARKER = "[REDACTED: depth limit]"
export const KEY_LIMIT_MARKER = "[REDACTED: key limit]"
export const CIRCULAR_MARKER = "[REDACTED: circular]"
export const UNREADABLE_MARKER = "[REDACTED: unreadable]"
/** The property holding a root that could not be kept as a record. */
export const ROOT_MARKER_KEY = "_redaction"

/** Sentinel returned by the walker for "drop this property". */
export const REMOVE: unique symbol = Symbol("effect-fapilog/Redactor/remove")

/** What a walker is compiled from (resolved options). */
export interface Rules {
  /** The replacement text. */
  readonly censor: string
  /** Whether matched keys and paths are removed (rather than censored). */
  readonly remove: boolean
  readonly maxDepth: number
  readonly maxKeys: number
  readonly matchKey: ((key: string) => boolean) | undefined
  readonly rootNodes: Path.PathNodes
  readonly scan: (s: string) => string
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

/** See the module comment. Per-call state: the key budget and the current ancestors. */
export class Walker {
  private budget: number
  private readonly ancestors: Array<object> = []
  private readonly matched: string | typeof REMOVE
  readonly rules: Rules

  constructor(rules: Rules) {
    this.rules = rules
    this.budget = rules.maxKeys
    this.matched = rules.remove ? REMOVE : rules.censor
  }

  /** Starts a new event: the full key budget, no ancestors. */
  reset(): void {
    this.budget = this.rules.maxKeys
    // the walk pops what it pushes; only an escaped exception could leave entries behind
    if (this.ancestors.length !== 0) this.ancestors.length = 0
  }

  /** The key budget left since the last `reset`. */
  budgetLeft(): number {
    return this.budget
  }

  /** Spends `n` of the key budget (what a walk reused from a cache would have spent). */
  charge(n: number): void {
    this.budget -= n
  }

  /** A `fields` or `annotations` record, redacted; always a record. */
  root(record: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    const out = this.walk(record, 0, this.rules.rootNodes)
    if (out === REMOVE) return {}
    return typeof out === "object" && out !== null && !Array.isArray(out)
      ? out as Record<string, unknown>
      : { [ROOT_MARKER_KEY]: out }
  }

  /** Any value, redacted (`undefined` when a path removes the root itself). */
  value(value: unknown): unknown {
    const out = this.walk(value, 0, this.rules.rootNodes)
    return out === REMOVE ? undefined : out
  }

  /** A cause with each failure's error and each defect redacted. */
  cause(cause: Cause.Cause<unknown>): Cause.Cause<unknown> {
    try {
      let reasons: Array<Cause.Reason<unknown>> | undefined
      const original = cause.reasons
      for (let i = 0; i < original.length; i++) {
        const reason = original[i]!
        const next = this.reason(reason)
        if (next !== reason) reasons ??= original.slice(0, i)
        if (reasons !== undefined) reasons.push(next)
      }
      return reasons === undefined ? cause : Cause.fromReasons(reasons)
    } catch {
      return Cause.die(UNREADABLE_MARKER)
    }
  }

  private walk(value: unknown, depth: number, nodes: Path.PathNodes): unknown {
    if (typeof value === "string") return this.rules.scan(value)
    if (typeof value !== "object" || value === null) return value
    if (depth > this.rules.maxDepth) return DEPTH_MARKER
    if (this.ancestors.includes(value)) return CIRCULAR_MARKER
    this.ancestors.push(value)
    try {
      return this.walkContainer(value, depth, nodes)
    } catch {
      return UNREADABLE_MARKER
    } finally {
      this.ancestors.pop()
    }
  }

  /** The cases and their order mirror what the encoder writes for each kind of object. */
  private walkContainer(value: object, depth: number, nodes: Path.PathNodes): unknown {
    if (Array.isArray(value)) return this.array(value, depth, nodes)
    const proto = Object.getPrototypeOf(value)
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (isPlainPrototype(proto) && typeof toJSON !== "function") {
      return this.object(value as Record<string, unknown>, depth, nodes, proto)
    }
    if (Redacted.isRedacted(value)) return this.rules.censor
    if (value instanceof Date) return value
    if (value instanceof Error) return this.error(value, depth, nodes)
    if (value instanceof Map) return this.map(value, depth, nodes)
    if (value instanceof Set) return this.set(value, depth, nodes)
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value
    if (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer) return value
    if (typeof toJSON === "function") {
      // what encoders write is the toJSON result: inspect that
      const json: unknown = toJSON.call(value, "")
      if (json !== value) {
        const out = this.walk(json, depth, nodes)
        return out === json ? value : out
      }
    } else if (value instanceof String || value instanceof RegExp) {
      const text = String(value)
      const out = this.rules.scan(text)
      return out === text ? value : out
    }
    return this.object(value as Record<string, unknown>, depth, nodes, proto)
  }

  /** Whether the property reached through `key` (with `childNodes` live) is matched outright. */
  private isMatched(key: string | undefined, childNodes: Path.PathNodes): boolean {
    const matchKey = this.rules.matchKey
    return (key !== undefined && matchKey !== undefined && matchKey(key)) ||
      (childNodes.length > 0 && Path.isTerminal(childNodes))
  }

  private object(obj: Record<string, unknown>, depth: number, nodes: Path.PathNodes, proto: object | null): unknown {
    const keys = Object.keys(obj)
    let out: Record<string, unknown> | undefined
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (this.budget <= 0) {
        out ??= copyPrefix(obj, keys, i, proto)
        setOwn(out, KEY_LIMIT_MARKER, keys.length - i)
        break
      }
      this.budget--
      let v: unknown
      try {
        v = obj[key]
      } catch (error) {
        // one unreadable value (a throwing getter) must not take its neighbours with it
        v = this.rules.scan(`[Throws: ${errorMessage(error)}]`)
        out ??= copyPrefix(obj, keys, i, proto)
      }
      const childNodes = Path.stepPath(nodes, key)
      const next = this.isMatched(key, childNodes) ? this.matched : this.walk(v, depth + 1, childNodes)
      if (next !== v) {
        out ??= copyPrefix(obj, keys, i, proto)
        if (next !== REMOVE) setOwn(out, key, next)
      } else if (out !== undefined) {
        setOwn(out, key, v)
      }
    }
    return out ?? obj
  }

  private array(arr: ReadonlyArray<unknown>, depth: number, nodes: Path.PathNodes): unknown {
    const length = arr.length
    let out: Array<unknown> | undefined
    for (let i = 0; i < length; i++) {
      if (this.budget <= 0) {
        out ??= arr.slice(0, i)
        out.push(moreMarker(length - i))
        break
      }
      this.budget--
      const v = arr[i]
      const childNodes = nodes.length === 0 ? Path.NO_NODES : Path.stepPath(nodes, String(i))
      const next = this.isMatched(undefined, childNodes) ? this.matched : this.walk(v, depth + 1, childNodes)
      if (next !== v) {
        out ??= arr.slice(0, i)
        if (next !== REMOVE) out.push(next)
      } else if (out !== undefined) {
        out.push(v)
      }
    }
    return out ?? arr
  }

  private map(map: ReadonlyMap<unknown, unknown>, depth: number, nodes: Path.PathNodes): unknown {
    let changed = false
    const entries: Array<[unknown, unknown]> = []
    let left = map.size
    for (const [k, v] of map) {
      if (this.budget <= 0) {
        entries.push([KEY_LIMIT_MARKER, left])
        changed = true
        break
      }
      this.budget--
      left--
      const key = typeof k === "string" ? k : undefined
      const childNodes = key === undefined ? Path.NO_NODES : Path.stepPath(nodes, key)
      const k2 = this.walk(k, depth + 1, Path.NO_NODES)
      const v2 = this.isMatched(key, childNodes) ? this.matched : this.walk(v, depth + 1, childNodes)
      if (k2 !== k || v2 !== v) changed = true
      if (v2 !== REMOVE) entries.push([k2, v2])
    }
    return changed ? new Map(entries) : map
  }

  private set(set: ReadonlySet<unknown>, depth: number, nodes: Path.PathNodes): unknown {
    let changed = false
    const values: Array<unknown> = []
    let left = set.size
    for (const v of set) {
      if (this.budget <= 0) {
        values.push(moreMarker(left))
        changed = true
        break
      }
      this.budget--
      left--
      const v2 = this.walk(v, depth + 1, Path.stepPath(nodes, "*"))
      if (v2 !== v) changed = true
      values.push(v2)
    }
    return changed ? new Set(values) : set
  }

  private error(error: Error, depth: number, nodes: Path.PathNodes): unknown {
    const message: unknown = error.message
    const stack: unknown = error.stack
    const message2 = typeof message === "string" ? this.rules.scan(message) : this.walk(message, depth + 1, Path.NO_NODES)
    const stack2 = typeof stack === "string" ? this.rules.scan(stack) : stack
    const hasCause = "cause" in error
    const cause = hasCause ? error.cause : undefined
    const cause2 = hasCause ? this.walk(cause, depth + 1, Path.NO_NODES) : undefined
    const errors: unknown = (error as { errors?: unknown }).errors
    const errors2 = Array.isArray(errors) ? this.walk(errors, depth + 1, Path.NO_NODES) : errors
    const props = this.object(error as unknown as Record<string, unknown>, depth, nodes, null)
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

  private reason(reason: Cause.Reason<unknown>): Cause.Reason<unknown> {
    const copy = (patch: object) => Object.assign(Object.create(Object.getPrototypeOf(reason)), reason, patch)
    if (Cause.isFailReason(reason)) {
      const error = this.walk(reason.error, 1, Path.NO_NODES)
      return error === reason.error ? reason : copy({ error })
    }
    if (Cause.isDieReason(reason)) {
      const defect = this.walk(reason.defect, 1, Path.NO_NODES)
      return defect === reason.defect ? reason : copy({ defect })
    }
    return reason
  }
}
