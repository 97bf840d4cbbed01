/**
 * Errors given where fields are expected (not API).
 *
 * Callers: a facade's level methods (`log.error("payment failed", err)`), `Fapilog.runMain` for
 * the main fiber's failure, and the non-Effect handle. Each passes its second argument through
 * {@link toFields} before building the event; a plain fields record comes back as is (the common
 * case costs one `instanceof` and one property check), so the encoder, redactor and sinks see an
 * ordinary record whose `err` value is an `Error`, which the encoder already writes structured
 * (`name`, `message`, `stack`, `cause` chain, `errors`, own properties).
 *
 * Never throws: a cause that cannot be rendered becomes an `Error` saying so.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import { errorMessage } from "./errorMessage.ts"

/** The key under which an error given as the second argument is logged (pino's `err`). */
export const ERROR_KEY = "err"

/**
 * `value` as fields: an `Error` becomes `{ err: error }`, a `Cause` `{ err: <its errors> }` (one
 * error as is, several as an `AggregateError` whose `errors` are each reason's error), anything
 * else is returned unchanged. A cause without failures, defects or interruptions gives
 * `undefined`.
 */
export const toFields = (value: unknown): Readonly<Record<string, unknown>> | undefined => {
  if (typeof value !== "object" || value === null) return value as undefined
  if (value instanceof Error) return { [ERROR_KEY]: value }
  if (Cause.isCause(value)) {
    const error = causeError(value)
    return error === undefined ? undefined : { [ERROR_KEY]: error }
  }
  return value as Readonly<Record<string, unknown>>
}

/**
 * The errors of a cause as one `Error` (see {@link toFields}), with Effect's cleaned stacks and
 * span locations (`Cause.prettyErrors`); `undefined` for an empty cause.
 */
export const causeError = (cause: Cause.Cause<unknown>): Error | undefined => {
  try {
    const errors = Cause.prettyErrors(cause)
    if (errors.length === 0) return undefined
    if (errors.length === 1) return errors[0]
    const all = new AggregateError(errors, `${errors.length} errors: ${errors.map((e) => e.message).join("; ")}`)
    all.stack = `AggregateError: ${all.message}`
    return all
  } catch (e) {
    return new Error(`the cause could not be rendered: ${errorMessage(e)}`)
  }
}
