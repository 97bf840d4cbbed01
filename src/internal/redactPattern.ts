/**
 * Value patterns of the redactor (not API): the regular expressions applied to every string.
 *
 * Callers: `internal/redact.ts` compiles the `patterns` option once per `Redactor.make` with
 * {@link compileScan}; the walker calls the returned `scan` on every string value, every message,
 * and every `Error` message and stack.
 *
 * Must never: throw, or run in more than linear time on hostile input (every builtin regex is
 * linear: runs start only where the preceding character cannot belong to them, and quantifiers
 * are bounded or separator-delimited).
 *
 * Invariant: `scan(s) === s` (the same string) when nothing matched, so callers can detect "no
 * change" by identity; a string that no builtin could match is rejected by one native regex
 * ({@link maybeSecret}) before any per-pattern regex runs.
 *
 * @internal
 */

/** The names of the built-in value patterns (documented as `Redactor.BuiltinPattern`). */
export type BuiltinPattern = "bearer" | "jwt" | "creditCard" | "urlCredentials"

/** Every built-in value pattern, the default for `patterns`. */
export const builtinPatterns: ReadonlyArray<BuiltinPattern> = ["bearer", "jwt", "creditCard", "urlCredentials"]

interface CompiledPattern {
  /** Whether a string could hold a match at all: a cheap native pre-test. */
  readonly maybe: RegExp | undefined
  readonly test: RegExp
  readonly global: RegExp
  readonly replace: (match: string, ...groups: Array<any>) => string
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

/**
 * What each builtin needs to be present before its full regex is worth running (a necessary
 * condition, never a sufficient one): `be`/`ba` in any case; `eyJ`; the card pattern's first 13
 * digits (a `2`–`6` not after a digit, then 12 digits with at most single separators between
 * them); `://` followed by `user:password@` (the URL pattern without its scheme and look-behind,
 * so that URLs without credentials stop here).
 *
 * The card condition starts only where a card number can start: on the long-string benchmark's
 * digit-heavy 2,000-character message the union took 5.5 µs with "any 13 digits" (tried at
 * every digit) and takes 1.9 µs with this form (node 24, micro-benchmark).
 *
 * Written without the `i` flag (case classes instead): the union below is then 2.7× faster on
 * short strings (3.7 µs instead of 10.3 µs for the 94 strings of pino's package.json, node 24,
 * `test/.tmp`-style micro-benchmark, reported in `docs/guide/redaction.md`).
 */
const prefilter: Record<BuiltinPattern, RegExp> = {
  bearer: /[Bb](?:[Ee][Aa]|[Aa][Ss])/,
  jwt: /eyJ/,
  creditCard: /(?<!\d)[2-6]\d(?:[ -]?\d){11}/,
  urlCredentials: /:\/\/[^\s:/?#@]*:[^\s/?#]+@/
}

/**
 * Whether a string could hold a match of any builtin pattern: one native regex, the union of
 * {@link prefilter}. Strings failing it are returned by `scan` without running any pattern; this
 * replaced a per-character JavaScript loop that cost 64 % of redacting a 2,000-character message.
 */
export const maybeSecret: RegExp = new RegExp(Object.values(prefilter).map((r) => r.source).join("|"))

const builtin = (name: BuiltinPattern, censor: string): CompiledPattern => {
  switch (name) {
    case "bearer": {
      const source = String.raw`\b(Bearer|Basic)(\s+)([A-Za-z0-9\-._~+/]+=*)`
      return {
        maybe: prefilter.bearer,
        test: new RegExp(source, "i"),
        global: new RegExp(source, "gi"),
        replace: (match: string, scheme: string, space: string, token: string) =>
          token.length >= 8 && /[^a-z]/.test(token) ? scheme + space + censor : match
      }
    }
    case "jwt": {
      const source = String.raw`(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*`
      return { maybe: prefilter.jwt, test: new RegExp(source), global: new RegExp(source, "g"), replace: () => censor }
    }
    case "creditCard": {
      const source = String.raw`(?<!\d)[2-6]\d(?:[ -]?\d){11,17}(?!\d)`
      return {
        maybe: prefilter.creditCard,
        test: new RegExp(source),
        global: new RegExp(source, "g"),
        replace: (match: string) => luhn(match.replace(/[ -]/g, "")) ? censor : match
      }
    }
    case "urlCredentials": {
      const source = String.raw`(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]*:\/\/)([^\s:/?#@]*):([^\s/?#]+)@`
      return {
        maybe: prefilter.urlCredentials,
        test: new RegExp(source, "i"),
        global: new RegExp(source, "gi"),
        replace: (_match: string, scheme: string, user: string) => scheme + user + ":" + censor + "@"
      }
    }
  }
}

const custom = (regex: RegExp, censor: string): CompiledPattern => {
  const flags = regex.flags.replace(/[gy]/g, "")
  return {
    maybe: undefined,
    test: new RegExp(regex.source, flags),
    global: new RegExp(regex.source, flags + "g"),
    replace: () => censor
  }
}

/** Compiles the `patterns` option into the string scan (identity when there are none). */
export const compileScan = (
  entries: ReadonlyArray<RegExp | BuiltinPattern>,
  censor: string
): (s: string) => string => {
  if (entries.length === 0) return (s) => s
  const patterns = entries.map((p) => typeof p === "string" ? builtin(p, censor) : custom(p, censor))
  const builtinOnly = patterns.every((p) => p.maybe !== undefined)
  const minLength = builtinOnly ? 7 : 1
  return (s) => {
    if (s.length < minLength || (builtinOnly && !maybeSecret.test(s))) return s
    let out = s
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!
      if (p.maybe !== undefined && !p.maybe.test(out)) continue
      if (p.test.test(out)) out = out.replace(p.global, p.replace)
    }
    return out
  }
}
