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
 * This module documents the API; the mechanism lives in `internal/`: `redact.ts` (the event
 * transform and its caches), `redactWalk.ts` (the bounded copy-on-write walker) with
 * `redactContainers.ts` (its walk of each kind of container), `redactPath.ts`, `redactPattern.ts`
 * (patterns and the native prefilter) and `secret.ts` (the secret-key rule, shared with
 * `Http.isSecretKey`).
 *
 * @since 0.1.0
 */
import { type LogEvent, renderTemplate } from "./LogEvent.ts"
import * as Pipeline from "./Pipeline.ts"
import * as Internal from "./internal/redact.ts"
import * as Pattern from "./internal/redactPattern.ts"
import * as Secret from "./internal/secret.ts"

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
 * @example Masking tokens only
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
// (spelled out for the reader; `make` and `builtinPatterns` below only compile while it equals
// `internal/redactPattern.ts`'s own)

/**
 * What happens to a property matched by key or path: `"censor"` replaces its value by the
 * censor string, `"remove"` deletes it (array elements matched by a path are removed from the
 * array). `Redacted` values and pattern matches inside strings are always censored.
 *
 * @example Removing a field instead of masking it
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
 * @example Extra keys, paths, patterns and censor
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
 * @example Adding a key to the defaults
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redact = Redactor.make({ keys: [...Redactor.defaultKeys, "email"] })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultKeys: ReadonlyArray<string> = Secret.defaultKeys

/**
 * Every built-in value pattern, the default for `patterns`.
 *
 * @example Adding a pattern to the built-in ones
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redact = Redactor.make({ patterns: [...Redactor.builtinPatterns, /sk_live_[A-Za-z0-9]+/] })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const builtinPatterns: ReadonlyArray<BuiltinPattern> = Pattern.builtinPatterns

/**
 * The default censor, `"[REDACTED]"`.
 *
 * @example What a secret is replaced with
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const event = Redactor.make()(LogEvent.make({
 *   timestamp: 0, level: "Info", message: "login", logger: "auth", fields: { password: "hunter2" }
 * }))
 * console.log(event.fields?.password === Redactor.defaultCensor) // => true
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
 * @example Redacting one event
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redact = Redactor.make({ extraKeys: ["email"] })
 * const event = redact(LogEvent.make({
 *   timestamp: 0, level: "Info", message: "login", logger: "auth",
 *   fields: { user: { email: "a@b.c", password: "hunter2" } }
 * }))
 * console.log(event.fields) // => { user: { email: '[REDACTED]', password: '[REDACTED]' } }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): (event: LogEvent) => LogEvent =>
  Internal.events(options ?? {}, renderTemplate)

/**
 * Compiles the options once and returns a transform for any value (an HTTP request record, an
 * error, a string): the same rules as {@link make}, with paths read from the value's root.
 *
 * @example Redacting any value
 * ```ts
 * import * as Redactor from "effect-fapilog/Redactor"
 *
 * const redactValue = Redactor.makeValue()
 * console.log(redactValue({ headers: { authorization: "Bearer abc.def.ghi" } })) // => { headers: { authorization: '[REDACTED]' } }
 * console.log(redactValue("postgres://app:s3cret@db/prod")) // => postgres://app:[REDACTED]@db/prod
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeValue = (options?: Options): (value: unknown) => unknown => Internal.values(options ?? {})

/**
 * A pipeline stage applying {@link make} to every ordinary event; control events pass unchanged
 * and in order.
 *
 * @example Redacting a stream of events
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
