/**
 * Where encoded events go: the sink interface, the built-in sinks, and sink combinators.
 *
 * A `Sink` is a description; `open` acquires it in a `Scope` (a file is opened once per scope and
 * closed after the final drain, because the worker's drain finalizer runs before the sink's close
 * finalizer). The opened `Writer` receives whole batches. Combinators wrap a sink and return a
 * sink: `retry`, `timeout`, `fanOut` (a fan-out of one sink is that sink).
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as Encoder from "./Encoder.ts"
import type { LogEvent } from "./LogEvent.ts"

/**
 * A batch of ordinary events handed to a writer. `ndjson` is encoded lazily, once per batch, and
 * shared by every JSON sink of a fan-out.
 *
 * @since 0.1.0
 * @category models
 */
export interface Batch {
  readonly events: ReadonlyArray<LogEvent>
  readonly ndjson: string
}

/**
 * An opened sink.
 *
 * `writeUnsafe`, when present, writes synchronously; it serves `mode: "sync"` and the `block`
 * policy's inline path for `Effect.log` (which cannot suspend). Sinks without it are written
 * through `write` on a detached fiber in those paths.
 *
 * @since 0.1.0
 * @category models
 */
export interface Writer {
  readonly write: (batch: Batch) => Effect.Effect<void, SinkError>
  readonly writeUnsafe: ((batch: Batch) => void) | undefined
  /**
   * For writers that accept a batch before it reaches the OS (write-behind): completes once
   * everything accepted so far is written, failing if some of it could not be.
   */
  readonly flush?: Effect.Effect<void, SinkError> | undefined
  /**
   * For write-behind writers: how many accepted events were lost since the last call (reset on
   * read), so the worker can count them as sink failures.
   */
  readonly takeLost?: (() => number) | undefined
}

/**
 * A sink description: a name (used in metrics and error reports) and a scoped acquisition.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sink {
  readonly name: string
  readonly open: Effect.Effect<Writer, SinkError, Scope.Scope>
}

/**
 * A sink failed to open or to write.
 *
 * @since 0.1.0
 * @category errors
 */
export class SinkError extends Data.TaggedError("SinkError")<{
  readonly sink: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * A sink whose contents can be read back, for tests.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemorySink extends Sink {
  /** The events written so far, in order. */
  readonly events: Effect.Effect<ReadonlyArray<LogEvent>>
  /** The NDJSON lines written so far (without newline). */
  readonly lines: Effect.Effect<ReadonlyArray<string>>
  readonly eventsUnsafe: () => ReadonlyArray<LogEvent>
  readonly linesUnsafe: () => ReadonlyArray<string>
  readonly clear: Effect.Effect<void>
}

/**
 * Output format of the console sinks.
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "json" | "pretty"

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Builds a batch whose NDJSON is encoded on first access.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeBatch = (events: ReadonlyArray<LogEvent>): Batch => new LazyBatch(events)

/**
 * A sink from a name and a scoped acquisition of its writer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const counting = Sink.make("counting", Effect.sync(() => {
 *   let n = 0
 *   return Sink.writer((batch) => { n += batch.events.length })
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (name: string, open: Effect.Effect<Writer, SinkError, Scope.Scope>): Sink => ({ name, open })

/**
 * A writer from a synchronous function; `write` and `writeUnsafe` both call it, and a throw
 * becomes a `SinkError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const writer = (f: (batch: Batch) => void, name = "sink"): Writer => ({
  write: (batch) =>
    Effect.try({
      try: () => f(batch),
      catch: (cause) => new SinkError({ sink: name, message: errorMessage(cause), cause })
    }),
  writeUnsafe: f
})

/**
 * JSON lines (or the pretty format) on standard output.
 *
 * @example
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const layer = Fapilog.layer({ sinks: [Sink.stdout()] })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const stdout = (options?: { readonly format?: Format | undefined; readonly colors?: boolean | undefined }): Sink =>
  stream("stdout", () => process.stdout, options)

/**
 * JSON lines (or the pretty format) on standard error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stderr = (options?: { readonly format?: Format | undefined; readonly colors?: boolean | undefined }): Sink =>
  stream("stderr", () => process.stderr, options)

/**
 * The human-readable development format on standard output; colours only on a TTY (unless
 * `colors` says otherwise). Control characters are escaped so a line cannot forge another.
 *
 * @since 0.1.0
 * @category constructors
 */
export const pretty = (options?: { readonly colors?: boolean | undefined; readonly stream?: "stdout" | "stderr" }): Sink =>
  stream(
    options?.stream ?? "stdout",
    () => options?.stream === "stderr" ? process.stderr : process.stdout,
    { format: "pretty", colors: options?.colors }
  )

/**
 * Appends JSON lines to a file.
 *
 * The file is opened (created if missing, `O_APPEND`) when the sink is acquired — a missing
 * directory or a permission problem is a `SinkError` at layer build time, not a crash later —
 * and closed when the scope closes, after the worker's final drain. Each batch is one `write`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const program = Effect.logInfo("to a file").pipe(
 *   Effect.provide(Fapilog.layer({ sinks: [Sink.file("logs/app.jsonl")] }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const file = (
  path: string,
  options?: { readonly mode?: number | undefined; readonly highWaterMark?: number | undefined }
): Sink => {
  const name = `file:${path}`
  return make(
    name,
    Effect.acquireRelease(
      Effect.callback<WriteBehind, SinkError>((resume) => {
        fs.open(path, "a", options?.mode ?? 0o644, (err, fd) => {
          if (err) resume(Effect.fail(new SinkError({ sink: name, message: `cannot open ${path}: ${err.message}`, cause: err })))
          else resume(Effect.succeed(new WriteBehind(fd, name, options?.highWaterMark ?? 8 * 1024 * 1024)))
        })
      }),
      (wb) => Effect.andThen(Effect.ignore(wb.flush), Effect.callback<void>((resume) => fs.close(wb.fd, () => resume(Effect.void))))
    ).pipe(Effect.map((wb): Writer => ({
      write: (batch) => wb.write(batch),
      writeUnsafe: (batch) => wb.writeUnsafe(batch),
      flush: wb.flush,
      takeLost: () => wb.takeLost()
    })))
  )
}

/**
 * An in-memory sink whose events and lines can be read back: the sink for tests.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const memory = Sink.memory()
 * const program = Effect.gen(function*() {
 *   yield* Effect.logInfo("hello").pipe(Effect.provide(Fapilog.layer({ sinks: [memory] })))
 *   const events = yield* memory.events
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (name = "memory"): MemorySink => {
  let events: Array<LogEvent> = []
  let lines: Array<string> = []
  const append = (batch: Batch) => {
    for (const e of batch.events) events.push(e)
    const text = batch.ndjson
    if (text.length > 0) {
      const parts = text.split("\n")
      for (let i = 0; i < parts.length - 1; i++) lines.push(parts[i]!)
    }
  }
  return {
    name,
    open: Effect.succeed(writer(append, name)),
    events: Effect.sync(() => events.slice()),
    lines: Effect.sync(() => lines.slice()),
    eventsUnsafe: () => events.slice(),
    linesUnsafe: () => lines.slice(),
    clear: Effect.sync(() => {
      events = []
      lines = []
    })
  }
}

// -----------------------------------------------------------------------------
// combinators
// -----------------------------------------------------------------------------

/**
 * Writes every batch to all `sinks` concurrently; a failing sink does not stop the others, and
 * the fan-out fails (with the first error) only after every sink has had its turn. A fan-out of
 * one sink is that sink.
 *
 * @example
 * ```ts
 * import { Sink } from "effect-fapilog"
 *
 * const both = Sink.fanOut([Sink.stdout(), Sink.file("app.jsonl")])
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const fanOut = (sinks: ReadonlyArray<Sink>): Sink => {
  if (sinks.length === 1) return sinks[0]!
  return make(
    sinks.map((s) => s.name).join("+"),
    Effect.map(Effect.forEach(sinks, (s) => s.open), (writers): Writer => ({
      write: (batch) =>
        Effect.forEach(writers, (w) => Effect.result(w.write(batch)), { concurrency: "unbounded" }).pipe(
          Effect.flatMap((results) => {
            for (const r of results) if (r._tag === "Failure") return Effect.fail(r.failure)
            return Effect.void
          })
        ),
      writeUnsafe: writers.every((w) => w.writeUnsafe !== undefined)
        ? (batch) => {
          let error: unknown
          for (const w of writers) {
            try {
              w.writeUnsafe!(batch)
            } catch (e) {
              error ??= e
            }
          }
          if (error !== undefined) throw error
        }
        : undefined
    }))
  )
}

/**
 * Fails a write that takes longer than `duration` (a hanging sink cannot hold the worker).
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeout = (sink: Sink, duration: Duration.Input): Sink =>
  mapWriter(sink, (w) => ({
    ...w,
    write: (batch) =>
      Effect.timeoutOrElse(w.write(batch), {
        duration,
        orElse: () =>
          Effect.fail(new SinkError({ sink: sink.name, message: `write timed out after ${Duration.format(Duration.fromInputUnsafe(duration))}` }))
      })
  }))

/**
 * Retries a failed write with exponential backoff (`base`, doubling, at most `times` retries).
 * Time is read from `Clock`, so `TestClock` drives the backoff in tests.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry = (
  sink: Sink,
  options?: { readonly times?: number | undefined; readonly base?: Duration.Input | undefined }
): Sink => {
  const retryOptions = { schedule: Schedule.exponential(options?.base ?? "50 millis"), times: options?.times ?? 3 }
  return mapWriter(sink, (w) => ({
    ...w,
    write: (batch) => Effect.retry(w.write(batch), retryOptions)
  }))
}

/**
 * Transforms the writer of a sink, keeping its name.
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapWriter = (sink: Sink, f: (writer: Writer) => Writer): Sink => make(sink.name, Effect.map(sink.open, f))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

class LazyBatch implements Batch {
  readonly events: ReadonlyArray<LogEvent>
  #ndjson: string | undefined
  constructor(events: ReadonlyArray<LogEvent>) {
    this.events = events
  }
  get ndjson(): string {
    return this.#ndjson ??= Encoder.encodeBatch(this.events)
  }
}

/**
 * Write-behind for a file descriptor (what sonic-boom does for pino): `write` appends the batch's
 * text to a buffer and returns at once while one `fs.write` at a time drains the buffer, so
 * batches that arrive during a write are coalesced into the next one and the worker never waits
 * for the disk. Order is kept: the synchronous path writes directly only when nothing is buffered
 * or in flight. Memory is bounded by `highWaterMark` (characters): past it `write` waits for room.
 * A failed write is retried twice, then its events are counted as lost and the error is reported
 * by the next `flush`.
 */
class WriteBehind {
  readonly fd: number
  readonly name: string
  readonly highWaterMark: number
  private chunks: Array<string> = []
  private pendingChars = 0
  private pendingEvents = 0
  private inflight = false
  private lost = 0
  private error: NodeJS.ErrnoException | undefined = undefined
  private idleWaiters: Array<() => void> = []
  private roomWaiters: Array<() => void> = []

  constructor(fd: number, name: string, highWaterMark: number) {
    this.fd = fd
    this.name = name
    this.highWaterMark = highWaterMark
  }

  write(batch: Batch): Effect.Effect<void, SinkError> {
    const data = batch.ndjson
    if (data.length === 0) return Effect.void
    this.append(data, batch.events.length)
    if (this.pendingChars < this.highWaterMark) return Effect.void
    return Effect.callback<void>((resume) => {
      if (this.pendingChars < this.highWaterMark) return resume(Effect.void)
      this.roomWaiters.push(() => resume(Effect.void))
    })
  }

  writeUnsafe(batch: Batch): void {
    const data = batch.ndjson
    if (data.length === 0) return
    if (!this.inflight && this.chunks.length === 0) {
      try {
        fs.writeFileSync(this.fd, data)
      } catch (cause) {
        this.lost += batch.events.length
        this.error = cause as NodeJS.ErrnoException
      }
      return
    }
    this.append(data, batch.events.length)
  }

  get flush(): Effect.Effect<void, SinkError> {
    return Effect.callback<void, SinkError>((resume) => {
      const done = () => {
        const error = this.error
        this.error = undefined
        if (error === undefined) resume(Effect.void)
        else resume(Effect.fail(new SinkError({ sink: this.name, message: `write failed: ${error.message}`, cause: error })))
      }
      if (!this.inflight && this.chunks.length === 0) done()
      else this.idleWaiters.push(done)
    })
  }

  takeLost(): number {
    const n = this.lost
    this.lost = 0
    return n
  }

  private append(data: string, events: number): void {
    this.chunks.push(data)
    this.pendingChars += data.length
    this.pendingEvents += events
    if (!this.inflight) this.next()
  }

  private next(): void {
    if (this.chunks.length === 0) {
      this.inflight = false
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const w of waiters) w()
      return
    }
    const data = this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join("")
    const events = this.pendingEvents
    this.chunks = []
    this.pendingChars = 0
    this.pendingEvents = 0
    this.inflight = true
    this.wakeRoom()
    const buffer = Buffer.from(data, "utf8")
    const attempt = (tries: number) =>
      writeAll(this.fd, buffer, (err) => {
        if (err) {
          if (tries < 2) return attempt(tries + 1)
          this.lost += events
          this.error = err
        }
        this.next()
      })
    attempt(0)
  }

  private wakeRoom(): void {
    if (this.roomWaiters.length === 0) return
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const w of waiters) w()
  }
}

const errorMessage = (cause: unknown): string => {
  if (cause instanceof Error) return cause.message
  try {
    return String(cause)
  } catch {
    return "unknown error"
  }
}

const writeAll = (fd: number, buffer: Buffer, cb: (err: NodeJS.ErrnoException | null) => void): void => {
  fs.write(fd, buffer, 0, buffer.length, null, (err, written) => {
    if (err) return cb(err)
    if (written < buffer.length) return writeAll(fd, buffer.subarray(written), cb)
    cb(null)
  })
}

const stream = (
  name: string,
  target: () => NodeJS.WriteStream,
  options?: { readonly format?: Format | undefined; readonly colors?: boolean | undefined }
): Sink =>
  make(
    name,
    Effect.sync((): Writer => {
      const out = target()
      const format = options?.format ?? "json"
      const encoder = format === "pretty" ? Encoder.pretty({ colors: options?.colors ?? out.isTTY === true }) : undefined
      const text = (batch: Batch) => encoder === undefined ? batch.ndjson : encoder.encodeBatch(batch.events)
      return {
        write: (batch) => {
          const data = text(batch)
          if (data.length === 0) return Effect.void
          return Effect.callback<void, SinkError>((resume) => {
            out.write(data, (err) => {
              if (err) resume(Effect.fail(new SinkError({ sink: name, message: err.message, cause: err })))
              else resume(Effect.void)
            })
          })
        },
        writeUnsafe: (batch) => {
          const data = text(batch)
          if (data.length > 0) out.write(data)
        }
      }
    })
  )
