/**
 * The file sink behind `Sink.file`: a write-behind buffer per opened file, drained by one
 * `fs.write` at a time, with rotation by size or time and reopening (`SIGHUP`, `reopen`).
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import * as Condition from "./condition.ts"
import * as Rotate from "./rotate.ts"
import * as Signals from "./signals.ts"
import * as Sink from "./sink.ts"

/** `Sink.file`'s options, resolved (defaults applied). @internal */
export interface Config {
  readonly path: string
  readonly mode: number
  /** characters buffered before a write waits for the disk */
  readonly highWaterMark: number
  /** rotate before a write would pass this size; `undefined`: no size rotation */
  readonly maxBytes: number | undefined
  readonly maxFiles: number
  readonly interval: Rotate.Interval | undefined
  readonly reopenOnSignal: NodeJS.Signals | false
}

/**
 * Opens `path` as a write-behind file (see `Sink.file`): `open` is the scoped writer, `reopen`
 * makes every open writer of this sink reopen its path between two writes.
 *
 * @internal
 */
export const make = (config: Config) => {
  const { mode, path } = config
  const name = `file:${path}`
  const open = new Set<WriteBehind>()
  const signal = config.reopenOnSignal
  const acquire = Effect.flatMap(Effect.clockWith(Effect.succeed), (clock) =>
    Effect.callback<WriteBehind, Sink.SinkError>((resume) => {
      // mkdir -p of the parent directory (nothing to do when it exists), then the file
      fs.mkdir(nodePath.dirname(path), { recursive: true }, (dirErr) => fs.open(path, "a", mode, (err, fd) => {
        if (err) {
          const cause = dirErr ?? err
          return resume(Effect.fail(new Sink.SinkError({ sink: name, message: `cannot open ${path}: ${cause.message}`, cause })))
        }
        const target: FileTarget = { ...config, now: () => clock.currentTimeMillisUnsafe() }
        resume(Effect.succeed(new WriteBehind(fd, name, config.highWaterMark, target)))
      }))
    }))
  return {
    name,
    path,
    // released in reverse: off the signal and the reopen list first, then the final flush and close
    open: Effect.gen(function*() {
      const wb = yield* Effect.acquireRelease(acquire, (wb) =>
        // the worker flushed at its drain; what still fails here can only be reported, not counted
        Effect.catch(wb.flush, (error) =>
          Effect.sync(() => {
            const lost = wb.takeLost()
            process.stderr.write(`effect-fapilog: sink ${name} closed with ${lost} events not written: ${error.message}\n`)
          })).pipe(
            Effect.andThen(Effect.sync(() => wb.cancelReopen())),
            Effect.andThen(Effect.callback<void>((resume) => fs.close(wb.fd, () => resume(Effect.void))))
          ))
      if (signal !== false) yield* Signals.on(signal, () => void wb.requestReopen())
      yield* Effect.acquireRelease(Effect.sync(() => open.add(wb)), () => Effect.sync(() => open.delete(wb)))
      return {
        write: (batch: Sink.Encoded) => Effect.suspend(() => wb.write(batch)),
        writeUnsafe: (batch: Sink.Encoded) => wb.writeUnsafe(batch),
        flushUnsafe: () => wb.flushUnsafe(),
        flush: wb.flush,
        takeLost: () => wb.takeLost()
      }
    }),
    reopen: Effect.suspend(() =>
      Effect.forEach(Array.from(open), (wb) =>
        Effect.mapError(
          Deferred.await(wb.requestReopen()),
          (error) => new Sink.SinkError({ sink: name, message: `cannot reopen ${path}: ${error.message}`, cause: error })
        ), { discard: true })
    )
  }
}

/** Where a write-behind writes, and how it rotates. */
interface FileTarget {
  readonly path: string
  readonly mode: number
  readonly maxBytes: number | undefined
  readonly maxFiles: number
  readonly interval: Rotate.Interval | undefined
  readonly now: () => number
}

/**
 * Write-behind for a file (what sonic-boom does for pino): `write` appends the batch's text to a
 * buffer and returns at once while one `fs.write` at a time drains the buffer, so batches that
 * arrive during a write are coalesced into the next one and the worker never waits for the disk.
 * The text is encoded to UTF-8 as it arrives, into one of two reused buffers (the other one is
 * being written): a batch's string, a tree of every line's pieces, then dies young instead of
 * staying alive (and being copied by every young-generation collection) until its write.
 * Order is kept: the synchronous path writes directly only when nothing is buffered or in flight.
 * Memory is bounded by `highWaterMark` (characters): past it `write` waits for room. A failed
 * write is retried twice, then its events are counted as lost and the error is reported by the
 * next `flush`.
 *
 * Rotation and reopening happen only between two writes (nothing in flight), synchronously, so a
 * line is never split, lost or written twice: a chunk is cut at the last newline that fits.
 */
/** Size of each of a file sink's two reused write buffers (allocated when first needed). */
const POOL_BYTES = 1024 * 1024
/** The size an empty write buffer may grow to, doubling, for batches bigger than `POOL_BYTES`. */
const POOL_MAX_BYTES = 8 * 1024 * 1024

class WriteBehind {
  fd: number
  readonly name: string
  readonly highWaterMark: number
  readonly target: FileTarget
  private size: number
  private period: number
  /** Bytes accepted and not yet handed to `fs.write`: `fill[0, filled)`, then `overflow`. */
  private fill: Buffer | undefined = undefined
  private filled = 0
  /** What did not fit in `fill` (a huge batch, a slow disk); empty almost always. */
  private overflow: Array<Buffer> = []
  /** The other buffer: the one being written, free again whenever `next` runs. */
  private spare: Buffer | undefined = undefined
  private pendingChars = 0
  private inflight = false
  private lost = 0
  private error: NodeJS.ErrnoException | undefined = undefined
  /** Nothing buffered or in flight: what `flush` waits for. */
  private readonly idle = new Condition.Condition(() => !this.inflight && this.isEmpty(), true)
  /** Below `highWaterMark`: what a `write` past it waits for. */
  private readonly room = new Condition.Condition(() => this.pendingChars < this.highWaterMark, true)
  private reopenRequested = false
  /** Completed by the next reopen (shared by every request made before it). */
  private reopened: Deferred.Deferred<void, NodeJS.ErrnoException> | undefined = undefined

  constructor(fd: number, name: string, highWaterMark: number, target: FileTarget) {
    this.fd = fd
    this.name = name
    this.highWaterMark = highWaterMark
    this.target = target
    this.size = fileSize(fd)
    this.period = Rotate.periodOf(target.now(), target.interval)
  }

  write(batch: Sink.Encoded): Effect.Effect<void, Sink.SinkError> {
    const data = batch.ndjson
    if (data.length === 0) return Effect.void
    this.append(data)
    if (this.pendingChars < this.highWaterMark) return Effect.void
    this.room.update()
    return this.room.await
  }

  writeUnsafe(batch: Sink.Encoded): void {
    const data = batch.ndjson
    if (data.length === 0) return
    if (!this.inflight && this.isEmpty()) {
      if (this.reopenRequested) this.reopenSync()
      return this.writeSync(Buffer.from(data, "utf8"))
    }
    this.append(data)
  }

  /**
   * Writes what is buffered, synchronously: for the process's `exit`, when no callback will run
   * again. A write already in flight is left to the OS (its bytes may land after these), so this
   * is not for a process that keeps running.
   */
  flushUnsafe(): void {
    if (this.isEmpty()) return
    const bytes = this.fill === undefined
      ? Buffer.concat(this.overflow)
      : Buffer.concat([this.fill.subarray(0, this.filled), ...this.overflow])
    this.filled = 0
    this.overflow = []
    this.pendingChars = 0
    this.writeSync(bytes)
    this.room.update()
  }

  /** Writes `buffer` with `fs.writeFileSync`, segment by segment (rotating between them). */
  private writeSync(buffer: Buffer): void {
    while (buffer.length > 0) {
      const head = this.segment(buffer)
      try {
        fs.writeFileSync(this.fd, head)
        this.size += head.length
      } catch (cause) {
        this.lost += Rotate.countLines(head)
        this.error = cause as NodeJS.ErrnoException
      }
      buffer = buffer.subarray(head.length)
    }
  }

  get flush(): Effect.Effect<void, Sink.SinkError> {
    return Effect.flatMap(this.idle.await, () => {
      const error = this.error
      this.error = undefined
      return error === undefined
        ? Effect.void
        : Effect.fail(new Sink.SinkError({ sink: this.name, message: `write failed: ${error.message}`, cause: error }))
    })
  }

  takeLost(): number {
    const n = this.lost
    this.lost = 0
    return n
  }

  /**
   * Reopens the path (after logrotate moved the file): at once when idle, else right after the
   * write in flight. The result completes once the new file is open, or fails if it could not be.
   */
  requestReopen(): Deferred.Deferred<void, NodeJS.ErrnoException> {
    this.reopenRequested = true
    const done = this.reopened ??= Deferred.makeUnsafe()
    if (!this.inflight) this.reopenSync()
    return done
  }

  /** Ends pending reopen requests (the sink is closing). */
  cancelReopen(): void {
    this.reopenRequested = false
    this.settleReopen(undefined)
  }

  private settleReopen(error: NodeJS.ErrnoException | undefined): void {
    const done = this.reopened
    this.reopened = undefined
    if (done !== undefined) Deferred.doneUnsafe(done, error === undefined ? Effect.void : Effect.fail(error))
  }

  private isEmpty(): boolean {
    return this.filled === 0 && this.overflow.length === 0
  }

  private append(data: string): void {
    if (this.overflow.length !== 0 || !this.appendToFill(data)) this.overflow.push(Buffer.from(data, "utf8"))
    this.pendingChars += data.length
    if (!this.inflight) this.next()
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

  private next(): void {
    if (this.reopenRequested) this.reopenSync()
    if (this.isEmpty()) {
      this.inflight = false
      this.idle.update()
      return
    }
    let bytes: Buffer
    if (this.overflow.length === 0) {
      // write this buffer; the other one (its write is done) takes what arrives meanwhile
      const writing = this.fill!
      bytes = writing.subarray(0, this.filled)
      this.fill = this.spare
      this.spare = writing
    } else {
      bytes = Buffer.concat(this.fill === undefined ? this.overflow : [this.fill.subarray(0, this.filled), ...this.overflow])
      this.overflow = []
    }
    this.filled = 0
    this.pendingChars = 0
    this.inflight = true
    this.idle.update()
    this.room.update()
    this.writeSegments(bytes)
  }

  /** Writes `buffer` segment by segment (rotating between segments), then moves on. */
  private writeSegments(buffer: Buffer): void {
    if (buffer.length === 0) return this.next()
    const head = this.segment(buffer)
    const attempt = (tries: number) =>
      writeAll(this.fd, head, (err) => {
        if (err) {
          if (tries < 2) return attempt(tries + 1)
          this.lost += Rotate.countLines(head)
          this.error = err
        } else {
          this.size += head.length
        }
        this.writeSegments(buffer.subarray(head.length))
      })
    attempt(0)
  }

  /** The part of `buffer` that goes into the current file, rotating first when needed. */
  private segment(buffer: Buffer): Buffer {
    const t = this.target
    if (t.interval !== undefined) {
      const period = Rotate.periodOf(t.now(), t.interval)
      // an empty file simply belongs to the current period (rotating it would move its first line away)
      if (this.size === 0) this.period = period
      else if (period !== this.period) this.rotateSync()
    }
    if (t.maxBytes === undefined) return buffer
    let n = Rotate.fitting(buffer, this.size, t.maxBytes)
    if (n === 0) {
      if (!this.rotateSync()) return buffer
      n = Rotate.fitting(buffer, this.size, t.maxBytes)
    }
    return n === buffer.length ? buffer : buffer.subarray(0, n)
  }

  /** Moves the current file aside and opens a fresh one; false when that failed. */
  private rotateSync(): boolean {
    try {
      Rotate.shiftFiles(this.target.path, this.target.maxFiles)
    } catch (cause) {
      this.error ??= cause as NodeJS.ErrnoException
      // keep writing to the current file rather than lose anything; try again next period
      this.period = Rotate.periodOf(this.target.now(), this.target.interval)
      return false
    }
    return this.reopenSync()
  }

  private reopenSync(): boolean {
    this.reopenRequested = false
    let error: NodeJS.ErrnoException | undefined
    try {
      const fd = fs.openSync(this.target.path, "a", this.target.mode)
      const old = this.fd
      this.fd = fd
      this.size = fileSize(fd)
      this.period = Rotate.periodOf(this.target.now(), this.target.interval)
      try {
        fs.closeSync(old)
      } catch {
        // already closed: nothing to lose
      }
    } catch (cause) {
      // keep the old descriptor: lines keep going to the moved file instead of being lost
      error = cause as NodeJS.ErrnoException
      this.error ??= error
    }
    this.settleReopen(error)
    return error === undefined
  }
}

const fileSize = (fd: number): number => {
  try {
    return fs.fstatSync(fd).size
  } catch {
    return 0
  }
}

const writeAll = (fd: number, buffer: Buffer, cb: (err: NodeJS.ErrnoException | null) => void): void => {
  fs.write(fd, buffer, 0, buffer.length, null, (err, written) => {
    if (err) return cb(err)
    if (written < buffer.length) return writeAll(fd, buffer.subarray(written), cb)
    cb(null)
  })
}
