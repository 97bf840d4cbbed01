/**
 * The file sink behind `Sink.file`: a write-behind buffer per opened file, drained by one
 * `fs.write` at a time, with rotation by size or time and reopening (`SIGHUP`, `reopen`). Three
 * units: the bytes waiting (`WriteBuffer`, `writeBuffer.ts`), the writer loop (`WriteBehind`)
 * and the file itself, with rotation, reopening and what failed (`LogFile`).
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
import { LostCount } from "./lostCount.ts"
import * as Sink from "./sink.ts"
import * as WriteBuffer from "./writeBuffer.ts"

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
            Effect.andThen(Effect.callback<void>((resume) => fs.close(wb.file.fd, () => resume(Effect.void))))
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
 * Write-behind for a file (what sonic-boom does for pino), the writer loop: `write` appends the
 * batch's text to a {@link WriteBuffer} and returns at once while one `fs.write` at a time drains
 * it, so batches that arrive during a write are coalesced into the next one and the worker never
 * waits for the disk. Memory is bounded by `highWaterMark` (characters): past it `write` waits
 * for room. A failed write is retried twice, then its events are counted as lost and the error is
 * reported by the next `flush`.
 *
 * Who calls it: the writer `make` returns (`write`, `writeUnsafe`, `flush`, `takeLost` from the
 * engine; `flushUnsafe` at the process's exit), the reopen signal and `reopen` (`requestReopen`),
 * and the sink's release (`flush`, `cancelReopen`, then the close of `file.fd`).
 * Must never: have two writes in flight, write bytes out of order (the synchronous path writes
 * directly only when nothing is buffered or in flight), or rotate or reopen while a write is in
 * flight (the {@link LogFile} changes only between two writes).
 * Invariant: `inflight` is true exactly while a chunk taken from the buffer is being written;
 * when it is false the buffer is empty or a write is about to start (`next`). Every accepted line
 * is, once `idle` holds, in the file or counted by `file.lost`.
 */
class WriteBehind {
  readonly name: string
  readonly highWaterMark: number
  readonly file: LogFile
  private readonly buffer = new WriteBuffer.WriteBuffer()
  private inflight = false
  /** Nothing buffered or in flight: what `flush` waits for. */
  private readonly idle = new Condition.Condition(() => !this.inflight && this.buffer.isEmpty(), true)
  /** Below `highWaterMark`: what a `write` past it waits for. */
  private readonly room = new Condition.Condition(() => this.buffer.chars < this.highWaterMark, true)

  constructor(fd: number, name: string, highWaterMark: number, target: FileTarget) {
    this.name = name
    this.highWaterMark = highWaterMark
    this.file = new LogFile(fd, target)
  }

  write(batch: Sink.Encoded): Effect.Effect<void, Sink.SinkError> {
    if (!this.append(batch)) return Effect.void
    if (this.buffer.chars < this.highWaterMark) return Effect.void
    this.room.update()
    return this.room.await
  }

  writeUnsafe(batch: Sink.Encoded): void {
    if (this.inflight || !this.buffer.isEmpty()) {
      this.append(batch)
      return
    }
    // nothing before it: written now, piece by piece (whole lines each)
    if (this.file.reopenRequested) this.file.reopenSync()
    const chunks = chunksOf(batch)
    for (let i = 0; i < chunks.length; i++) {
      if (chunks[i]!.length > 0) this.file.writeSync(Buffer.from(chunks[i]!, "utf8"))
    }
  }

  /**
   * Writes what is buffered, synchronously: for the process's `exit`, when no callback will run
   * again. A write already in flight is left to the OS (its bytes may land after these), so this
   * is not for a process that keeps running.
   */
  flushUnsafe(): void {
    if (this.buffer.isEmpty()) return
    this.file.writeSync(this.buffer.takeAll())
    this.room.update()
  }

  get flush(): Effect.Effect<void, Sink.SinkError> {
    return Effect.flatMap(this.idle.await, () => {
      const error = this.file.takeError()
      return error === undefined
        ? Effect.void
        : Effect.fail(new Sink.SinkError({ sink: this.name, message: `write failed: ${error.message}`, cause: error }))
    })
  }

  takeLost(): number {
    return this.file.takeLost()
  }

  /**
   * Reopens the path (after logrotate moved the file): at once when idle, else right after the
   * write in flight. The result completes once the new file is open, or fails if it could not be.
   */
  requestReopen(): Deferred.Deferred<void, NodeJS.ErrnoException> {
    const done = this.file.requestReopen()
    if (!this.inflight) this.file.reopenSync()
    return done
  }

  /** Ends pending reopen requests (the sink is closing). */
  cancelReopen(): void {
    this.file.cancelReopen()
  }

  /** Buffers `batch`'s lines and starts a write if none is in flight; whether there were any. */
  private append(batch: Sink.Encoded): boolean {
    const before = this.buffer.chars
    this.buffer.append(chunksOf(batch))
    if (this.buffer.chars === before) return false
    if (!this.inflight) this.next()
    return true
  }

  /** Between two writes: reopens if asked, then writes what is buffered, or becomes idle. */
  private next(): void {
    if (this.file.reopenRequested) this.file.reopenSync()
    const bytes = this.buffer.take()
    if (bytes === undefined) {
      this.inflight = false
      this.idle.update()
      return
    }
    this.inflight = true
    // the write first: `update` may run a waiting fiber before it returns (a `write` waiting for
    // room goes on encoding its next batches), and the bytes must be on their way meanwhile —
    // updated first, the write started only once that fiber waited again: encoding and writing
    // took turns (deep objects: 35 ms of every 85 ms waiting, `bench/runners/matrix.ts --workload deep`)
    this.writeSegments(bytes)
    this.idle.update()
    this.room.update()
  }

  /** Writes `buffer` segment by segment (rotating between segments), then moves on. */
  private writeSegments(buffer: Buffer): void {
    if (buffer.length === 0) return this.next()
    const head = this.file.segment(buffer)
    const attempt = (tries: number) =>
      writeAll(this.file.fd, head, (err) => {
        if (err) {
          if (tries < 2) return attempt(tries + 1)
          this.file.failed(head, err)
        } else {
          this.file.wrote(head)
        }
        this.writeSegments(buffer.subarray(head.length))
      })
    attempt(0)
  }
}

/**
 * The file a {@link WriteBehind} writes to: its descriptor, size and rotation period, rotation
 * by size or time, reopening, and what failed since the last `flush` (`lost` lines, `error`).
 *
 * Who calls it: its `WriteBehind`, only between two writes (nothing in flight) for everything
 * that changes the descriptor: `segment` (which may rotate), `reopenSync`, `writeSync`.
 * Must never: split, lose or duplicate a line across files (a chunk is cut at the last newline
 * that fits, and rotation happens only between two segments), give up the old descriptor when a
 * rotation or reopen fails (lines keep going to the moved file instead of being lost), or throw.
 * Invariant: every byte handed to it is either written (counted in `size`) or its lines counted
 * in `lost`, with the error kept for the next `takeError`.
 */
class LogFile {
  fd: number
  readonly target: FileTarget
  private size: number
  private period: number
  private readonly lost = new LostCount()
  private error: NodeJS.ErrnoException | undefined = undefined
  reopenRequested = false
  /** Completed by the next reopen (shared by every request made before it). */
  private reopened: Deferred.Deferred<void, NodeJS.ErrnoException> | undefined = undefined

  constructor(fd: number, target: FileTarget) {
    this.fd = fd
    this.target = target
    this.size = fileSize(fd)
    this.period = Rotate.periodOf(target.now(), target.interval)
  }

  /** `head` (a segment) is in the file. */
  wrote(head: Buffer): void {
    this.size += head.length
  }

  /** `head` (a segment) could not be written: its lines are lost, `err` is reported. */
  failed(head: Buffer, err: NodeJS.ErrnoException): void {
    this.lost.add(Rotate.countLines(head))
    this.error = err
  }

  takeLost(): number {
    return this.lost.take()
  }

  takeError(): NodeJS.ErrnoException | undefined {
    const error = this.error
    this.error = undefined
    return error
  }

  /** Writes `buffer` with `fs.writeFileSync`, segment by segment (rotating between them). */
  writeSync(buffer: Buffer): void {
    while (buffer.length > 0) {
      const head = this.segment(buffer)
      try {
        fs.writeFileSync(this.fd, head)
        this.wrote(head)
      } catch (cause) {
        this.failed(head, cause as NodeJS.ErrnoException)
      }
      buffer = buffer.subarray(head.length)
    }
  }

  /** The part of `buffer` that goes into the current file, rotating first when needed. */
  segment(buffer: Buffer): Buffer {
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

  /** Asks for a reopen (done by the caller now, or after the write in flight). */
  requestReopen(): Deferred.Deferred<void, NodeJS.ErrnoException> {
    this.reopenRequested = true
    return this.reopened ??= Deferred.makeUnsafe()
  }

  /** Ends pending reopen requests (the sink is closing). */
  cancelReopen(): void {
    this.reopenRequested = false
    this.settleReopen(undefined)
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

  /** Opens the path again (after a rotation or a move); false when that failed. */
  reopenSync(): boolean {
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

  private settleReopen(error: NodeJS.ErrnoException | undefined): void {
    const done = this.reopened
    this.reopened = undefined
    if (done !== undefined) Deferred.doneUnsafe(done, error === undefined ? Effect.void : Effect.fail(error))
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

/** What the file sink writes of a batch: its NDJSON pieces when it has them, else its NDJSON. */
const chunksOf = (batch: Sink.Encoded): ReadonlyArray<string> => batch.ndjsonChunks ?? [batch.ndjson]
