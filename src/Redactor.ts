/**
 * Redaction: a pure event transform that masks secrets before any sink sees an event.
 *
 * Four mechanisms, all compiled once by {@link make}:
 *
 * - **Keys**: a property whose name is a secret-looking key ({@link defaultKeys}, replaceable or
 *   extendable) is censored or removed wherever it appears in `fields`, `annotations`, error
 *   properties and the event's `cause`, at any depth, in objects, arrays, `Map`s. Matching ignores
 *   case, `-` and `_` (`"API_KEY"`, `"api-key"` and `"apiKey"` all match `"api_key"`); an entry
 *   starting with `*` matches as a suffix (`"*token"` matches `"csrfToken"`).
 * - **Paths**: dotted paths from the root of `fields` (and of `annotations`), `*` matching any one
 *   key or array index (`"user.email"`, `"items.*.card"`).
 * - **Value patterns**: regular expressions applied to every string value, to the message, and to
 *   the message and stack of every `Error` ({@link builtinPatterns}: bearer tokens, JWTs, card
 *   numbers with a Luhn check, credentials in URLs; or your own `RegExp`s).
 * - **`Redacted`**: every Effect `Redacted` value is replaced by the censor, whatever its key.
 *
 * Work is bounded on hostile input: nesting beyond `maxDepth`, properties beyond the per-event
 * `maxKeys` budget, cycles, and objects that cannot be read are replaced by markers
 * (`"[REDACTED: depth limit]"`, `"[REDACTED: key limit]"`, `"[REDACTED: circular]"`,
 * `"[REDACTED: unreadable]"`); a property whose getter throws becomes `"[Throws: message]"` (the
 * message scanned like any string) without taking its neighbours with it; nothing that was not
 * inspected is passed through. Objects with
 * nothing to redact are not copied (copy-on-write), and an event with nothing to redact is
 * returned as is.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Redacted from "effect/Redacted"
import { type LogEvent, renderTemplate } from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"
import { isReusable, Reuse } from "./internal/record.ts"
import * as Event from "./internal/event.ts"

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * The names of the built-in value patterns.
 *
 * - `"bearer"`: `Bearer <token>` / `Basic <credentials>` (scheme kept, token censored; the token
 *   must be at least 8 characters and not all lower-case letters, so prose such as
 *   "Basic authentication" is left alone).
 * - `"jwt"`: three base64url segments starting with `eyJ`.
 * - `"creditCard"`: 13–19 digits starting with 2–6, optionally grouped by spaces or dashes,
 *   that pass the Luhn check.
 * - `"urlCredentials"`: `scheme://user:password@host` becomes `scheme://user:[REDACTED]@host`.
 *
 * @example
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const tokensOnly: ReadonlyArray<Redactor.BuiltinPattern> = ["bearer", "jwt"]
 * const redact = Redactor.make({ patterns: tokensOnly })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type BuiltinPattern = "bearer" | "jwt" | "creditCard" | "urlCredentials"

/**
 * What happens to a property matched by key or path: `"censor"` replaces its value by the
 * censor string, `"remove"` deletes it (array elements matched by a path are removed from the
 * array). `Redacted` values and pattern matches inside strings are always censored.
 *
 * @example
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const mode: Redactor.Mode = "remove"
 * const redact = Redactor.make({ paths: ["user.email"], mode }) // `user.email` is deleted, not masked
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "censor" | "remove"

/**
 * Redaction options; every one is optional.
 *
 * @example
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const options: Redactor.Options = {
 *   extraKeys: ["email", "iban"],
 *   paths: ["payment.card.number", "items.*.voucher"],
 *   patterns: [...Redactor.builtinPatterns, /sk_live_[A-Za-z0-9]+/],
 *   censor: "***"
 * }
 * const stage = Redactor.pipeline(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Secret keys, replacing {@link defaultKeys} (`[]` disables key matching). */
  readonly keys?: ReadonlyArray<string> | undefined
  /** Secret keys added to `keys` (or to the defaults). */
  readonly extraKeys?: ReadonlyArray<string> | undefined
  /** Dotted paths from the root of `fields` and of `annotations`; `*` matches any one key. */
  readonly paths?: ReadonlyArray<string> | undefined
  /** Value patterns, replacing {@link builtinPatterns} (`[]` disables them). */
  readonly patterns?: ReadonlyArray<RegExp | BuiltinPattern> | undefined
  /** `"censor"` (default) or `"remove"`. */
  readonly mode?: Mode | undefined
  /** The replacement text, `"[REDACTED]"` by default. */
  readonly censor?: string | undefined
  /** Containers nested deeper than this below `fields`/`annotations` are cut (default 32). */
  readonly maxDepth?: number | undefined
  /** Properties and elements inspected per event before the rest is cut (default 10,000). */
  readonly maxKeys?: number | undefined
}

// -----------------------------------------------------------------------------
// constants
// -----------------------------------------------------------------------------

/**
 * The default secret keys. Matching ignores case, `-` and `_`; entries starting with `*` match
 * any key ending with the rest (`"*token"` covers `token`, `access_token`, `refreshToken`,
 * `id_token`, `x-csrf-token`, …).
 *
 * @example
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redact = Redactor.make({ keys: [...Redactor.defaultKeys, "email"] })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultKeys: ReadonlyArray<string> = [
  "*password",
  "*passwd",
  "pwd",
  "passphrase",
  "*secret",
  "*secretkey",
  "*secretaccesskey",
  "*token",
  "*apikey",
  "*privatekey",
  "*privatekeypem",
  "*authorization",
  "auth",
  "*cookie",
  "session",
  "sessionid",
  "credentials",
  "credit_card",
  "card_number",
  "cvv",
  "cvc",
  "ssn"
]

/**
 * Every built-in value pattern, the default for `patterns`.
 *
 * @example
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redact = Redactor.make({ patterns: [...Redactor.builtinPatterns, /sk_live_[A-Za-z0-9]+/] })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const builtinPatterns: ReadonlyArray<BuiltinPattern> = ["bearer", "jwt", "creditCard", "urlCredentials"]

/**
 * The default censor, `"[REDACTED]"`.
 *
 * @example
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const event = Redactor.make()(LogEvent.make({
 *   timestamp: 0, level: "Info", message: "login", logger: "auth", fields: { password: "hunter2" }
 * }))
 * event.fields?.password === Redactor.defaultCensor // true
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultCensor = "[REDACTED]"

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Compiles the options once and returns the redacting event transform.
 *
 * The transform is synchronous, never throws, and returns the very same event when there is
 * nothing to redact. Control events should not be passed to it (use {@link pipeline}, which
 * forwards them).
 *
 * @example
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redact = Redactor.make({ extraKeys: ["email"] })
 * const event = redact(LogEvent.make({
 *   timestamp: 0, level: "Info", message: "login", logger: "auth",
 *   fields: { user: { email: "a@b.c", password: "hunter2" } }
 * }))
 * // event.fields: { user: { email: "[REDACTED]", password: "[REDACTED]" } }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): (event: LogEvent) => LogEvent => {
  const r = compile(options ?? {})
  // the last frozen, flat annotations record and its redaction: enrichment and sampling marks
  // share one such record across the events of a context (see `LogEvent.annotator`)
  const reuse = new Reuse<Readonly<Record<string, unknown>>>()
  const redactAnnotations = (annotations: Readonly<Record<string, unknown>>) => {
    // a reuse spends the key budget the walk would have spent; with too little left, walk again
    const known = reuse.get(annotations)
    if (known !== undefined && r.budgetLeft() > known.cost) {
      r.charge(known.cost)
      return known.value
    }
    const before = r.budgetLeft()
    const out = r.root(annotations)
    if (r.budgetLeft() > 0 && isReusable(annotations)) {
      const frozen = out === annotations ? out : Object.freeze(out)
      reuse.set(annotations, frozen, before - r.budgetLeft())
      return frozen
    }
    return out
  }
  // recent messages and what the scan made of them (a pure function of the text): messages are
  // mostly literals repeated from event to event
  const scanned = new Map<string, string>()
  const scanMessage = (message: string): string => {
    if (typeof message !== "string" || message.length > 256) return r.scan(message)
    let out = scanned.get(message)
    if (out === undefined) {
      out = r.scan(message)
      if (scanned.size >= 512) scanned.clear()
      scanned.set(message, out)
    }
    return out
  }
  return (event) => {
    // a message rendered from a template carries values: unique, not worth remembering
    const message = event.template === undefined ? scanMessage(event.message) : r.scan(event.message)
    const fields = event.fields
    const annotations = event.annotations
    const cause = event.cause
    if (fields === undefined && annotations === undefined && cause === undefined) {
      return message === event.message ? event : copyEvent(event, message, fields, annotations, cause)
    }
    r.reset()
    const fields2 = fields === undefined ? undefined : r.root(fields)
    const annotations2 = annotations === undefined ? undefined : redactAnnotations(annotations)
    const cause2 = cause === undefined ? undefined : r.cause(cause)
    // a message rendered from a template carries field values: render it again from the
    // redacted fields, so a secret filled into the message is masked like the field itself
    const rendered = event.template !== undefined && fields2 !== fields && fields2 !== undefined
      ? r.scan(renderTemplate(event.template, fields2))
      : message
    if (rendered === event.message && fields2 === fields && annotations2 === annotations && cause2 === cause) {
      return event
    }
    return copyEvent(event, rendered, fields2, annotations2, cause2)
  }
}

/**
 * Compiles the options once and returns a transform for any value (an HTTP request record, an
 * error, a string): the same rules as {@link make}, with paths read from the value's root.
 *
 * @example
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redactValue = Redactor.makeValue()
 * redactValue({ headers: { authorization: "Bearer abc.def.ghi" } })
 * // { headers: { authorization: "[REDACTED]" } }
 * redactValue("postgres://app:s3cret@db/prod") // "postgres://app:[REDACTED]@db/prod"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeValue = (options?: Options): (value: unknown) => unknown => {
  const r = compile(options ?? {})
  return (value) => {
    r.reset()
    return r.value(value)
  }
}

/**
 * A pipeline stage applying {@link make} to every ordinary event; control events pass unchanged
 * and in order.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const events = Stream.make(LogEvent.make({
 *   timestamp: 0, level: "Info", message: "hi", logger: "app", fields: { token: "t0k3n" }
 * }))
 * const redacted = events.pipe(Redactor.pipeline({ mode: "remove" }))
 * ```
 *
 * @since 0.1.0
 * @category pipeline
 */
export const pipeline = (options?: Options): Pipeline.Pipeline => Pipeline.mapEvents(make(options))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const DEPTH_MARKER = "[REDACTED: depth limit]"
const KEY_LIMIT_MARKER = "[REDACTED: key limit]"
const CIRCULAR_MARKER = "[REDACTED: circular]"
const UNREADABLE_MARKER = "[REDACTED: unreadable]"
/** the property holding a root that could not be kept as a record */
const ROOT_MARKER_KEY = "_redaction"

const defaultMaxDepth = 32
const defaultMaxKeys = 10_000
const keyCacheLimit = 4096

/** Sentinel returned by the walker for "drop this property". */
const REMOVE: unique symbol = Symbol("effect-fapilog/Redactor/remove")

interface PathNode {
  readonly children: Map<string, PathNode>
  wildcard: PathNode | undefined
  terminal: boolean
}

type PathNodes = ReadonlyArray<PathNode>
const NO_NODES: PathNodes = []

interface CompiledPattern {
  readonly test: RegExp
  readonly global: RegExp
  readonly replace: (match: string, ...groups: Array<any>) => string
}

interface Compiled {
  readonly scan: (s: string) => string
  readonly reset: () => void
  /** The per-event key budget left since the last `reset`. */
  readonly budgetLeft: () => number
  /** Spends `n` of the per-event key budget (what a walk reused from a cache would have spent). */
  readonly charge: (n: number) => void
  readonly root: (record: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>>
  readonly value: (value: unknown) => unknown
  readonly cause: (cause: Cause.Cause<unknown>) => Cause.Cause<unknown>
}

const errorText = (error: unknown): string => {
  try {
    return error instanceof Error ? String(error.message) : String(error)
  } catch {
    return "unreadable"
  }
}

const copyEvent = (
  event: LogEvent,
  message: string,
  fields: LogEvent["fields"],
  annotations: LogEvent["annotations"],
  cause: LogEvent["cause"]
): LogEvent => Event.copy(event, message, fields, annotations, cause)

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, "")

const compileKeys = (options: Options): ((key: string) => boolean) | undefined => {
  const entries = [...(options.keys ?? defaultKeys), ...(options.extraKeys ?? [])]
  if (entries.length === 0) return undefined
  const exact = new Set<string>()
  const suffixes: Array<string> = []
  for (const entry of entries) {
    if (entry.startsWith("*")) {
      const suffix = normalizeKey(entry.slice(1))
      if (suffix.length > 0) suffixes.push(suffix)
      else return () => true
    } else {
      exact.add(normalizeKey(entry))
    }
  }
  const cache = new Map<string, boolean>()
  return (key) => {
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const normalized = normalizeKey(key)
    let matched = exact.has(normalized)
    for (let i = 0; !matched && i < suffixes.length; i++) matched = normalized.endsWith(suffixes[i]!)
    if (cache.size >= keyCacheLimit) cache.clear()
    cache.set(key, matched)
    return matched
  }
}

const makeNode = (): PathNode => ({ children: new Map(), wildcard: undefined, terminal: false })

const compilePaths = (paths: ReadonlyArray<string> | undefined): PathNodes => {
  if (paths === undefined || paths.length === 0) return NO_NODES
  const root = makeNode()
  for (const path of paths) {
    if (path.length === 0) continue
    let node = root
    for (const segment of path.split(".")) {
      if (segment === "*") {
        node = node.wildcard ??= makeNode()
      } else {
        let next = node.children.get(segment)
        if (next === undefined) {
          next = makeNode()
          node.children.set(segment, next)
        }
        node = next
      }
    }
    node.terminal = true
  }
  return [root]
}

/** The path nodes reached from `nodes` through `key`. */
const stepPath = (nodes: PathNodes, key: string): PathNodes => {
  let out: Array<PathNode> | undefined
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    const child = node.children.get(key)
    if (child !== undefined) (out ??= []).push(child)
    if (node.wildcard !== undefined) (out ??= []).push(node.wildcard)
  }
  return out ?? NO_NODES
}

const isTerminal = (nodes: PathNodes): boolean => {
  for (let i = 0; i < nodes.length; i++) if (nodes[i]!.terminal) return true
  return false
}

const luhn = (digits: string): boolean => {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

// Every builtin regex is linear-time: runs can only start where the preceding character cannot
// belong to the run (lookbehinds), and bounded or separator-delimited quantifiers backtrack O(1)
// per character.
const builtin = (name: BuiltinPattern, censor: string): CompiledPattern => {
  switch (name) {
    case "bearer": {
      const source = String.raw`\b(Bearer|Basic)(\s+)([A-Za-z0-9\-._~+/]+=*)`
      return {
        test: new RegExp(source, "i"),
        global: new RegExp(source, "gi"),
        replace: (match: string, scheme: string, space: string, token: string) =>
          token.length >= 8 && /[^a-z]/.test(token) ? scheme + space + censor : match
      }
    }
    case "jwt": {
      const source = String.raw`(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*`
      return { test: new RegExp(source), global: new RegExp(source, "g"), replace: () => censor }
    }
    case "creditCard": {
      const source = String.raw`(?<!\d)[2-6]\d(?:[ -]?\d){11,17}(?!\d)`
      return {
        test: new RegExp(source),
        global: new RegExp(source, "g"),
        replace: (match: string) => luhn(match.replace(/[ -]/g, "")) ? censor : match
      }
    }
    case "urlCredentials": {
      const source = String.raw`(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]*:\/\/)([^\s:/?#@]*):([^\s/?#]+)@`
      return {
        test: new RegExp(source, "i"),
        global: new RegExp(source, "gi"),
        replace: (_match: string, scheme: string, user: string) => scheme + user + ":" + censor + "@"
      }
    }
  }
}

const custom = (regex: RegExp, censor: string): CompiledPattern => {
  const flags = regex.flags.replace(/[gy]/g, "")
  return { test: new RegExp(regex.source, flags), global: new RegExp(regex.source, flags + "g"), replace: () => censor }
}

const HINT_BEARER = 1
const HINT_JWT = 2
const HINT_CARD = 4
const HINT_URL = 8
const HINT_ALWAYS = 16

const hintOf: Record<BuiltinPattern, number> = {
  bearer: HINT_BEARER,
  jwt: HINT_JWT,
  creditCard: HINT_CARD,
  urlCredentials: HINT_URL
}

/**
 * One pass over the string telling which builtin patterns could match at all, so that plain
 * strings cost a character loop instead of a regex scan per pattern.
 */
const hints = (s: string): number => {
  let digits = 0
  let flags = HINT_ALWAYS
  const last = s.length - 2
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 58) {
      if (c >= 48 && c <= 57) digits++
      else if (c === 58 && i < last && s.charCodeAt(i + 1) === 47 && s.charCodeAt(i + 2) === 47) flags |= HINT_URL
    } else if (c === 101) {
      if (i < last && s.charCodeAt(i + 1) === 121 && s.charCodeAt(i + 2) === 74) flags |= HINT_JWT
    } else if ((c | 32) === 98 && i < last) {
      const c1 = s.charCodeAt(i + 1) | 32
      const c2 = s.charCodeAt(i + 2) | 32
      if ((c1 === 101 && c2 === 97) || (c1 === 97 && c2 === 115)) flags |= HINT_BEARER
    }
  }
  return digits >= 13 ? flags | HINT_CARD : flags
}

const compileScan = (options: Options, censor: string): (s: string) => string => {
  const entries = options.patterns ?? builtinPatterns
  const patterns = entries.map((p) => typeof p === "string" ? builtin(p, censor) : custom(p, censor))
  const needs = entries.map((p) => typeof p === "string" ? hintOf[p] : HINT_ALWAYS)
  if (patterns.length === 0) return (s) => s
  const minLength = entries.every((p) => typeof p === "string") ? 7 : 1
  return (s) => {
    if (s.length < minLength) return s
    const found = hints(s)
    let out = s
    for (let i = 0; i < patterns.length; i++) {
      if ((found & needs[i]!) === 0) continue
      const p = patterns[i]!
      if (p.test.test(out)) out = out.replace(p.global, p.replace)
    }
    return out
  }
}

const isRecordPrototype = (proto: unknown): boolean => proto === Object.prototype || proto === null

/** Sets an own data property, even for `__proto__`. */
const setProperty = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
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
    setProperty(out, key, source[key])
  }
  return out
}

const compile = (options: Options): Compiled => {
  const censor = options.censor ?? defaultCensor
  const remove = options.mode === "remove"
  const maxDepth = options.maxDepth ?? defaultMaxDepth
  const maxKeys = options.maxKeys ?? defaultMaxKeys
  const matchKey = compileKeys(options)
  const rootNodes = compilePaths(options.paths)
  const scan = compileScan(options, censor)
  const matched = remove ? REMOVE : censor

  // per-call state (the transform is synchronous)
  let budget = maxKeys
  const ancestors: Array<object> = []

  const walk = (value: unknown, depth: number, nodes: PathNodes): unknown => {
    if (typeof value === "string") return scan(value)
    if (typeof value !== "object" || value === null) return value
    if (depth > maxDepth) return DEPTH_MARKER
    if (ancestors.includes(value)) return CIRCULAR_MARKER
    ancestors.push(value)
    try {
      if (Array.isArray(value)) return walkArray(value, depth, nodes)
      const proto = Object.getPrototypeOf(value)
      // the cases and their order mirror what the encoder writes for each kind of object
      const toJSON = (value as { toJSON?: unknown }).toJSON
      if (isRecordPrototype(proto) && typeof toJSON !== "function") {
        return walkObject(value as Record<string, unknown>, depth, nodes, proto)
      }
      if (Redacted.isRedacted(value)) return censor
      if (value instanceof Date) return value
      if (value instanceof Error) return walkError(value, depth, nodes)
      if (value instanceof Map) return walkMap(value, depth, nodes)
      if (value instanceof Set) return walkSet(value, depth, nodes)
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value
      if (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer) return value
      if (typeof toJSON === "function") {
        // what encoders write is the toJSON result: inspect that
        const json: unknown = toJSON.call(value, "")
        if (json !== value) {
          const out = walk(json, depth, nodes)
          return out === json ? value : out
        }
      } else if (value instanceof String || value instanceof RegExp) {
        const text = String(value)
        const out = scan(text)
        return out === text ? value : out
      }
      return walkObject(value as Record<string, unknown>, depth, nodes, proto)
    } catch {
      return UNREADABLE_MARKER
    } finally {
      ancestors.pop()
    }
  }

  const walkObject = (
    obj: Record<string, unknown>,
    depth: number,
    nodes: PathNodes,
    proto: object | null
  ): unknown => {
    const keys = Object.keys(obj)
    let out: Record<string, unknown> | undefined
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (budget <= 0) {
        out ??= copyPrefix(obj, keys, i, proto)
        setProperty(out, KEY_LIMIT_MARKER, keys.length - i)
        break
      }
      budget--
      let v: unknown
      try {
        v = obj[key]
      } catch (error) {
        // one unreadable value (a throwing getter) must not take its neighbours with it
        v = scan(`[Throws: ${errorText(error)}]`)
        out ??= copyPrefix(obj, keys, i, proto)
      }
      const childNodes = nodes.length === 0 ? NO_NODES : stepPath(nodes, key)
      const next = (matchKey !== undefined && matchKey(key)) || (childNodes.length > 0 && isTerminal(childNodes))
        ? matched
        : walk(v, depth + 1, childNodes)
      if (next !== v) {
        out ??= copyPrefix(obj, keys, i, proto)
        if (next !== REMOVE) setProperty(out, key, next)
      } else if (out !== undefined) {
        setProperty(out, key, v)
      }
    }
    return out ?? obj
  }

  const walkArray = (arr: ReadonlyArray<unknown>, depth: number, nodes: PathNodes): unknown => {
    const length = arr.length
    let out: Array<unknown> | undefined
    for (let i = 0; i < length; i++) {
      if (budget <= 0) {
        out ??= arr.slice(0, i)
        out.push(`${KEY_LIMIT_MARKER.slice(0, -1)}, ${length - i} more]`)
        break
      }
      budget--
      const v = arr[i]
      const childNodes = nodes.length === 0 ? NO_NODES : stepPath(nodes, String(i))
      const next = childNodes.length > 0 && isTerminal(childNodes) ? matched : walk(v, depth + 1, childNodes)
      if (next !== v) {
        out ??= arr.slice(0, i)
        if (next !== REMOVE) out.push(next)
      } else if (out !== undefined) {
        out.push(v)
      }
    }
    return out ?? arr
  }

  const walkMap = (map: ReadonlyMap<unknown, unknown>, depth: number, nodes: PathNodes): unknown => {
    let changed = false
    const entries: Array<[unknown, unknown]> = []
    let left = map.size
    for (const [k, v] of map) {
      if (budget <= 0) {
        entries.push([KEY_LIMIT_MARKER, left])
        changed = true
        break
      }
      budget--
      left--
      const childNodes = nodes.length === 0 || typeof k !== "string" ? NO_NODES : stepPath(nodes, k)
      const k2 = walk(k, depth + 1, NO_NODES)
      const v2 = (typeof k === "string" && matchKey !== undefined && matchKey(k)) ||
          (childNodes.length > 0 && isTerminal(childNodes))
        ? matched
        : walk(v, depth + 1, childNodes)
      if (k2 !== k || v2 !== v) changed = true
      if (v2 !== REMOVE) entries.push([k2, v2])
    }
    return changed ? new Map(entries) : map
  }

  const walkSet = (set: ReadonlySet<unknown>, depth: number, nodes: PathNodes): unknown => {
    let changed = false
    const values: Array<unknown> = []
    let left = set.size
    for (const v of set) {
      if (budget <= 0) {
        values.push(`${KEY_LIMIT_MARKER.slice(0, -1)}, ${left} more]`)
        changed = true
        break
      }
      budget--
      left--
      const v2 = walk(v, depth + 1, nodes.length === 0 ? NO_NODES : stepPath(nodes, "*"))
      if (v2 !== v) changed = true
      values.push(v2)
    }
    return changed ? new Set(values) : set
  }

  const walkError = (error: Error, depth: number, nodes: PathNodes): unknown => {
    const message: unknown = error.message
    const stack: unknown = error.stack
    const message2 = typeof message === "string" ? scan(message) : walk(message, depth + 1, NO_NODES)
    const stack2 = typeof stack === "string" ? scan(stack) : stack
    const hasCause = "cause" in error
    const cause = hasCause ? error.cause : undefined
    const cause2 = hasCause ? walk(cause, depth + 1, NO_NODES) : undefined
    const errors: unknown = (error as { errors?: unknown }).errors
    const errors2 = Array.isArray(errors) ? walk(errors, depth + 1, NO_NODES) : errors
    const props = walkObject(error as unknown as Record<string, unknown>, depth, nodes, null) as Record<
      string,
      unknown
    >
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
    const source = propsChanged ? props : (error as unknown as Record<string, unknown>)
    for (const key of Object.keys(source)) setProperty(copy as unknown as Record<string, unknown>, key, source[key])
    return copy
  }

  const walkReason = (reason: Cause.Reason<unknown>): Cause.Reason<unknown> => {
    if (Cause.isFailReason(reason)) {
      const error = walk(reason.error, 1, NO_NODES)
      return error === reason.error ? reason : Object.assign(Object.create(Object.getPrototypeOf(reason)), reason, { error })
    }
    if (Cause.isDieReason(reason)) {
      const defect = walk(reason.defect, 1, NO_NODES)
      return defect === reason.defect
        ? reason
        : Object.assign(Object.create(Object.getPrototypeOf(reason)), reason, { defect })
    }
    return reason
  }

  return {
    scan,
    budgetLeft: () => budget,
    charge: (n) => {
      budget -= n
    },
    reset: () => {
      budget = maxKeys
      // the walk pops what it pushes; only an escaped exception could leave entries behind
      if (ancestors.length !== 0) ancestors.length = 0
    },
    root: (record) => {
      const out = walk(record, 0, rootNodes)
      if (out === REMOVE) return {}
      return typeof out === "object" && out !== null && !Array.isArray(out)
        ? out as Record<string, unknown>
        : { [ROOT_MARKER_KEY]: out }
    },
    value: (value) => {
      const out = walk(value, 0, rootNodes)
      return out === REMOVE ? undefined : out
    },
    cause: (cause) => {
      try {
        let reasons: Array<Cause.Reason<unknown>> | undefined
        const original = cause.reasons
        for (let i = 0; i < original.length; i++) {
          const reason = original[i]!
          const next = walkReason(reason)
          if (next !== reason) reasons ??= original.slice(0, i)
          if (reasons !== undefined) reasons.push(next)
        }
        return reasons === undefined ? cause : Cause.fromReasons(reasons)
      } catch {
        return Cause.die(UNREADABLE_MARKER)
      }
    }
  }
}
