/**
 * The one rule for "a secret-looking key" (not API).
 *
 * Callers: the redactor compiles its key list once per `Redactor.make` with {@link keyMatcher}
 * (fields, annotations, error properties, `Map` keys); `Http.isSecretKey` (query-string keys in
 * logged URLs) is {@link isSecretQueryKey}: the same default list through the same matcher, plus
 * the words a query string uses for credentials (`key`, `sig`, `code`, `signature`, …), which would
 * be too broad for structured fields (a field named `key` or `tokensUsed` is rarely a secret).
 *
 * Must never: throw, or keep state outside the matcher instance that owns it (the key cache is
 * per matcher, bounded).
 *
 * Invariant: matching ignores case, `-` and `_`; an entry starting with `*` matches as a suffix.
 *
 * @internal
 */

/** The default secret keys (documented as `Redactor.defaultKeys`). */
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

/** Distinct keys remembered per matcher before its cache is cleared. */
const keyCacheLimit = 4096

/** `key` as matched: lower case, without `-` and `_`. */
export const normalizeKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, "")

/** The normalized form of a key list: exact keys, suffixes, and whether `"*"` matches every key. */
export interface KeyRule {
  readonly exact: ReadonlySet<string>
  readonly suffixes: ReadonlyArray<string>
  readonly all: boolean
}

/** Compiles a key list (see {@link defaultKeys} for its syntax). */
export const keyRule = (entries: ReadonlyArray<string>): KeyRule => {
  const exact = new Set<string>()
  const suffixes: Array<string> = []
  let all = false
  for (const entry of entries) {
    if (entry.startsWith("*")) {
      const suffix = normalizeKey(entry.slice(1))
      if (suffix.length > 0) suffixes.push(suffix)
      else all = true
    } else {
      exact.add(normalizeKey(entry))
    }
  }
  return { exact, suffixes, all }
}

/** Whether `key` matches `rule` (no cache). */
export const matchesRule = (rule: KeyRule, key: string): boolean => {
  if (rule.all) return true
  const normalized = normalizeKey(key)
  if (rule.exact.has(normalized)) return true
  for (let i = 0; i < rule.suffixes.length; i++) if (normalized.endsWith(rule.suffixes[i]!)) return true
  return false
}

/**
 * A matcher for `entries`, with its own bounded cache of answers (keys repeat from event to
 * event); `undefined` when the list is empty (key matching off).
 */
export const keyMatcher = (entries: ReadonlyArray<string>): ((key: string) => boolean) | undefined => {
  if (entries.length === 0) return undefined
  const rule = keyRule(entries)
  if (rule.all) return () => true
  const cache = new Map<string, boolean>()
  return (key) => {
    let matched = cache.get(key)
    if (matched === undefined) {
      matched = matchesRule(rule, key)
      if (cache.size >= keyCacheLimit) cache.clear()
      cache.set(key, matched)
    }
    return matched
  }
}

const defaultRule = keyRule(defaultKeys)
const querySubstring = /token|passw(?:or)?d|pwd|secret|signature|credential|api[-_]?key|jwt|session|cookie/i
const queryWords: ReadonlySet<string> = new Set(["key", "auth", "authorization", "sig", "code", "otp"])

/**
 * Whether a query-string key looks like it carries a secret: a default secret key, or it contains
 * `token`, `password`, `passwd`, `pwd`, `secret`, `signature`, `credential`, `apikey`, `jwt`,
 * `session` or `cookie`, or one of its words (split on non-letters and camelCase) is `key`, `auth`,
 * `authorization`, `sig`, `code` or `otp`. Case-insensitive.
 */
export const isSecretQueryKey = (key: string): boolean => {
  if (matchesRule(defaultRule, key) || querySubstring.test(key)) return true
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/)
  for (const w of words) if (queryWords.has(w)) return true
  return false
}
