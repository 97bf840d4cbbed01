/**
 * The one rule for "the text of a thrown value" (not API).
 *
 * Callers: anything that turns a caught value into a message or a `[Throws: …]` field — the
 * enricher, the redactor's walk, the OTLP converter, sink errors, the cause renderer, the pretty
 * command.
 *
 * Must never: throw. A thrown value may be anything: an `Error` whose `message` getter throws, a
 * `Proxy`, an object whose `toString` throws; the fallback is `"unknown"`.
 *
 * Invariant: an `Error` gives its `message` (as a string, possibly empty); anything else gives
 * `String(value)`.
 *
 * @internal
 */

/** The message of a thrown value, never throwing itself. */
export const errorMessage = (error: unknown): string => {
  try {
    return error instanceof Error ? String(error.message) : String(error)
  } catch {
    return "unknown"
  }
}
