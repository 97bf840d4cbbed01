/**
 * Shared helpers for the records events carry (not API).
 *
 * @internal
 */

/**
 * Whether a frozen record's work can be reused: it is frozen and every value is a primitive, so
 * nothing reachable from it can change. Redactor and encoder cache their result for such a record
 * (see `LogEvent.annotator`).
 */
export const isReusable = (record: Readonly<Record<string, unknown>>): boolean => {
  if (!Object.isFrozen(record)) return false
  for (const key in record) {
    const value = record[key]
    if (typeof value === "object" ? value !== null : typeof value === "function") return false
  }
  return true
}
