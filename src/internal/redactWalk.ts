/**
 * The redaction walker (not API): one bounded, copy-on-write walk over a value.
 *
 * Callers: `internal/redact.ts` owns one walker per `Redactor.make` / `makeValue`, calls
 * {@link Walker.reset} once per event (or value), then {@link Walker.root} for `fields` and
 * `annotations`, {@link Walker.cause} for the cause, {@link Walker.value} for a lone value, in that
 * order; the key budget is shared by everything walked between two resets. The walker keeps the
 * bookkeeping (budget, ancestors, depth) and picks the walk for each kind of value; the walk of
 * each container kind is in `internal/redactContainers.ts`, which calls back into the walker for
 * every entry.
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
import { isPlainPrototype } from "./plainRecord.ts"
import * as Containers from "./redactContainers.ts"
import * as Path from "./redactPath.ts"

/** The property holding a root that could not be kept as a record. */
export const ROOT_MARKER_KEY = "_redaction"

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

/** See the module comment. Per-call state: the key budget and the current ancestors. */
export class Walker implements Containers.Visitor {
  private budget: number
  private readonly ancestors: Array<object> = []
  readonly matched: string | typeof Containers.REMOVE
  readonly rules: Rules
  readonly scan: (s: string) => string

  constructor(rules: Rules) {
    this.rules = rules
    this.scan = rules.scan
    this.budget = rules.maxKeys
    this.matched = rules.remove ? Containers.REMOVE : rules.censor
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

  /** Spends one unit of the key budget for a container's entry; `false` when none is left. */
  spend(): boolean {
    if (this.budget <= 0) return false
    this.budget--
    return true
  }

  /** A `fields` or `annotations` record, redacted; always a record. */
  root(record: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    const out = this.walk(record, 0, this.rules.rootNodes)
    if (out === Containers.REMOVE) return {}
    return typeof out === "object" && out !== null && !Array.isArray(out)
      ? out as Record<string, unknown>
      : { [ROOT_MARKER_KEY]: out }
  }

  /** Any value, redacted (`undefined` when a path removes the root itself). */
  value(value: unknown): unknown {
    const out = this.walk(value, 0, this.rules.rootNodes)
    return out === Containers.REMOVE ? undefined : out
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
      return Cause.die(Containers.UNREADABLE_MARKER)
    }
  }

  /** `value` at `depth` with `nodes` live: scanned, cut, or its container walked. */
  walk(value: unknown, depth: number, nodes: Path.PathNodes): unknown {
    if (typeof value === "string") return this.scan(value)
    if (typeof value !== "object" || value === null) return value
    if (depth > this.rules.maxDepth) return Containers.DEPTH_MARKER
    if (this.ancestors.includes(value)) return Containers.CIRCULAR_MARKER
    this.ancestors.push(value)
    try {
      return this.walkContainer(value, depth, nodes)
    } catch {
      return Containers.UNREADABLE_MARKER
    } finally {
      this.ancestors.pop()
    }
  }

  /** See {@link Containers.Visitor.isMatched}. */
  isMatched(key: string | undefined, childNodes: Path.PathNodes): boolean {
    const matchKey = this.rules.matchKey
    return (key !== undefined && matchKey !== undefined && matchKey(key)) ||
      (childNodes.length > 0 && Path.isTerminal(childNodes))
  }

  /** The cases and their order mirror what the encoder writes for each kind of object. */
  private walkContainer(value: object, depth: number, nodes: Path.PathNodes): unknown {
    if (Array.isArray(value)) return Containers.array(this, value, depth, nodes)
    const proto = Object.getPrototypeOf(value)
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (isPlainPrototype(proto) && typeof toJSON !== "function") {
      return Containers.object(this, value as Record<string, unknown>, depth, nodes, proto)
    }
    if (Redacted.isRedacted(value)) return this.rules.censor
    if (value instanceof Date) return value
    if (value instanceof Error) return Containers.error(this, value, depth, nodes)
    if (value instanceof Map) return Containers.map(this, value, depth, nodes)
    if (value instanceof Set) return Containers.set(this, value, depth, nodes)
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
      const out = this.scan(text)
      return out === text ? value : out
    }
    return Containers.object(this, value as Record<string, unknown>, depth, nodes, proto)
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
