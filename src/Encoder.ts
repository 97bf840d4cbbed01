/**
 * Fast NDJSON encoding of log events that never throws.
 *
 * An {@link Encoder} turns a {@link LogEvent.LogEvent} into one line of text. The JSON encoder
 * ({@link json}, {@link make}) builds the line directly as a string (no intermediate object, no
 * `JSON.stringify` of a rebuilt record), in this key order:
 *
 * ```text
 * {"time":"2024-01-02T03:04:05.678Z","level":"INFO","logger":"svc","msg":"hello",
 *  "correlation_id":"..","trace_id":"..","span_id":"..",<annotations>,<fields>,
 *  "spans":{"label":12},"cause":"Error: boom\n    at ..."}
 * ```
 *
 * (one line in reality). Optional keys are omitted when absent. Fields shadow annotations with
 * the same key, so every key is written once. A user key equal to a reserved key (`time`,
 * `level`, `logger`, `msg`, `correlation_id`, `trace_id`, `span_id`, `spans`, `cause`) is written
 * as `fields.<key>` (after the other user keys). Control events (flush barriers, correlation
 * ends) are never encoded: `encode` returns `""` for them and `encodeBatch` skips them.
 *
 * Values are rendered safely, whatever they are:
 *
 * - strings: `"`, `\`, U+0000–U+001F, U+2028, U+2029 and lone surrogates are escaped, so every
 *   line is valid JSON and one event is exactly one line; strings longer than `maxStringLength`
 *   (or than a quarter of `maxLineLength`) are cut and end with `…[truncated N chars]`;
 * - numbers: `NaN`, `Infinity` and `-Infinity` become `null` (as `JSON.stringify` does: a field
 *   keeps one JSON type for log indexers);
 * - bigint: its decimal string (`123n` → `"123"`);
 * - `undefined`: omitted in objects, `null` in arrays (and at the root of {@link encodeValue});
 * - symbols: `"Symbol(description)"`; functions: `"[Function name]"`;
 * - `Date`: its ISO string, `"Invalid Date"` when invalid;
 * - `Map`: an array of `[key, value]` entries (lossless for non-string keys); `Set`: an array;
 * - typed arrays, `DataView`, `ArrayBuffer`, `SharedArrayBuffer`, `Buffer`: arrays of numbers
 *   (bytes for buffers; decimal strings for 64-bit integer arrays), bounded like any array;
 * - Effect `Redacted` values: `"<redacted>"`;
 * - `Error`: `{"name","message","stack"?,"cause"?,"errors"?, ...own enumerable properties}`,
 *   with the cause chain rendered recursively (bounded by depth, cycles cut);
 * - objects with `toJSON`: its result (the call is guarded);
 * - other objects (plain or class instances): their own enumerable properties;
 * - cycles: `"[Circular]"`; anything that throws while being read (getters, Proxy traps,
 *   `toJSON`): `"[Throws: message]"`;
 * - limits: nesting deeper than `maxDepth` becomes `"[Object]"` / `"[Array]"`; objects keep
 *   their first `maxKeys` keys plus `"…":"[N more keys]"`; arrays, maps and sets keep their first
 *   `maxArrayLength` items plus `"…[N more items]"`; once about `maxLineLength` characters of
 *   user data were written, the remaining values become `"[line limit]"`. One value spends
 *   at most a quarter of that budget (beyond it, it is cut with its markers), so a huge value
 *   never crowds out the other fields of its event: a 3 MB string beside an order id and a
 *   status code is cut, and the order id and the status code are still written.
 *
 * The {@link pretty} encoder writes human-readable console lines instead.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Redacted from "effect/Redacted"
import type * as LogEvent from "./LogEvent.ts"
import { fieldsOf } from "./internal/event.ts"
import * as LineFormat from "./internal/lineFormat.ts"
import { escapeSeparators, PlainJson } from "./internal/plainJson.ts"
import { isPlainPrototype } from "./internal/plainRecord.ts"
import * as Pretty from "./internal/pretty.ts"
import * as Chunked from "./internal/chunkedLines.ts"
import { Reuse } from "./internal/record.ts"

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * Limits applied while encoding values. Every limit keeps a line bounded, whatever the value.
 *
 * - `maxStringLength` (default 16384): strings longer than this are cut and marked.
 * - `maxDepth` (default 10): containers nested deeper than this become `"[Object]"`/`"[Array]"`.
 *   A field value is at depth 1.
 * - `maxKeys` (default 200): keys written per object (and per event for fields/annotations).
 * - `maxArrayLength` (default 1000): items written per array, `Map`, `Set` or typed array.
 * - `maxLineLength` (default 1 MiB): an approximate bound, in characters, on the user data of
 *   one event (or one {@link encodeValue} call); values after it become `"[line limit]"`. Each
 *   value (a field, an annotation, a string inside them) is capped at a quarter of it and charged
 *   what is written of it, not its full size, so the rest of the budget goes to the other values.
 *
 * @example Shorter strings, shallower objects
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 *
 * const options: Encoder.Options = { maxStringLength: 1024, maxDepth: 5 }
 * const encoder = Encoder.make(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly maxStringLength?: number | undefined
  readonly maxDepth?: number | undefined
  readonly maxKeys?: number | undefined
  readonly maxArrayLength?: number | undefined
  readonly maxLineLength?: number | undefined
}

/**
 * Options of the {@link pretty} console encoder: the value limits plus
 *
 * - `colors`: ANSI colours (default `false`; the console sinks decide from the stream and
 *   `NO_COLOR` / `FORCE_COLOR` when they open);
 * - `width`: fields wrap onto indented lines past this many columns (default 120);
 * - `metadata`: how enrichment and sampling fields (`metadataKeys`, by default `service`,
 *   `version`, `environment`, `host`, `hostname`, `pid`, `_sampled`, `_sample_rate`) are shown:
 *   `"hide"` (default), `"dim"` (dimmed when colours are on) or `"show"`.
 *
 * @example Colours on a terminal, narrower lines, dimmed metadata
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 *
 * const options: Encoder.PrettyOptions = { colors: process.stdout.isTTY === true, width: 100, metadata: "dim" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface PrettyOptions extends Options {
  readonly colors?: boolean | undefined
  readonly width?: number | undefined
  readonly metadata?: "hide" | "dim" | "show" | undefined
  readonly metadataKeys?: ReadonlyArray<string> | undefined
}

/**
 * Turns events into text lines. Neither function ever throws.
 *
 * - `encode` returns one line without a trailing newline (`""` for a control event).
 * - `encodeBatch` returns every ordinary event's line followed by `"\n"`, as one string
 *   (`""` when the batch holds no ordinary event); control events are skipped. When the batch
 *   cannot be encoded as a whole, the events are encoded one by one and an event that still
 *   cannot be is left out (the others are written).
 * - `encodeLines` (optional; the built-in encoders have it): `encodeBatch` that also tells how
 *   many ordinary events were left out. Use {@link encodeLines} to call it on any encoder.
 *
 * @example One line, and a batch of lines
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" })
 * const line: string = Encoder.json.encode(event)
 * const chunk: string = Encoder.json.encodeBatch([event, event])
 * console.log(line) // => {"time":"1970-01-01T00:00:00.000Z","level":"INFO","logger":"app","msg":"hi"}
 * console.log(chunk === `${line}\n${line}\n`) // => true
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Encoder {
  readonly encode: (event: LogEvent.LogEvent) => string
  readonly encodeBatch: (events: ReadonlyArray<LogEvent.LogEvent>) => string
  readonly encodeLines?: ((events: ReadonlyArray<LogEvent.LogEvent>) => Lines) | undefined
}

/**
 * The text of a batch, and how many of its ordinary events could not be encoded and are not in
 * it (the engine counts them as dropped, reason `"encode failure"`).
 *
 * @example The lines of one event
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" })
 * const lines: Encoder.Lines = Encoder.encodeLines(Encoder.json, [event])
 * console.log(lines) // => { text: '{"time":"1970-01-01T00:00:00.000Z","level":"INFO","logger":"app","msg":"hi"}\n', unencodable: 0 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Lines {
  readonly text: string
  readonly unencodable: number
}

/**
 * The default limits.
 *
 * @example A quarter of the default string length
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 *
 * console.log(Encoder.defaults) // => { maxStringLength: 16384, maxDepth: 10, maxKeys: 200, maxArrayLength: 1000, maxLineLength: 1048576 }
 * const strict = Encoder.make({ maxStringLength: Encoder.defaults.maxStringLength / 4 })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const defaults: {
  readonly maxStringLength: number
  readonly maxDepth: number
  readonly maxKeys: number
  readonly maxArrayLength: number
  readonly maxLineLength: number
} = {
  maxStringLength: 16_384,
  maxDepth: 10,
  maxKeys: 200,
  maxArrayLength: 1000,
  maxLineLength: 1_048_576
}

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Builds an NDJSON encoder with the given limits (see {@link Options}).
 *
 * @example Strings cut at 8 characters
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const encoder = Encoder.make({ maxStringLength: 8 })
 * const line = encoder.encode(
 *   LogEvent.make({ timestamp: 0, level: "Warn", message: "slow", logger: "db", fields: { ms: 812, sql: "SELECT * FROM orders" } })
 * )
 * console.log(line) // => {"time":"1970-01-01T00:00:00.000Z","level":"WARN","logger":"db","msg":"slow","ms":812,"sql":"SELECT *…[truncated 12 chars]"}
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Encoder => {
  const limits = resolveLimits(options)
  const state = makeState(limits)
  // `{"time":..,"level":..,"logger":..,"msg":` of the previous event: consecutive events
  // usually share the millisecond, level and logger
  let lastTimestamp = Number.NaN
  let lastLevel = ""
  let lastLogger = ""
  let lastHead = ""
  let lastHeadCost = 0
  const line = (st: State, event: LogEvent.LogEvent, newline: boolean): string => {
    try {
      reset(st)
      const end = newline ? "}\n" : "}"
      const timestamp = event.timestamp
      const level = event.level
      const logger = event.logger
      if (timestamp === lastTimestamp && level === lastLevel && logger === lastLogger && st === state) {
        st.budget -= lastHeadCost // what writing the logger name would have cost
        return jsonLine(st, event, lastHead, end)
      }
      const head = "{\"time\":\"" + isoTime(st.time, timestamp) +
        (Object.hasOwn(LEVEL_JSON, level) ? LEVEL_JSON[level]! : unknownLevel(st, level)) +
        str(st, typeof logger === "string" ? logger : String(logger)) + ",\"msg\":"
      if (st === state) {
        flat(st, head)
        lastHeadCost = st.limits.maxLineLength - st.budget
        lastTimestamp = timestamp
        lastLevel = level
        lastLogger = logger
        lastHead = head
      }
      return jsonLine(st, event, head, end)
    } catch (e) {
      return newline ? fallbackLine(event, e) + "\n" : fallbackLine(event, e)
    }
  }
  return makeEncoder(state, limits, line)
}

/**
 * The NDJSON encoder with the {@link defaults}.
 *
 * @example The default line
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const line = Encoder.json.encode(
 *   LogEvent.make({ timestamp: 0, level: "Info", message: "ready", logger: "app" })
 * )
 * console.log(line) // => {"time":"1970-01-01T00:00:00.000Z","level":"INFO","logger":"app","msg":"ready"}
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const json: Encoder = make()

/**
 * Builds a human-readable console encoder: the event's JSON line (as {@link make} writes it, with
 * the same limits) rendered for people — the same rendering as the `effect-fapilog pretty`
 * command, so the console shows what the file holds.
 *
 * ```text
 * 19:42:34.123 ERROR [payments] payment failed order_id=42 db=7ms (correlation_id=req-1)
 *     err: Error: card declined code=E42
 *         at charge (src/pay.ts:10:5)
 *       caused by: TypeError: socket closed
 *           at connect (src/net.ts:3:9)
 * ```
 *
 * Time is UTC (`HH:MM:SS.mmm`), the level is padded to five characters, fields shadow
 * annotations, strings that are plain printable ASCII without spaces, `"`, `=` or `\` are written
 * bare and others JSON-quoted, other values as JSON, spans as `label=12ms`, the context in
 * parentheses. Fields wrap onto lines indented by four spaces past `width` columns. Errors (any
 * field holding an `Error`) and Effect's `cause` are indented blocks: stack frames, `caused by:`
 * for each cause, `[i]` for an `AggregateError`'s errors. Enrichment and sampling fields are
 * hidden unless `metadata` says otherwise (see {@link PrettyOptions}).
 *
 * Gotchas: an event can take several lines, but every line after its first starts with spaces,
 * and control characters (C0, DEL, C1), line and paragraph separators and bidirectional
 * overrides anywhere in it are escaped (`\n`, `\u001b`, ...), so a logged value can neither
 * forge a line of its own nor drive the terminal. ANSI colours only with `colors: true`.
 *
 * @example A line for people
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const human = Encoder.pretty({ colors: false })
 * const line = human.encode(
 *   LogEvent.make({ timestamp: 0, level: "Info", message: "ready", logger: "app", fields: { port: 8080 } })
 * )
 * console.log(line) // => 00:00:00.000 INFO  [app] ready port=8080
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const pretty = (options?: PrettyOptions): Encoder => {
  const limits = resolveLimits(options)
  const rendering = Pretty.resolve(options)
  const json = make(options)
  const line = (_st: State, event: LogEvent.LogEvent, newline: boolean): string => {
    const text = json.encode(event)
    let out: string
    try {
      out = Pretty.render(JSON.parse(text) as Record<string, unknown>, rendering)
    } catch {
      out = Pretty.clean(text) // unreachable: the JSON encoder's lines always parse
    }
    return newline ? out + "\n" : out
  }
  return makeEncoder(makeState(limits), limits, line)
}

// -----------------------------------------------------------------------------
// encoding
// -----------------------------------------------------------------------------

/**
 * Encodes one event with the default NDJSON encoder ({@link json}); no trailing newline.
 *
 * @example One event, one line
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const line = Encoder.encode(LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app", fields: { n: 1 } }))
 * console.log(line) // => {"time":"1970-01-01T00:00:00.000Z","level":"INFO","logger":"app","msg":"hi","n":1}
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (event: LogEvent.LogEvent): string => json.encode(event)

/**
 * Encodes a batch with the default NDJSON encoder ({@link json}): each ordinary event's line
 * followed by `"\n"`, control events skipped.
 *
 * @example Control events write nothing
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const event = LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" })
 * const chunk = Encoder.encodeBatch([event, LogEvent.flushMarker(() => {}), event])
 * // two lines, each ending in "\n"
 * console.log(chunk.split("\n").length - 1, chunk.endsWith("\n")) // => 2 true
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeBatch = (events: ReadonlyArray<LogEvent.LogEvent>): string => json.encodeBatch(events)

/**
 * Encodes a batch with any encoder and tells how many ordinary events could not be encoded:
 * the encoder's own `encodeLines` when it has one (the built-in encoders do), else its
 * `encodeBatch`, falling back to `encode` event by event if the batch throws. An event whose
 * encoding still throws is left out and counted in `unencodable`. Never throws.
 *
 * @example An encoder that fails on one event
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as LogEvent from "effect-fapilog/LogEvent"
 *
 * const fragile: Encoder.Encoder = {
 *   encode: (event) => {
 *     if (event.message === "bad") throw new Error("cannot encode")
 *     return event.message
 *   },
 *   encodeBatch: (events) => events.map((e) => fragile.encode(e) + "\n").join("")
 * }
 * const events = ["a", "bad", "b"].map((message) => LogEvent.make({ timestamp: 0, level: "Info", message, logger: "app" }))
 * console.log(Encoder.encodeLines(fragile, events)) // => { text: 'a\nb\n', unencodable: 1 }
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeLines = (encoder: Encoder, events: ReadonlyArray<LogEvent.LogEvent>): Lines => {
  try {
    if (encoder.encodeLines !== undefined) return encoder.encodeLines(events)
    return { text: encoder.encodeBatch(events), unencodable: 0 }
  } catch {
    return linesOneByOne(events, (event) => {
      const line = encoder.encode(event)
      return line.length === 0 ? "" : line + "\n"
    })
  }
}

/**
 * Safe JSON text of any value, with the same rules and limits as event fields. Never throws and
 * always returns valid JSON (`undefined` gives `"null"`).
 *
 * @example A bigint and a cycle
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 *
 * const node: Record<string, unknown> = { id: 1n }
 * node.self = node
 * console.log(Encoder.encodeValue(node)) // => {"id":"1","self":"[Circular]"}
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeValue = (value: unknown, options?: Options): string => {
  if (options === undefined) return exclusive(defaultValueState, (st) => rootValue(st, value))
  return rootValue(makeState(resolveLimits(options)), value)
}

// -----------------------------------------------------------------------------
// internal: state and limits
// -----------------------------------------------------------------------------

interface Limits {
  readonly maxStringLength: number
  readonly maxDepth: number
  readonly maxKeys: number
  readonly maxArrayLength: number
  readonly maxLineLength: number
  /** The budget one top-level value may spend: a quarter of `maxLineLength`. */
  readonly maxValueLength: number
  /** The length strings are cut at: `maxStringLength`, at most `maxValueLength`. */
  readonly stringCap: number
}

interface State {
  readonly limits: Limits
  /** Containers being encoded (ancestors of the current value): cycle detection and depth. */
  readonly stack: Array<object>
  /** Characters (roughly) left for user data in this line. */
  budget: number
  /** Reserved user keys met at the top level: key, encoded value, key, encoded value, ... */
  renamed: Array<string> | undefined
  /** Keys dropped at the top level by `maxKeys`. */
  dropped: number
  /** Set while an encode runs on this state; a reentrant call (from `toJSON`...) gets a fresh one. */
  busy: boolean
  /** Entries of reusable annotations records written whole, with their budget cost. */
  written: Reuse<string> | undefined
  /** The last time written (see {@link isoTime}). */
  readonly time: TimeCache
  /** The last correlation id written and its entry (`,"correlation_id":"…"`). */
  correlationId: string
  correlationEntry: string
  /** `,"key":` of recent top-level keys, `""` for reserved ones (see `topKey`). */
  keys: Map<string, string> | undefined
  /** The JSON of recent short messages. */
  messages: Map<string, string> | undefined
  /** Where {@link flat} keeps its read. */
  flattened: number
  /** The fast path for big plain top-level values (see {@link plainValue}). */
  plain: PlainJson | undefined
}

// function declarations (hoisted): `json` is built while the module initialises
function limit(n: number | undefined, fallback: number, min: number): number {
  return typeof n === "number" && n >= min ? Math.floor(n) : fallback
}

function resolveLimits(options: Options | undefined): Limits {
  const maxStringLength = limit(options?.maxStringLength, defaults.maxStringLength, 1)
  const maxLineLength = limit(options?.maxLineLength, defaults.maxLineLength, 1)
  const maxValueLength = Math.max(1, Math.floor(maxLineLength / 4))
  return {
    maxStringLength,
    maxDepth: limit(options?.maxDepth, defaults.maxDepth, 1),
    maxKeys: limit(options?.maxKeys, defaults.maxKeys, 0),
    maxArrayLength: limit(options?.maxArrayLength, defaults.maxArrayLength, 0),
    maxLineLength,
    maxValueLength,
    stringCap: Math.min(maxStringLength, maxValueLength)
  }
}

function makeState(limits: Limits): State {
  return {
    limits,
    stack: [],
    budget: limits.maxLineLength,
    renamed: undefined,
    dropped: 0,
    busy: false,
    written: undefined,
    time: timeCache(),
    correlationId: "",
    correlationEntry: ",\"correlation_id\":\"\"",
    keys: undefined,
    messages: undefined,
    flattened: 0,
    plain: undefined
  }
}

const reset = (st: State): void => {
  if (st.stack.length !== 0) st.stack.length = 0
  st.budget = st.limits.maxLineLength
  st.renamed = undefined
  st.dropped = 0
}

const defaultLimits = resolveLimits(undefined)
const defaultValueState = makeState(defaultLimits)

/**
 * Runs `f` on `state`, or on a fresh state of the same limits while `state` is in use (a
 * reentrant call, from a `toJSON` or a getter that logs).
 */
function exclusive<A>(state: State, f: (st: State) => A): A {
  if (state.busy) return f(makeState(state.limits))
  state.busy = true
  try {
    return f(state)
  } finally {
    state.busy = false
  }
}

function makeEncoder(
  state: State,
  limits: Limits,
  /** One event's line; with `newline`, terminated by `\n` (one string fewer per line of a batch). */
  line: (st: State, event: LogEvent.LogEvent, newline: boolean) => string
): Encoder {
  const batch = (st: State, events: ReadonlyArray<LogEvent.LogEvent>): Lines => {
    try {
      // whole lines in pieces of ~CHUNK_CHARS (internal/chunkedLines.ts)
      const chunks: Array<string> = []
      let out = ""
      const n = events.length
      for (let i = 0; i < n; i++) {
        const event = events[i]!
        if (event.control !== undefined) continue
        out += line(st, event, true)
        if (out.length >= Chunked.CHUNK_CHARS) {
          chunks.push(out)
          out = ""
        }
      }
      if (out.length > 0) chunks.push(out)
      return new Chunked.ChunkedLines(chunks, 0)
    } catch {
      // `line` never throws: `events` itself misbehaved (a Proxy, an event whose properties
      // throw) or the text outgrew the maximum string length; keep every line that can be kept
      return linesOneByOne(events, (event) => line(st, event, true))
    }
  }
  const encodeChunks = (events: ReadonlyArray<LogEvent.LogEvent>): Lines => exclusive(state, (st) => batch(st, events))
  const encodeLines = (events: ReadonlyArray<LogEvent.LogEvent>): Lines => {
    const lines = encodeChunks(events)
    return { text: lines.text, unencodable: lines.unencodable }
  }
  return Chunked.withChunks<Encoder, Lines>({
    encode: (event) => {
      if (event.control !== undefined) return ""
      if (state.busy) return line(makeState(limits), event, false)
      state.busy = true
      try {
        return line(state, event, false)
      } finally {
        state.busy = false
      }
    },
    encodeBatch: (events) => encodeLines(events).text,
    encodeLines
  }, encodeChunks)
}

/**
 * The fallback of a batch that could not be encoded as a whole: each ordinary event alone
 * (`lineOf` returns its line with its newline); an event that throws — or whose line no longer
 * fits in a string — is left out and counted. Never throws.
 */
function linesOneByOne(
  events: ReadonlyArray<LogEvent.LogEvent>,
  lineOf: (event: LogEvent.LogEvent) => string
): Lines {
  let text = ""
  let unencodable = 0
  let n = 0
  try {
    n = events.length
  } catch {
    // not even a length: nothing can be read, nothing is known to be lost
  }
  for (let i = 0; i < n; i++) {
    try {
      const event = events[i]!
      if (event.control !== undefined) continue
      text += lineOf(event)
    } catch {
      unencodable++
    }
  }
  return { text, unencodable }
}

// -----------------------------------------------------------------------------
// internal: JSON lines
// -----------------------------------------------------------------------------

const LEVEL_JSON: Readonly<Record<string, string>> = {
  Trace: "\",\"level\":\"TRACE\",\"logger\":",
  Debug: "\",\"level\":\"DEBUG\",\"logger\":",
  Info: "\",\"level\":\"INFO\",\"logger\":",
  Warn: "\",\"level\":\"WARN\",\"logger\":",
  Error: "\",\"level\":\"ERROR\",\"logger\":",
  Fatal: "\",\"level\":\"FATAL\",\"logger\":"
}

const RESERVED: ReadonlySet<string> = LineFormat.RESERVED_KEYS

/** The line after its head (`{"time":..,"level":..,"logger":..,"msg":`). */
const jsonLine = (st: State, event: LogEvent.LogEvent, head: string, end: string): string => {
  let out = head + message(st, event.message)
  const correlationId = event.correlationId
  if (correlationId !== undefined) out += correlationEntry(st, correlationId)
  const traceId = event.traceId
  if (traceId !== undefined) out += ",\"trace_id\":" + str(st, String(traceId))
  const spanId = event.spanId
  if (spanId !== undefined) out += ",\"span_id\":" + str(st, String(spanId))
  const annotations = event.annotations
  const fields = fieldsOf(event)
  if (annotations !== undefined) out += annotationEntries(st, annotations, fields)
  if (fields !== undefined) out += userEntries(st, fields, undefined)
  if (st.renamed !== undefined) out += renamedEntries(st, annotations, fields)
  if (st.dropped > 0) out += ",\"…\":\"[" + st.dropped + " more keys]\""
  const spans = event.spans
  if (spans !== undefined && spans.length > 0) out += ",\"spans\":" + spansJson(st, spans, event.timestamp)
  const cause = event.cause
  if (cause !== undefined) out += ",\"cause\":" + str(st, causeText(cause))
  return out + end
}

/**
 * The annotations' entries. Enrichment and sampling marks make one frozen record shared by the
 * events of a context (see `LogEvent.annotator`): when such a record holds only primitives and
 * was written whole, its entries are reused for the next events that do not shadow any of its
 * keys.
 */
const annotationEntries = (
  st: State,
  annotations: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, unknown>> | undefined
): string => {
  const known = st.written?.get(annotations)
  if (known !== undefined && st.budget > known.cost && !shadows(fields, annotations)) {
    st.budget -= known.cost
    return known.value
  }
  const budget = st.budget
  const dropped = st.dropped
  const renamed = st.renamed
  const json = userEntries(st, annotations, fields)
  if (
    st.budget > 0 && st.dropped === dropped && st.renamed === renamed &&
    (st.written ??= new Reuse()).isReusable(annotations) && !shadows(fields, annotations)
  ) {
    st.written.set(annotations, flat(st, json), budget - st.budget)
  }
  return json
}

/** Whether `fields` has a key of `annotations` (which it then hides). */
const shadows = (
  fields: Readonly<Record<string, unknown>> | undefined,
  annotations: Readonly<Record<string, unknown>>
): boolean => {
  if (fields === undefined) return false
  try {
    for (const k in fields) {
      if (hasOwn(annotations, k)) return true
    }
    return false
  } catch {
    return true
  }
}

/** `,"k":v` for each own enumerable key of `record` not shadowed by `shadow`. */
const userEntries = (
  st: State,
  record: Readonly<Record<string, unknown>>,
  shadow: Readonly<Record<string, unknown>> | undefined
): string => {
  let keys: Array<string>
  try {
    keys = Object.keys(record)
  } catch (e) {
    return ",\"fields\":" + str(st, throwsText(e))
  }
  const n = keys.length
  const max = st.limits.maxKeys
  const lim = n < max ? n : max
  if (n > lim) st.dropped += n - lim
  let out = ""
  for (let i = 0; i < lim; i++) {
    const k = keys[i]!
    if (shadow !== undefined && hasOwn(shadow, k)) continue
    let v: unknown
    try {
      v = record[k]
    } catch (e) {
      v = throwsText(e)
    }
    // inline fast paths for the common primitive values
    const enc = typeof v === "string" ? str(st, v) : typeof v === "number" ? num(v) : cappedValue(st, v)
    if (enc === undefined) continue
    const prefix = topKey(st, k)
    if (prefix === "") {
      // a reserved key (`time`, `msg`, …): written later as `fields.<key>`
      ;(st.renamed ??= []).push(k, enc)
      continue
    }
    out += prefix + enc
    if (st.budget <= 0) {
      st.dropped += lim - i - 1
      break
    }
  }
  return out
}

/**
 * A top-level value, allowed to spend at most `maxValueLength` of the line budget (it is cut with
 * `"[line limit]"` markers beyond), so that one huge value leaves budget for the other fields.
 * The line is charged what the value actually spent.
 */
const cappedValue = (st: State, v: unknown): string | undefined => {
  const budget = st.budget
  const cap = st.limits.maxValueLength
  if (budget <= cap) return val(st, v)
  st.budget = cap
  const enc = val(st, v)
  st.budget = budget - (cap - st.budget)
  return enc
}

// `,"key":` of recently seen top-level keys (user keys are few and repeat from event to event),
// `""` for the reserved ones: one lookup answers both questions (`State.keys`, at most 2048)
const topKey = (st: State, k: string): string => {
  if (k.length > 64 || k.length > st.limits.maxStringLength) return RESERVED.has(k) ? "" : "," + key(st, k) + ":"
  const keys = st.keys ??= new Map()
  let cached = keys.get(k)
  if (cached === undefined) {
    cached = RESERVED.has(k) ? "" : flat(st, "," + quote(k) + ":")
    if (keys.size >= 2048) keys.clear()
    keys.set(k, cached)
  }
  return cached
}

/** Reserved user keys as `fields.<key>` (prefixed again while a user key already has that name). */
const renamedEntries = (
  st: State,
  annotations: Readonly<Record<string, unknown>> | undefined,
  fields: Readonly<Record<string, unknown>> | undefined
): string => {
  const renamed = st.renamed!
  let out = ""
  for (let i = 0; i < renamed.length; i += 2) {
    let name = "fields." + renamed[i]!
    while ((fields !== undefined && hasOwn(fields, name)) || (annotations !== undefined && hasOwn(annotations, name))) {
      name = "fields." + name
    }
    out += "," + key(st, name) + ":" + renamed[i + 1]!
  }
  return out
}

const spansJson = (
  st: State,
  spans: ReadonlyArray<readonly [string, number]>,
  now: number
): string => {
  let out = "{"
  const n = spans.length < st.limits.maxKeys ? spans.length : st.limits.maxKeys
  for (let i = 0; i < n; i++) {
    const span = spans[i]!
    if (i > 0 && seenBefore(spans, i)) continue
    out += (out.length === 1 ? "" : ",") + key(st, String(span[0])) + ":" + num(now - span[1])
  }
  return out + "}"
}

/** Whether the label of span `i` already appeared before it. */
const seenBefore = (spans: ReadonlyArray<readonly [string, number]>, i: number): boolean => {
  const label = spans[i]![0]
  for (let j = 0; j < i; j++) {
    if (spans[j]![0] === label) return true
  }
  return false
}

// the previous correlation id's entry is kept (`State.correlationId`): a request's events come in runs
const correlationEntry = (st: State, id: unknown): string => {
  if (typeof id !== "string" || id.length > st.limits.maxStringLength) return ",\"correlation_id\":" + str(st, String(id))
  st.budget -= id.length + 2
  if (id === st.correlationId) return st.correlationEntry
  st.correlationEntry = flat(st, ",\"correlation_id\":" + quote(id))
  st.correlationId = id
  return st.correlationEntry
}

// the JSON of recent messages (`State.messages`): messages are mostly literals repeated from event
// to event (a handler's few lines in turn), and a literal's hash is computed once by the engine
const MESSAGE_CACHE_SIZE = 512
const MESSAGE_CACHE_LENGTH = 256

const message = (st: State, msg: unknown): string => {
  if (typeof msg !== "string") return str(st, rootValue(st, msg))
  const n = msg.length
  if (n > st.limits.maxStringLength) return str(st, msg)
  st.budget -= n
  if (n > MESSAGE_CACHE_LENGTH) return quote(msg)
  const messages = st.messages ??= new Map()
  let json = messages.get(msg)
  if (json === undefined) {
    json = flat(st, quote(msg))
    if (messages.size >= MESSAGE_CACHE_SIZE) messages.clear()
    messages.set(msg, json)
  }
  return json
}

const unknownLevel = (st: State, level: unknown): string =>
  "\",\"level\":" + str(st, String(level).toUpperCase()) + ",\"logger\":"

const causeText = (cause: Cause.Cause<unknown>): string => {
  try {
    return Cause.pretty(cause)
  } catch (e) {
    return throwsText(e)
  }
}

/** A minimal line for an event whose encoding failed as a whole (should never be needed). */
const fallbackLine = (event: LogEvent.LogEvent, error: unknown): string => {
  try {
    return "{\"time\":\"" + isoTime(timeCache(), event.timestamp) + "\",\"level\":" +
      quote(String(event.level).toUpperCase()) + ",\"logger\":" + quote(String(event.logger)) + ",\"msg\":" +
      quote(truncate(String(event.message), defaults.maxStringLength)) + ",\"encode_error\":" +
      quote(truncate(throwsText(error), defaults.maxStringLength)) + "}"
  } catch {
    return "{\"level\":\"ERROR\",\"msg\":\"effect-fapilog: a log event could not be encoded\"}"
  }
}

// -----------------------------------------------------------------------------
// internal: values
// -----------------------------------------------------------------------------

const CIRCULAR = "\"[Circular]\""
const REDACTED = "\"<redacted>\""
const LINE_LIMIT = "\"[line limit]\""
const DEEP_OBJECT = "\"[Object]\""
const DEEP_ARRAY = "\"[Array]\""
const INVALID_DATE = "\"Invalid Date\""

const rootValue = (st: State, value: unknown): string => {
  try {
    reset(st)
    return val(st, value) ?? "null"
  } catch (e) {
    try {
      return quote(truncate(throwsText(e), st.limits.maxStringLength))
    } catch {
      return "\"[Throws]\""
    }
  }
}

/** JSON text of a value, `undefined` when it is to be omitted (an `undefined` property). */
const val = (st: State, v: unknown): string | undefined => {
  if (st.budget <= 0) return LINE_LIMIT
  switch (typeof v) {
    case "string":
      return str(st, v)
    case "number":
      st.budget -= 4
      return num(v)
    case "boolean":
      st.budget -= 4
      return v ? "true" : "false"
    case "undefined":
      return undefined
    case "bigint":
      return str(st, v.toString())
    case "symbol":
      return str(st, String(v))
    case "function":
      return str(st, functionText(v))
    default:
      st.budget -= 2
      return v === null ? "null" : obj(st, v as object)
  }
}

const num = (n: number): string => Number.isFinite(n) ? "" + n : "null"

/** Guarded `o[k]`, encoded. */
const prop = (st: State, o: object, k: string): string | undefined => {
  try {
    return val(st, (o as Record<string, unknown>)[k])
  } catch (e) {
    return str(st, throwsText(e))
  }
}

const obj = (st: State, o: object): string | undefined => {
  const stack = st.stack
  const base = stack.length
  try {
    for (let i = 0; i < base; i++) {
      if (stack[i] === o) return CIRCULAR
    }
    if (base === 0) {
      const fast = plainValue(st, o)
      if (fast !== undefined) return fast
    }
    if (Array.isArray(o)) {
      if (base >= st.limits.maxDepth) return DEEP_ARRAY
      stack.push(o)
      const out = arr(st, o)
      stack.pop()
      return out
    }
    if (base >= st.limits.maxDepth) return Redacted.isRedacted(o) ? REDACTED : DEEP_OBJECT
    stack.push(o)
    const out = isPlainPrototype(Object.getPrototypeOf(o)) && typeof (o as any).toJSON !== "function"
      ? record(st, o)
      : special(st, o)
    stack.pop()
    return out
  } catch (e) {
    stack.length = base
    return str(st, throwsText(e))
  }
}

/**
 * A top-level object or array written by native `JSON.stringify` when it is a plain tree within
 * every limit (see `internal/plainJson.ts`; 2.4× faster on the deep-object benchmark), charged
 * to the line budget what the walker would charge; `undefined` otherwise (the walker writes it).
 * `val` has already charged the 2 of the container itself.
 */
const plainValue = (st: State, o: object): string | undefined => {
  const plain = st.plain ??= new PlainJson(st.limits)
  const json = plain.encode(o, st.budget + 2)
  if (json !== undefined) st.budget -= plain.charge - 2
  return json
}

const special = (st: State, o: object): string | undefined => {
  if (Redacted.isRedacted(o)) return REDACTED
  if (o instanceof Date) {
    const t = o.getTime()
    return Number.isNaN(t) ? INVALID_DATE : "\"" + isoTime(st.time, t) + "\""
  }
  if (isError(o)) return error(st, o)
  if (o instanceof Map) return map(st, o)
  if (o instanceof Set) return iterable(st, o, o.size)
  if (ArrayBuffer.isView(o)) {
    return typed(st, o instanceof DataView ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength) : o as any)
  }
  if (o instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && o instanceof SharedArrayBuffer)) {
    return typed(st, new Uint8Array(o))
  }
  const toJSON = (o as any).toJSON
  if (typeof toJSON === "function") {
    let r: unknown
    try {
      r = toJSON.call(o, "")
    } catch (e) {
      return str(st, throwsText(e))
    }
    return r === o ? record(st, o) : val(st, r)
  }
  if (o instanceof RegExp) return str(st, String(o))
  if (o instanceof String || o instanceof Number || o instanceof Boolean) return val(st, o.valueOf())
  if (o instanceof Promise) return "\"[Promise]\""
  if (o instanceof WeakMap) return "\"[WeakMap]\""
  if (o instanceof WeakSet) return "\"[WeakSet]\""
  if (o instanceof WeakRef) return "\"[WeakRef]\""
  return record(st, o)
}

const record = (st: State, o: object): string => {
  const keys = Object.keys(o)
  const n = keys.length
  const max = st.limits.maxKeys
  const lim = n < max ? n : max
  let out = "{"
  let sep = ""
  for (let i = 0; i < lim; i++) {
    const k = keys[i]!
    const enc = prop(st, o, k)
    if (enc === undefined) continue
    out += sep + key(st, k) + ":" + enc
    sep = ","
    if (st.budget <= 0) {
      if (i + 1 < n) out += ",\"…\":\"[line limit]\""
      return out + "}"
    }
  }
  if (n > lim) out += sep + "\"…\":\"[" + (n - lim) + " more keys]\""
  return out + "}"
}

const arr = (st: State, a: ReadonlyArray<unknown>): string => {
  const n = a.length
  const max = st.limits.maxArrayLength
  const lim = n < max ? n : max
  let out = "["
  for (let i = 0; i < lim; i++) {
    let enc: string | undefined
    try {
      enc = val(st, a[i])
    } catch (e) {
      enc = str(st, throwsText(e))
    }
    out += (i === 0 ? "" : ",") + (enc ?? "null")
    if (st.budget <= 0) {
      if (i + 1 < n) out += "," + LINE_LIMIT
      return out + "]"
    }
  }
  if (n > lim) out += (lim === 0 ? "" : ",") + "\"…[" + (n - lim) + " more items]\""
  return out + "]"
}

/** A `Set` (or any iterable of `n` values): an array of its first `maxArrayLength` values. */
const iterable = (st: State, values: Iterable<unknown>, n: number): string => items(st, values, n, value)

/** A `Map`: an array of `[key, value]` pairs, like `Array.from(map)`. */
const map = (st: State, m: ReadonlyMap<unknown, unknown>): string => items(st, m, m.size, pair)

const value = (st: State, v: unknown): string => val(st, v) ?? "null"

const pair = (st: State, [k, v]: readonly [unknown, unknown]): string => "[" + value(st, k) + "," + value(st, v) + "]"

/** The items of an iterable of `n`, each written by `write`, capped by count and by the budget. */
const items = <A>(st: State, source: Iterable<A>, n: number, write: (st: State, item: A) => string): string => {
  const max = st.limits.maxArrayLength
  let out = "["
  let i = 0
  for (const item of source) {
    if (i >= max) break
    out += (i === 0 ? "" : ",") + write(st, item)
    i++
    if (st.budget <= 0) {
      if (i < n) out += "," + LINE_LIMIT
      return out + "]"
    }
  }
  if (n > i) out += (i === 0 ? "" : ",") + "\"…[" + (n - i) + " more items]\""
  return out + "]"
}

const typed = (st: State, a: ArrayLike<number | bigint>): string => {
  const n = a.length
  const max = st.limits.maxArrayLength
  const lim = n < max ? n : max
  st.budget -= lim * 4
  let out = "["
  for (let i = 0; i < lim; i++) {
    const x = a[i]!
    out += (i === 0 ? "" : ",") + (typeof x === "bigint" ? "\"" + x.toString() + "\"" : num(x))
  }
  if (n > lim) out += (lim === 0 ? "" : ",") + "\"…[" + (n - lim) + " more items]\""
  return out + "]"
}

// `Error.isError` (Node 24+) also recognises errors from other realms (vm contexts, workers)
const isError: (u: object) => u is Error = typeof (Error as any).isError === "function"
  ? (Error as any).isError
  : (u: object): u is Error => u instanceof Error

const ERROR_KEYS: ReadonlySet<string> = new Set(["name", "message", "stack", "cause", "errors"])

const error = (st: State, e: Error): string => {
  let out = "{\"name\":" + (prop(st, e, "name") ?? "null") + ",\"message\":" + (prop(st, e, "message") ?? "null")
  const stack = prop(st, e, "stack")
  if (stack !== undefined) out += ",\"stack\":" + stack
  let hasCause = false
  try {
    hasCause = "cause" in e
  } catch {
    // a Proxy `has` trap threw: no cause
  }
  if (hasCause) {
    const cause = prop(st, e, "cause")
    if (cause !== undefined) out += ",\"cause\":" + cause
  }
  if (e instanceof AggregateError) {
    const errors = prop(st, e, "errors")
    if (errors !== undefined) out += ",\"errors\":" + errors
  }
  const keys = Object.keys(e)
  const max = st.limits.maxKeys
  let written = 0
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    if (ERROR_KEYS.has(k)) continue
    if (written >= max) {
      out += ",\"…\":\"[" + (keys.length - i) + " more keys]\""
      break
    }
    written++
    const enc = prop(st, e, k)
    if (enc !== undefined) out += "," + key(st, k) + ":" + enc
  }
  return out + "}"
}

const functionText = (f: Function): string => {
  try {
    const name = f.name
    return typeof name === "string" && name.length > 0 ? "[Function " + name + "]" : "[Function (anonymous)]"
  } catch {
    return "[Function]"
  }
}

/**
 * `s`, flattened once by the engine. A string built by concatenation is a tree of pieces; writing
 * a batch walks every piece of every line. Pieces that are cached and repeated in many lines are
 * flattened when cached, so that each line holds one piece for them instead of their whole tree
 * (this halved the time spent flattening batches before the write).
 */
const flat = (st: State, s: string): string => {
  // the read is kept (a store the compiler cannot drop), so the flattening happens
  st.flattened = (st.flattened + s.charCodeAt(0)) | 0
  return s
}

const throwsText = (e: unknown): string => {
  try {
    if (e instanceof Error) return "[Throws: " + String(e.message) + "]"
    return "[Throws: " + String(e) + "]"
  } catch {
    return "[Throws]"
  }
}

const hasOwn = (o: object, k: string): boolean => {
  try {
    return Object.hasOwn(o, k)
  } catch {
    return false
  }
}

// -----------------------------------------------------------------------------
// internal: strings
// -----------------------------------------------------------------------------

/**
 * A string value, quoted: cut at `maxStringLength` (at most a quarter of the line budget) and
 * charged to the line budget for what is written of it, not for its full length.
 */
const str = (st: State, s: string): string => {
  const n = s.length
  const cap = st.limits.stringCap
  if (n > cap) {
    st.budget -= cap + 2
    return quote(truncate(s, cap))
  }
  st.budget -= n + 2
  return quote(s)
}

/** A key: capped like a string, not counted against the budget (its value is). */
const key = (st: State, k: string): string =>
  k.length > st.limits.maxStringLength ? quote(truncate(k, st.limits.maxStringLength)) : quote(k)

const truncate = (s: string, max: number): string => {
  if (s.length <= max) return s
  let cut = max
  const c = s.charCodeAt(cut - 1)
  if (c >= 0xd800 && c <= 0xdbff) cut--
  return s.slice(0, cut) + "…[truncated " + (s.length - cut) + " chars]"
}

// Any character that must be escaped: `"`, `\`, C0 controls, U+2028/U+2029, and every surrogate
// (pairs are then handled by `JSON.stringify`, which keeps valid pairs and escapes lone ones).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/

/** JSON string literal of `s`; returns `"s"` unchanged when nothing needs escaping. */
const quote = (s: string): string => {
  const n = s.length
  if (n < 64) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c < 32 || c === 34 || c === 92 || (c >= 0x2028 && (c <= 0x2029 || (c >= 0xd800 && c <= 0xdfff)))) {
        return slowQuote(s)
      }
    }
    return "\"" + s + "\""
  }
  return NEEDS_ESCAPE.test(s) ? slowQuote(s) : "\"" + s + "\""
}

const slowQuote = (s: string): string => escapeSeparators(JSON.stringify(s))

// -----------------------------------------------------------------------------
// internal: time
// -----------------------------------------------------------------------------

const MILLIS: ReadonlyArray<string> = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"))
const MAX_TIME = 8.64e15

/** The last time an encoder wrote, and its second's prefix (events come in runs of one second). */
interface TimeCache {
  ms: number
  iso: string
  second: number
  secondPrefix: string
}

function timeCache(): TimeCache {
  return { ms: Number.NaN, iso: "", second: Number.NaN, secondPrefix: "" }
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) of epoch milliseconds, cached per millisecond and second. */
const isoTime = (cache: TimeCache, ms: number): string => {
  if (ms === cache.ms) return cache.iso
  if (!(ms >= -MAX_TIME && ms <= MAX_TIME)) return "Invalid Date"
  const t = Math.floor(ms)
  const second = Math.floor(t / 1000)
  if (second !== cache.second) {
    cache.secondPrefix = secondPrefix(second)
    cache.second = second
  }
  cache.iso = cache.secondPrefix + MILLIS[t - second * 1000]! + "Z"
  cache.ms = ms
  return cache.iso
}

const two = (n: number): string => n < 10 ? "0" + n : "" + n

/** `YYYY-MM-DDTHH:MM:SS.` of epoch seconds (days to civil date: H. Hinnant's algorithm). */
const secondPrefix = (second: number): string => {
  const days = Math.floor(second / 86400)
  let rem = second - days * 86400
  const hh = Math.floor(rem / 3600)
  rem -= hh * 3600
  const mm = Math.floor(rem / 60)
  const ss = rem - mm * 60
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  const year = y >= 0 && y <= 9999
    ? String(y).padStart(4, "0")
    : (y < 0 ? "-" : "+") + String(Math.abs(y)).padStart(6, "0")
  return year + "-" + two(m) + "-" + two(d) + "T" + two(hh) + ":" + two(mm) + ":" + two(ss) + "."
}
