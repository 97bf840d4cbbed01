/**
 * A batch's encoded lines held as pieces, each of whole lines and under V8's regular object size
 * (not API).
 *
 * Who makes it: the built-in encoders (`Encoder.ts`), appending line after line and starting a
 * new piece once one reaches {@link CHUNK_CHARS}, for `Sink`'s batches ({@link encodeLines}).
 * Who reads it: the file sink, piece by piece ({@link chunksOf}); every other reader sees
 * `Lines.text`, the pieces joined once, when first read. `Encoder.encodeLines` itself still
 * returns a plain `{ text, unencodable }`.
 *
 * Why: a batch's text built as one string is a tree of every line's pieces; writing it to a buffer
 * first copies it into one flat string, and past 128 KiB that string is allocated in V8's large
 * object space — for deep-object batches (256 lines of 24 KB) the write cost 10.3 µs per line,
 * against 3.4 µs written line by line (node 24, micro-benchmark of the file sink's `buf.write`).
 * Pieces of ~32 K characters stay regular young objects.
 *
 * Must never: split a line across pieces, hold an empty piece beside others, or change the text
 * (`text` is exactly the pieces in order).
 *
 * @internal
 */

/** A piece is closed once it holds this many characters (one line may take it past). */
export const CHUNK_CHARS = 32 * 1024

/** `Encoder.Lines` as pieces; `text` joins them on first read. */
export class ChunkedLines {
  readonly chunks: ReadonlyArray<string>
  readonly unencodable: number
  private joined: string | undefined = undefined

  constructor(chunks: ReadonlyArray<string>, unencodable: number) {
    this.chunks = chunks
    this.unencodable = unencodable
  }

  get text(): string {
    if (this.joined === undefined) this.joined = this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join("")
    return this.joined
  }
}

/** The pieces of `lines`: its own when it has them, else its text as one piece. */
export const chunksOf = (lines: { readonly text: string }): ReadonlyArray<string> =>
  lines instanceof ChunkedLines ? lines.chunks : [lines.text]

/** Where a built-in encoder keeps its pieces-making `encodeLines` (not enumerable, not API). */
const ENCODE_CHUNKS = Symbol.for("effect-fapilog/internal/encodeChunks")

/**
 * `encoder` with `encodeChunks`, its `encodeLines` that returns {@link ChunkedLines}, attached for
 * {@link encodeLines} (the public `encodeLines` keeps returning a plain `{ text, unencodable }`).
 */
export const withChunks = <E extends object, L extends { readonly text: string }>(
  encoder: E,
  encodeChunks: (events: ReadonlyArray<never>) => L
): E => Object.defineProperty(encoder, ENCODE_CHUNKS, { value: encodeChunks })

/** `encoder`'s lines of `events` as pieces when it can make them, else `otherwise()`. */
export const encodeLines = <L extends { readonly text: string }>(
  encoder: object,
  events: ReadonlyArray<unknown>,
  otherwise: () => L
): L => {
  const f = (encoder as { readonly [ENCODE_CHUNKS]?: unknown })[ENCODE_CHUNKS]
  return typeof f === "function" ? f(events) : otherwise()
}
