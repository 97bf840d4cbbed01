/**
 * The JSON line format's fixed keys (not API): shared by the encoder, which writes them and
 * renames a user key that collides with one as `fields.<key>`, and by the console renderer, which
 * places them itself and shows every other key as a field.
 *
 * @internal
 */

/** The keys of a JSON log line that are the encoder's, never a user field's. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  "time",
  "level",
  "logger",
  "msg",
  "correlation_id",
  "trace_id",
  "span_id",
  "spans",
  "cause"
])
