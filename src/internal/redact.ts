/**
 * The redactor's event transform (not API): compiles `Redactor.Options` once and applies the
 * walker to each event's message, `fields`, `annotations` and `cause`.
 *
 * Callers: `Redactor.make` (events, through `Redactor.pipeline` in the logger's pipeline) and
 * `Redactor.makeValue` (any value, e.g. HTTP records). One compiled transform per call of those;
 * the transform is synchronous and its state (the walker's budget, two bounded caches) belongs to
 * it alone.
 *
 * Order per event: message scan, then `reset`, `fields`, `annotations`, `cause` on the one walker
 * (one key budget per event), then the message rendered again from the redacted fields when it
 * came from a template.
 *
 * Must never: throw, return a different event when nothing was redacted, or reuse cached work for
 * a record that could have changed (only frozen records of primitives are reused, see
 * `internal/record.ts`), or let a reuse cost less key budget than the walk it stands for.
 *
 * @internal
 */
import type { LogEvent } from "../LogEvent.ts"
import * as Event from "./event.ts"
import { Reuse } from "./record.ts"
import * as Path from "./redactPath.ts"
import * as Pattern from "./redactPattern.ts"
import * as Secret from "./secret.ts"
import * as Walk from "./redactWalk.ts"

/** The options, as `Redactor.Options` documents them. */
export interface Options {
  readonly keys?: ReadonlyArray<string> | undefined
  readonly extraKeys?: ReadonlyArray<string> | undefined
  readonly paths?: ReadonlyArray<string> | undefined
  readonly patterns?: ReadonlyArray<RegExp | Pattern.BuiltinPattern> | undefined
  readonly mode?: "censor" | "remove" | undefined
  readonly censor?: string | undefined
  readonly maxDepth?: number | undefined
  readonly maxKeys?: number | undefined
}

/** The default censor. */
export const defaultCensor = "[REDACTED]"
const defaultMaxDepth = 32
const defaultMaxKeys = 10_000
/** Distinct short messages whose scan is remembered before the cache is cleared. */
const messageCacheLimit = 512
/** Messages longer than this are scanned every time (rarely repeated, costly to hash). */
const messageCacheMaxLength = 256

/** Resolves the options and compiles keys, paths and patterns into walker rules. */
export const compile = (options: Options): Walk.Rules => {
  const censor = options.censor ?? defaultCensor
  return {
    censor,
    remove: options.mode === "remove",
    maxDepth: options.maxDepth ?? defaultMaxDepth,
    maxKeys: options.maxKeys ?? defaultMaxKeys,
    matchKey: Secret.keyMatcher([...(options.keys ?? Secret.defaultKeys), ...(options.extraKeys ?? [])]),
    rootNodes: Path.compilePaths(options.paths),
    scan: Pattern.compileScan(options.patterns ?? Pattern.builtinPatterns, censor)
  }
}

/**
 * Redacts an annotations record; the last frozen, flat record and its redaction are remembered
 * (enrichment and sampling marks share one such record across the events of a context, see
 * `LogEvent.annotator`). A reuse spends the key budget the walk would have spent; with too little
 * left, the record is walked again.
 */
const annotationsRedactor = (walker: Walk.Walker) => {
  const reuse = new Reuse<Readonly<Record<string, unknown>>>()
  return (annotations: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
    const known = reuse.get(annotations)
    if (known !== undefined && walker.budgetLeft() > known.cost) {
      walker.charge(known.cost)
      return known.value
    }
    const before = walker.budgetLeft()
    const out = walker.root(annotations)
    if (walker.budgetLeft() > 0 && reuse.isReusable(annotations)) {
      const frozen = out === annotations ? out : Object.freeze(out)
      reuse.set(annotations, frozen, before - walker.budgetLeft())
      return frozen
    }
    return out
  }
}

/**
 * Scans messages, remembering recent short ones (a pure function of the text: messages are mostly
 * literals repeated from event to event).
 */
const messageScanner = (scan: (s: string) => string) => {
  const scanned = new Map<string, string>()
  return (message: string): string => {
    if (typeof message !== "string" || message.length > messageCacheMaxLength) return scan(message)
    let out = scanned.get(message)
    if (out === undefined) {
      out = scan(message)
      if (scanned.size >= messageCacheLimit) scanned.clear()
      scanned.set(message, out)
    }
    return out
  }
}

/**
 * The event transform for `options`. `render` fills a message template from (redacted) fields
 * (`LogEvent.renderTemplate`, passed in so that `internal/` does not import a public module).
 */
export const events = (
  options: Options,
  render: (template: string, fields: Readonly<Record<string, unknown>>) => string
): (event: LogEvent) => LogEvent => {
  const rules = compile(options)
  const walker = new Walk.Walker(rules)
  const redactAnnotations = annotationsRedactor(walker)
  const scanMessage = messageScanner(rules.scan)
  return (event) => {
    // a message rendered from a template carries values: unique, not worth remembering
    const message = event.template === undefined ? scanMessage(event.message) : rules.scan(event.message)
    const { fields, annotations, cause } = event
    if (fields === undefined && annotations === undefined && cause === undefined) {
      return message === event.message ? event : Event.copy(event, message, fields, annotations, cause)
    }
    walker.reset()
    const fields2 = fields === undefined ? undefined : walker.root(fields)
    const annotations2 = annotations === undefined ? undefined : redactAnnotations(annotations)
    const cause2 = cause === undefined ? undefined : walker.cause(cause)
    // a message rendered from a template carries field values: render it again from the
    // redacted fields, so a secret filled into the message is masked like the field itself
    const rendered = event.template !== undefined && fields2 !== fields && fields2 !== undefined
      ? rules.scan(render(event.template, fields2))
      : message
    if (rendered === event.message && fields2 === fields && annotations2 === annotations && cause2 === cause) {
      return event
    }
    return Event.copy(event, rendered, fields2, annotations2, cause2)
  }
}

/** The value transform for `options`: the same rules, paths read from the value's root. */
export const values = (options: Options): (value: unknown) => unknown => {
  const walker = new Walk.Walker(compile(options))
  return (value) => {
    walker.reset()
    return walker.value(value)
  }
}
