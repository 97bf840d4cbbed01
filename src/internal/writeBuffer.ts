/**
 * The bytes a file sink accepted and has not yet handed to `fs.write` (not API).
 *
 * @internal
 */

/** Size of a file sink's reused write buffers (allocated when first needed). */
const POOL_BYTES = 1024 * 1024
/** The size an empty write buffer may grow to, doubling, for batches bigger than `POOL_BYTES`. */
const POOL_MAX_BYTES = 8 * 1024 * 1024
/**
 * How many reused buffers a file sink may own: one being written, one filling, one more for a
 * batch that arrives when the filling one has no room left (see {@link WriteBuffer}).
 */
const POOL_BUFFERS = 3

/** Bytes ready to be written, the characters they came from, and the reused buffer they are in. */
interface Segment {
  readonly bytes: Buffer
  readonly chars: number
  readonly pooled: Buffer | undefined
}

/**
 * What a write-behind file holds between two writes: text encoded to UTF-8 as it arrives, into
 * reused buffers, so a batch's string (a tree of every line's pieces) dies young instead of
 * staying alive, and being copied by every young-generation collection, until its write.
 *
 * Who calls it: `WriteBehind` (`fileSink.ts`) alone — `append` for every batch, `take` when a
 * write is done (or none is in flight) and until it returns `undefined`, `takeAll` at the
 * process's exit.
 * Must never: hand out a buffer that is still being written (the bytes `take` returned stay
 * untouched until the next `take`), reorder or drop bytes, or do I/O.
 * Invariant: the bytes accepted and not yet taken are the `ready` segments, oldest first,
 * followed by `fill[0, filled)`; `chars` is the characters they came from (what `highWaterMark`
 * bounds); at most `POOL_BUFFERS` reused buffers exist, each free, filling, ready or being written.
 *
 * Why three buffers: deep-object batches (6.1 MB each, 8 MiB buffers) arrive while the previous
 * write is in flight and the filling buffer has room for one of them only. With two buffers the
 * next one was `Buffer.from`'d (allocated, measured, encoded: 61 µs per deep event in the
 * profile of `bench/runners/matrix.ts --workload deep`, against ~7 µs for `write` into a reused
 * buffer); a third takes it.
 */
export class WriteBuffer {
  /** Sealed segments, oldest first. */
  private ready: Array<Segment> = []
  /** The newest bytes: `fill[0, filled)`, from `fillChars` characters. */
  private fill: Buffer | undefined = undefined
  private filled = 0
  private fillChars = 0
  /** Reused buffers neither filling, ready nor being written. */
  private readonly free: Array<Buffer> = []
  /** The reused buffer of the segment `take` returned last (being written until the next `take`). */
  private writing: Buffer | undefined = undefined
  /** How many reused buffers exist. */
  private pooled = 0
  /** Characters appended and not yet taken. */
  chars = 0

  isEmpty(): boolean {
    return this.filled === 0 && this.ready.length === 0
  }

  /** Accepts a batch's text, given as pieces of whole lines (written one after the other). */
  append(chunks: ReadonlyArray<string>): void {
    let n = 0
    for (let i = 0; i < chunks.length; i++) n += chunks[i]!.length
    if (n === 0) return
    if (!this.appendToFill(chunks, n)) {
      // no room: what the buffer holds is sealed, and the batch goes to another reused buffer,
      // or to its own (bigger than any reused buffer may grow, or all of them in use)
      this.seal()
      if (!this.appendToFill(chunks, n)) {
        const text = chunks.length === 1 ? chunks[0]! : chunks.join("")
        this.ready.push({ bytes: Buffer.from(text, "utf8"), chars: n, pooled: undefined })
      }
    }
    this.chars += n
  }

  /**
   * The oldest bytes held, to be written now; `undefined` when empty. The caller calls `take`
   * again only once its write of the result is done (its buffer is then reused), until `take`
   * returns `undefined`.
   */
  take(): Buffer | undefined {
    if (this.writing !== undefined) {
      this.free.push(this.writing)
      this.writing = undefined
    }
    if (this.ready.length === 0) this.seal()
    const oldest = this.ready.shift()
    if (oldest === undefined) return undefined
    this.chars -= oldest.chars
    this.writing = oldest.pooled
    return oldest.bytes
  }

  /** Everything held, as a copy (no buffer is handed out): for a synchronous last write. */
  takeAll(): Buffer {
    this.seal()
    const bytes = Buffer.concat(this.ready.map((s) => s.bytes))
    for (const s of this.ready) if (s.pooled !== undefined) this.free.push(s.pooled)
    this.ready = []
    this.chars = 0
    return bytes
  }

  /** Moves what `fill` holds to `ready` (its buffer with it). */
  private seal(): void {
    if (this.filled === 0) return
    this.ready.push({ bytes: this.fill!.subarray(0, this.filled), chars: this.fillChars, pooled: this.fill })
    this.fill = undefined
    this.filled = 0
    this.fillChars = 0
  }

  /**
   * Encodes the batch (`chunks`, `n` characters in all) into `fill` after `filled` when it fits,
   * and tells whether it did (if not, `filled` is unchanged). Without a `fill`, a free reused
   * buffer is taken, or one allocated while fewer than `POOL_BUFFERS` exist; an empty `fill` first
   * grows (doubling, up to `POOL_MAX_BYTES`) to the batch's length.
   *
   * Why: `Buffer.from` of a batch allocates, measures and encodes it; `buf.write` into a reused
   * buffer only encodes. For the benchmark's batches (256 events) `Buffer.from` took 2.9 ms for
   * a deep-object batch (6.1 MB) and 0.24 ms for a long-message batch (0.55 MB), against 0.43 ms
   * and 0.02 ms for `write` (node 24, micro-benchmark), and both batches used to miss the 1 MiB
   * buffer (the first is bigger, the second failed the 3-bytes-per-character estimate).
   */
  private appendToFill(chunks: ReadonlyArray<string>, n: number): boolean {
    let fill = this.fill
    if (fill === undefined) {
      fill = this.free.pop()
      if (fill === undefined) {
        if (this.pooled >= POOL_BUFFERS) return false
        fill = Buffer.allocUnsafe(POOL_BYTES)
        this.pooled++
      }
      this.fill = fill
    }
    if (this.filled === 0 && fill.length < n && fill.length < POOL_MAX_BYTES) {
      let size = fill.length
      while (size < n && size < POOL_MAX_BYTES) size *= 2
      fill = this.fill = Buffer.allocUnsafe(size)
    }
    if (n > fill.length - this.filled) return false
    let at = this.filled
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!
      const room = fill.length - at
      const written = fill.write(chunk, at, "utf8")
      // `write` stops early only when the next character's bytes (at most 4) do not fit: with 4
      // bytes or more left, all of `chunk` is in; with fewer, it may not be, and the batch is
      // written elsewhere
      if (chunk.length * 3 > room && room - written < 4) return false
      at += written
    }
    this.filled = at
    this.fillChars += n
    return true
  }
}
