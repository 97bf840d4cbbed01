/**
 * What the built-in sinks share: their error, the text of a thrown value, and the part of a
 * batch they read. The public `Sink` module documents and re-exports them; the sinks built on
 * them (`fileSink.ts`, `otlpSink.ts`, `syslogSink.ts`) return writers that keep the contract of
 * `Sink.Writer`.
 *
 * @internal
 */
import * as Data from "effect/Data"
import type * as LogEvent from "../LogEvent.ts"
import * as ErrorMessage from "./errorMessage.ts"

/** The brand of a sink built by this library (documented as `Sink.TypeId`). @internal */
export const TypeId: TypeId = "~effect-fapilog/Sink"
/** @internal */
export type TypeId = "~effect-fapilog/Sink"

/** A sink failed to open or to write (documented as `Sink.SinkError`). @internal */
export class SinkError extends Data.TaggedError("SinkError")<{
  readonly sink: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** What a sink reads of a batch: `Sink.Batch` has at least these. @internal */
export interface Encoded {
  readonly events: ReadonlyArray<LogEvent.LogEvent>
  /** One JSON line per event, each ending in a newline. */
  readonly ndjson: string
  /**
   * `ndjson` as pieces of whole lines, when the batch holds it so (this library's batches do;
   * see `internal/chunkedLines.ts`): what the file sink writes, piece by piece.
   */
  readonly ndjsonChunks?: ReadonlyArray<string> | undefined
}

/** The text of a thrown value, for an error message (never throws itself). @internal */
export const errorMessage: (cause: unknown) => string = ErrorMessage.errorMessage
