/**
 * The human-readable console format (not API).
 *
 * One renderer for both roads to the console: `Encoder.pretty` renders the JSON line the NDJSON
 * encoder wrote for an event (parsed back), and the `effect-fapilog pretty` command renders the
 * lines of an NDJSON file or stream. So the console shows exactly what the file holds, after
 * redaction and the encoder's limits, and both roads give the same text for the same line.
 *
 * Layout (width 120 by default):
 *
 * ```text
 * 03:04:05.678 ERROR [payments] payment failed order_id=42 amount=10 db=7ms (correlation_id=req-1)
 *     err: Error: card declined code=E42
 *         at charge (src/pay.ts:10:5)
 *       caused by: TypeError: socket closed
 *           at connect (src/net.ts:3:9)
 * ```
 *
 * - the head (time, level, logger, message) is one line; fields follow as `key=value` while the
 *   line fits the width, then wrap onto lines indented by four spaces;
 * - a field whose value is an error (an object with string `message` and `stack`, as the encoder
 *   writes every `Error`), an error in an array field (`args[0]`: `Effect.logError("…", err)`)
 *   and Effect's multi-line `cause` text become indented blocks after the fields: stack frames,
 *   `caused by:` for the cause chain, `[i]` for an `AggregateError`'s errors;
 * - enrichment and sampling fields ({@link METADATA_KEYS}) are hidden by default, dimmed or shown
 *   on request;
 * - every piece of text is cleaned: control characters, DEL, C1, line separators and bidi
 *   overrides are escaped, and every line after the first starts with spaces, so a logged value can
 *   neither forge a line of its own nor drive the terminal.
 *
 * Contract: {@link render} never throws (a record it cannot render comes back as its cleaned JSON
 * text) and reads nothing but its arguments.
 *
 * @internal
 */
import * as LineFormat from "./lineFormat.ts"

/** How enrichment and sampling fields are shown: not at all, dimmed (with colours), or as any field. */
export type Metadata = "hide" | "dim" | "show"

/** Resolved rendering options. */
export interface Options {
  readonly colors: boolean
  readonly width: number
  readonly metadata: Metadata
  readonly metadataKeys: ReadonlySet<string>
}

/** The fields the enricher and the samplers add to every event: noise on a developer's console. */
export const METADATA_KEYS: ReadonlyArray<string> = [
  "service",
  "version",
  "environment",
  "host",
  "hostname",
  "pid",
  "_sampled",
  "_sample_rate"
]

const DEFAULT_KEYS: ReadonlySet<string> = new Set(METADATA_KEYS)

/** Options with the defaults filled in: no colours, width 120, metadata hidden. */
export const resolve = (options?: {
  readonly colors?: boolean | undefined
  readonly width?: number | undefined
  readonly metadata?: Metadata | undefined
  readonly metadataKeys?: ReadonlyArray<string> | undefined
}): Options => ({
  colors: options?.colors === true,
  width: options?.width !== undefined && options.width > 0 ? options.width : 120,
  metadata: options?.metadata ?? "hide",
  metadataKeys: options?.metadataKeys === undefined ? DEFAULT_KEYS : new Set(options.metadataKeys)
})

/**
 * Whether to colour output written to `stream`, read from `env` when called (so a sink decides
 * when it opens, not when the module loads): `FORCE_COLOR` wins when set (`0` and `false` turn
 * colours off, anything else on), then a non-empty `NO_COLOR` turns them off, else colours on a
 * TTY whose `TERM` is not `dumb` (Node's own precedence).
 */
export const colorsFor = (
  stream: { readonly isTTY?: boolean | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env
): boolean => {
  const force = env["FORCE_COLOR"]
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false"
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false
  return stream.isTTY === true && env["TERM"] !== "dumb"
}

// -----------------------------------------------------------------------------
// rendering
// -----------------------------------------------------------------------------

/** The keys the renderer places itself; every other key is a field. */
const HEAD_KEYS: ReadonlySet<string> = LineFormat.RESERVED_KEYS

const CONTEXT_KEYS = ["correlation_id", "trace_id", "span_id"] as const

/** Continuation lines of the head and the blocks start here (never at column 0). */
const INDENT = "    "

const MAX_ERROR_DEPTH = 10

interface Palette {
  readonly time: string
  readonly levels: Readonly<Record<string, string>>
  readonly logger: string
  readonly key: string
  readonly dim: string
  readonly error: string
  readonly reset: string
}

const NO_COLORS: Palette = { time: "", levels: {}, logger: "", key: "", dim: "", error: "", reset: "" }

const COLORS: Palette = {
  time: "\u001b[90m",
  levels: {
    TRACE: "\u001b[90m",
    DEBUG: "\u001b[34m",
    INFO: "\u001b[32m",
    WARN: "\u001b[33m",
    ERROR: "\u001b[31m",
    FATAL: "\u001b[1;35m"
  },
  logger: "\u001b[36m",
  key: "\u001b[2m",
  dim: "\u001b[2m",
  error: "\u001b[31m",
  reset: "\u001b[0m"
}

/** pino's numeric levels, so the command also reads pino's files. */
const NUMERIC_LEVELS: Readonly<Record<number, string>> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" }

/** The upper-case level name of a record's `level` (`INFO`, …; pino's numbers mapped). */
export const levelName = (level: unknown): string =>
  typeof level === "number" && Object.hasOwn(NUMERIC_LEVELS, level)
    ? NUMERIC_LEVELS[level]!
    : String(level).toUpperCase()

/** A piece of a wrapped line: its text (with colours) and its width on screen (without). */
interface Token {
  readonly text: string
  readonly width: number
}

/** The console text of one parsed JSON line (several lines when it wraps or holds errors). */
export const render = (record: Readonly<Record<string, unknown>>, options: Options): string => {
  try {
    return renderUnsafe(record, options)
  } catch (e) {
    try {
      return clean(JSON.stringify(record) ?? String(record))
    } catch {
      return "[unrenderable log line]"
    }
  }
}

const renderUnsafe = (record: Readonly<Record<string, unknown>>, options: Options): string => {
  const p = options.colors ? COLORS : NO_COLORS
  const level = levelName(record["level"])
  const levelColor = Object.hasOwn(p.levels, level) ? p.levels[level]! : ""
  const logger = record["logger"] === undefined ? "" : " " + p.logger + "[" + text(record["logger"]) + "]" + p.reset
  const head = p.time + timeOf(record["time"]) + p.reset + " " + levelColor + clean(level.padEnd(5)) +
    (levelColor === "" ? "" : p.reset) + logger + " " + text(record["msg"] ?? record["message"])
  const tokens: Array<Token> = []
  const blocks: Array<string> = []
  for (const key of Object.keys(record)) {
    if (HEAD_KEYS.has(key) || (key === "message" && record["msg"] === undefined)) continue
    const value = record[key]
    if (isErrorLike(value)) {
      errorBlock(blocks, keyText(key), value, INDENT, p, 0)
      continue
    }
    // `Effect.logError("failed", err)` keeps its non-record arguments as `args: [err]`
    if (Array.isArray(value) && value.some(isErrorLike)) {
      value.forEach((item, i) => {
        const label = key + "[" + i + "]"
        if (isErrorLike(item)) errorBlock(blocks, keyText(label), item, INDENT, p, 0)
        else tokens.push(entry(label, valueText(item), "", p))
      })
      continue
    }
    const metadata = options.metadataKeys.has(key) ? options.metadata : "show"
    if (metadata === "hide") continue
    tokens.push(entry(key, valueText(value), metadata === "dim" ? p.dim : "", p))
  }
  const spans = record["spans"]
  if (typeof spans === "object" && spans !== null && !Array.isArray(spans)) {
    for (const [label, ms] of Object.entries(spans)) tokens.push(entry(label, valueText(ms) + "ms", "", p))
  }
  let context = ""
  for (const key of CONTEXT_KEYS) {
    if (record[key] !== undefined) context += (context === "" ? "" : " ") + key + "=" + valueText(record[key])
  }
  if (context !== "") tokens.push({ text: p.key + "(" + context + ")" + p.reset, width: context.length + 2 })
  const cause = record["cause"]
  if (isErrorLike(cause)) errorBlock(blocks, "cause", cause, INDENT, p, 0)
  else if (typeof cause === "string") textBlock(blocks, "cause", cause, INDENT, p)
  else if (cause !== undefined) tokens.push(entry("cause", valueText(cause), "", p))
  const lines = wrap(head, visibleWidth(head), tokens, options.width)
  for (const b of blocks) lines.push(b)
  return lines.join("\n")
}

/** Tokens after the head, as many per line as fit in `width`; the rest on indented lines. */
const wrap = (head: string, headWidth: number, tokens: ReadonlyArray<Token>, width: number): Array<string> => {
  const lines: Array<string> = []
  let line = head
  let used = headWidth
  let fresh = false
  for (const token of tokens) {
    if (fresh || used + 1 + token.width <= width) {
      line += (fresh ? "" : " ") + token.text
      used += (fresh ? 0 : 1) + token.width
      fresh = false
      continue
    }
    lines.push(line)
    line = INDENT + token.text
    used = INDENT.length + token.width
  }
  lines.push(line)
  return lines
}

const entry = (key: string, value: string, dim: string, p: Palette): Token => {
  const k = keyText(key)
  return {
    text: dim === "" ? p.key + k + "=" + p.reset + value : dim + k + "=" + value + p.reset,
    width: k.length + 1 + value.length
  }
}

/** An error as a block: its head line (with its extra properties), its frames, its causes. */
const errorBlock = (
  out: Array<string>,
  /** already safe text: a cleaned key or one of the renderer's own labels */
  label: string,
  e: Readonly<Record<string, unknown>>,
  indent: string,
  p: Palette,
  depth: number
): void => {
  const name = typeof e["name"] === "string" ? e["name"] : "Error"
  const message = e["message"] as string
  const stack = e["stack"] as string
  const first = name + ": " + message
  const [headline, frames] = stack.startsWith(first) ? [first, stack.slice(first.length)] : splitFirst(stack)
  let extras = ""
  for (const key of Object.keys(e)) {
    if (key !== "name" && key !== "message" && key !== "stack" && key !== "cause" && key !== "errors") {
      extras += " " + p.key + keyText(key) + "=" + p.reset + valueText(e[key])
    }
  }
  const headLines = headline.split(/\r?\n/)
  out.push(indent + p.key + label + ":" + p.reset + " " + p.error + clean(headLines[0]!) + p.reset + extras)
  for (let i = 1; i < headLines.length; i++) out.push(indent + INDENT + clean(headLines[i]!))
  for (const frame of frames.split(/\r?\n/)) {
    const f = frame.trim()
    if (f !== "") out.push(indent + INDENT + p.dim + clean(f) + p.reset)
  }
  const inner = indent + "  "
  if (depth >= MAX_ERROR_DEPTH) return
  const cause = e["cause"]
  if (isErrorLike(cause)) errorBlock(out, "caused by", cause, inner, p, depth + 1)
  else if (cause !== undefined) out.push(inner + p.key + "caused by:" + p.reset + " " + valueText(cause))
  const errors = e["errors"]
  if (Array.isArray(errors)) {
    errors.forEach((x, i) => {
      if (isErrorLike(x)) errorBlock(out, "[" + i + "]", x, inner, p, depth + 1)
      else out.push(inner + p.key + "[" + i + "]:" + p.reset + " " + valueText(x))
    })
  }
}

/**
 * Multi-line text (Effect's rendering of a cause) as a block: the lines after the first keep
 * their indentation relative to each other, the least indented at the frames' column.
 */
const textBlock = (out: Array<string>, label: string, s: string, indent: string, p: Palette): void => {
  const lines = s.split(/\r?\n/)
  out.push(indent + p.key + label + ":" + p.reset + " " + p.error + clean(lines[0]!) + p.reset)
  let margin = Infinity
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const lead = line.length - line.trimStart().length
    // Node's `{ [cause]: … }` closes with a bare `}` at column 0: it does not set the margin
    if (lead < line.length && lead < margin && line.trim() !== "}") margin = lead
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() !== "") out.push(indent + INDENT + clean(line.slice(Math.min(margin, line.length - line.trimStart().length)).trimEnd()))
  }
}

const splitFirst = (s: string): readonly [string, string] => {
  const nl = s.indexOf("\n")
  return nl < 0 ? [s, ""] : [s.slice(0, nl), s.slice(nl + 1)]
}

/** An error as the encoder writes it: an object with a string `message` and a string `stack`. */
const isErrorLike = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  typeof (v as Record<string, unknown>)["message"] === "string" &&
  typeof (v as Record<string, unknown>)["stack"] === "string"

/** `HH:MM:SS.mmm` of an ISO time; any other value as text. */
const timeOf = (time: unknown): string => {
  if (typeof time === "string" && time.length >= 23 && time[10] === "T") return clean(time.slice(11, 23))
  return time === undefined ? "--:--:--.---" : text(time)
}

// -----------------------------------------------------------------------------
// text
// -----------------------------------------------------------------------------

// C0 controls, DEL, C1 controls, line/paragraph separators, bidirectional embeddings/overrides
// and isolates: anything that could break a console line, forge one or drive the terminal.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
const UNSAFE_G = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** `s` with every unsafe character escaped (`\n`, `\u001b`, …). */
export const clean = (s: string): string => UNSAFE.test(s) ? s.replace(UNSAFE_G, cleanChar) : s

const cleanChar = (c: string): string =>
  c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")

// printable ASCII except space, `"`, `=` and `\`
const BARE = /^[!#-<>-[\]-~]+$/

const text = (v: unknown): string => clean(typeof v === "string" ? v : valueJson(v))

/** A value after `=`: a plain token bare, other strings quoted, anything else as JSON. */
const valueText = (v: unknown): string => typeof v === "string" && BARE.test(v) ? v : clean(valueJson(v))

const valueJson = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

const keyText = (k: string): string => BARE.test(k) ? k : clean(JSON.stringify(k))

/** Width on screen of a text with ANSI colours. */
const visibleWidth = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, "").length
