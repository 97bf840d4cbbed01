/**
 * The bytes a file sink accepted and has not yet handed to `fs.write` (not API).
 *
 * @internal
 */

/** Size of each of a file sink's two reused write buffers (allocated when first needed). */
const POOL_BYTES = 1024 * 1024
/** The size an empty write buffer may grow to, doubling, for batches bigger than `POOL_BYTES`. */
const POOL_MAX_BYTES = 8 * 1024 * 1024

/**
 * What a write-behind file holds between two writes: text encoded to UTF-8 as it arrives, into
 * one of two reused buffers while the other one is being written, so a batch's string (a tree
 * of every line's pieces) dies young instead of staying alive, and being copied by every
 * young-generation collection, until its write.
 *
 * Who calls it: `WriteBehind` (`fileSink.ts`) alone — `append` for every batch, `take` when a
 * write is done (or none is in flight), `takeAll` at the process's exit.
 * Must never: hand out a buffer that is still being written (the one `take` returned stays
 * untouched until the next `take`), reorder or drop bytes, or do I/O.
 * Invariant: the bytes accepted and not yet taken are `fill[0, filled)` followed by `overflow`,
 * in the order they were appended (once `overflow` holds anything, everything appended goes
 * after it); `chars` is the characters they came from (what `highWaterMark` bounds).
 */
export class WriteBuffer {
  /** Bytes accepted and not yet taken: `fill[0, filled)`, then `overflow`. */
  private fill: Buffer | undefined = undefined
  private filled = 0
  /** Characters `fill[0, filled)` came from. */
  private fillChars = 0
  /** What did not fit in `fill` (a huge batch, a slow disk), batch by batch; empty almost always. */
  private overflow: Array<{ readonly bytes: Buffer; readonly chars: number }> = []
  /** The other buffer: the one being written, free again whenever `take` is called. */
  private spare: Buffer | undefined = undefined
  /** Characters appended and not yet taken. */
  chars = 0

  isEmpty(): boolean {
    return this.filled === 0 && this.overflow.length === 0
  }

  append(data: string): void {
    if (this.overflow.length === 0 && this.appendToFill(data)) this.fillChars += data.length
    else this.overflow.push({ bytes: Buffer.from(data, "utf8"), chars: data.length })
    this.chars += data.length
  }

  /**
   * The oldest bytes held, to be written now; `undefined` when empty. `fill`'s bytes when it
   * has any (this buffer is handed out and the other one, whose write is done, takes what arrives
   * meanwhile), else the oldest overflow batch: the caller must call `take` again only once its
   * write of the result is done, and calls it until it returns `undefined`.
   *
   * Why not everything at once: overflow comes with batches bigger than what is left in `fill`
   * (deep objects: two 6 MB batches, an 8 MB buffer), and one buffer of everything meant copying
   * all of it again (`Buffer.concat`: 13 µs per deep-object event,
   * `bench/runners/matrix.ts --workload deep`); two writes cost less than the copy.
   */
  take(): Buffer | undefined {
    if (this.filled > 0) {
      const writing = this.fill!
      const bytes = writing.subarray(0, this.filled)
      this.fill = this.spare
      this.spare = writing
      this.filled = 0
      this.chars -= this.fillChars
      this.fillChars = 0
      return bytes
    }
    const oldest = this.overflow.shift()
    if (oldest === undefined) return undefined
    this.chars -= oldest.chars
    return oldest.bytes
  }

  /** Everything held, as a copy (no buffer is handed out): for a synchronous last write. */
  takeAll(): Buffer {
    const parts = this.overflow.map((o) => o.bytes)
    if (this.fill !== undefined) parts.unshift(this.fill.subarray(0, this.filled))
    const bytes = Buffer.concat(parts)
    this.filled = 0
    this.fillChars = 0
    this.overflow = []
    this.chars = 0
    return bytes
  }

  /**
   * Encodes `data` into `fill` after `filled` when it fits, and tells whether it did (if not,
   * `filled` is unchanged and the caller allocates). An empty `fill` first grows (doubling, up
   * to `POOL_MAX_BYTES`) to the batch's length.
   *
   * Why: `Buffer.from` of a batch allocates, measures and encodes it; `buf.write` into a reused
   * buffer only encodes. For the benchmark's batches (256 events) `Buffer.from` took 2.9 ms for
   * a deep-object batch (6.1 MB) and 0.24 ms for a long-message batch (0.55 MB), against 0.43 ms
   * and 0.02 ms for `write` (node 24, micro-benchmark), and both batches used to miss the 1 MiB
   * buffer (the first is bigger, the second failed the 3-bytes-per-character estimate).
   */
  private appendToFill(data: string): boolean {
    const n = data.length
    let fill = this.fill
    if (fill === undefined || (this.filled === 0 && fill.length < n && fill.length < POOL_MAX_BYTES)) {
      let size = fill === undefined ? POOL_BYTES : fill.length
      while (size < n && size < POOL_MAX_BYTES) size *= 2
      fill = this.fill = Buffer.allocUnsafe(size)
    }
    const room = fill.length - this.filled
    if (n > room) return false
    const written = fill.write(data, this.filled, "utf8")
    // `write` stops early only when the next character's bytes (at most 4) do not fit: with 4
    // bytes or more left, all of `data` is in; with fewer, it may not be, and is written again
    if (n * 3 > room && room - written < 4) return false
    this.filled += written
    return true
  }
}
