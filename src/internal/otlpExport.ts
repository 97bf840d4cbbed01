/**
 * The OTLP/HTTP export loop behind `Sink.otlp`: a bounded write-behind buffer drained by one
 * fiber that posts batches with retries (exponential backoff with jitter, `Retry-After`
 * honoured), and counts whatever is finally not delivered.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as zlib from "node:zlib"
import type * as LogEvent from "../LogEvent.ts"
import * as Background from "./background.ts"
import * as Condition from "./condition.ts"
import { errorMessage } from "./errorMessage.ts"
import { LostCount } from "./lostCount.ts"
import * as Otlp from "./otlp.ts"

/** Resolved exporter options. @internal */
export interface Config {
  readonly name: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly resource: Array<Otlp.KeyValue>
  /** Conversion limits and value encoder (`Otlp.makeLimits(Encoder)`, from `Sink.otlp`). */
  readonly limits: Otlp.Limits
  readonly encoding: Otlp.Encoding
  readonly gzip: boolean
  readonly timeout: Duration.Duration
  readonly maxRetries: number
  readonly retryBase: Duration.Duration
  readonly retryMax: Duration.Duration
  readonly maxBatchSize: number
  readonly maxQueueSize: number
  readonly shutdownTimeout: Duration.Duration
}

/** A failed POST. @internal */
export class ExportFailure extends Data.TaggedError("ExportFailure")<{
  readonly message: string
  readonly retryable: boolean
  readonly retryAfterMillis: number | undefined
  readonly cause?: unknown
}> {}

/** @internal */
export interface Exporter {
  readonly enqueue: (events: ReadonlyArray<LogEvent.LogEvent>) => void
  /** Resolves once everything enqueued so far is delivered or counted; the last error, if any. */
  readonly awaitIdle: Effect.Effect<string | undefined>
  readonly takeLost: () => number
  readonly requests: () => number
}

/**
 * Starts the export fiber in the current scope. Closing the scope waits (up to
 * `shutdownTimeout`) for the buffer to drain; what remains is reported on stderr.
 *
 * @internal
 */
export const start = (config: Config): Effect.Effect<Exporter, never, Scope.Scope> =>
  Effect.gen(function*() {
    const state = new State(config.maxQueueSize)
    const post = makePost(config)
    const serialize = yield* Otlp.serializer(config.encoding)
    const schedule = Schedule.exponential(config.retryBase, 2).pipe(
      Schedule.jittered,
      Schedule.modifyDelay((meta: Schedule.Metadata<Duration.Duration, unknown>) => {
        const input = meta.input as ExportFailure | undefined
        if (input?.retryAfterMillis !== undefined) return Effect.succeed(Duration.millis(input.retryAfterMillis))
        return Effect.succeed(Duration.min(meta.duration, config.retryMax))
      })
    )
    const exportOnce = (events: ReadonlyArray<LogEvent.LogEvent>) =>
      Effect.gen(function*() {
        const observed = yield* Clock.currentTimeNanos
        const data = Otlp.toLogsData(events, config.resource, observed.toString(), config.limits)
        const body = serialize(data)
        const payload = config.gzip ? yield* gzip(body.bytes) : body.bytes
        const rejected = yield* Effect.retry(Effect.suspend(() => {
          state.requests++
          return post(payload, body.contentType)
        }), {
          schedule,
          times: config.maxRetries,
          while: (e: ExportFailure) => e.retryable
        })
        return rejected
      })

    const loop: Effect.Effect<never> = Effect.forever(
      Effect.gen(function*() {
        yield* state.awaitWork
        const events = state.take(config.maxBatchSize)
        const exit = yield* Effect.result(exportOnce(events))
        if (exit._tag === "Failure") {
          state.lost.add(events.length)
          state.error = exit.failure.message
        } else if (exit.success.rejected > 0) {
          state.lost.add(Math.min(exit.success.rejected, events.length))
          state.error = `collector rejected ${exit.success.rejected} log records${exit.success.message === "" ? "" : `: ${exit.success.message}`}`
        }
        state.done()
      })
    )
    yield* Background.runUntilClose(loop, {
      name: config.name,
      unit: "log records",
      idle: state.awaitIdle,
      timeout: config.shutdownTimeout,
      left: () => state.pendingCount + state.lost.count,
      lastError: () => state.error
    })
    return {
      enqueue: (events) => state.enqueue(events),
      awaitIdle: state.awaitIdle,
      takeLost: state.lost.take,
      requests: () => state.requests
    }
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/**
 * The export buffer. Invariant: every record enqueued is exported, or dropped and counted in
 * `lost` (overflow, exhausted retries, rejection); `idle` holds when nothing is pending or in
 * flight, `work` when something is pending.
 */
class State {
  readonly maxQueueSize: number
  pending: Array<LogEvent.LogEvent> = []
  inflight = false
  readonly lost = new LostCount()
  requests = 0
  error: string | undefined = undefined
  private inflightCount = 0
  private readonly work = new Condition.Condition(() => this.pending.length > 0, false)
  private readonly idle = new Condition.Condition(() => !this.inflight && this.pending.length === 0, true)

  constructor(maxQueueSize: number) {
    this.maxQueueSize = maxQueueSize
  }

  /** Records queued or being exported (an export stopped at shutdown delivered none of them). */
  get pendingCount(): number {
    return this.pending.length + this.inflightCount
  }

  enqueue(events: ReadonlyArray<LogEvent.LogEvent>): void {
    for (const e of events) if (e.control === undefined) this.pending.push(e)
    const over = this.pending.length - this.maxQueueSize
    if (over > 0) {
      this.pending.splice(0, over)
      this.lost.add(over)
      this.error = `export buffer full (${this.maxQueueSize} records): ${over} oldest dropped`
    }
    this.settle()
  }

  /** Completes once records are pending (only the export fiber takes them). */
  get awaitWork(): Effect.Effect<void> {
    return this.work.await
  }

  take(n: number): Array<LogEvent.LogEvent> {
    this.inflight = true
    const taken = this.pending.length <= n ? this.pending : this.pending.splice(0, n)
    if (taken === this.pending) this.pending = []
    this.inflightCount = taken.length
    this.settle()
    return taken
  }

  done(): void {
    this.inflight = false
    this.inflightCount = 0
    this.settle()
  }

  /** Completes once everything enqueued so far is exported or counted; the last error, if any. */
  get awaitIdle(): Effect.Effect<string | undefined> {
    return Effect.map(this.idle.await, () => {
      const error = this.error
      this.error = undefined
      return error
    })
  }

  private settle(): void {
    this.work.update()
    this.idle.update()
  }
}

const gzip = (body: Uint8Array): Effect.Effect<Uint8Array> =>
  Effect.callback<Uint8Array>((resume) => {
    zlib.gzip(body, (err, out) => {
      // gzip of an in-memory buffer does not fail in practice; send uncompressed if it does
      resume(Effect.succeed(err ? body : out))
    })
  })

const makePost = (config: Config) => {
  const headers: Record<string, string> = { ...config.headers }
  if (config.gzip) headers["content-encoding"] = "gzip"
  const timeoutMessage = `export timed out after ${Duration.format(config.timeout)}`
  return (
    payload: Uint8Array,
    contentType: string
  ): Effect.Effect<{ readonly rejected: number; readonly message: string }, ExportFailure> =>
    Effect.tryPromise({
      try: async (signal) => {
        const res = await fetch(config.url, {
          method: "POST",
          headers: { ...headers, "content-type": contentType },
          body: payload,
          signal
        })
        const body = new Uint8Array(await res.arrayBuffer())
        return { status: res.status, retryAfter: res.headers.get("retry-after"), contentType: res.headers.get("content-type"), body }
      },
      catch: (cause) =>
        new ExportFailure({
          message: `POST ${config.url} failed: ${networkMessage(cause)}`,
          retryable: true,
          retryAfterMillis: undefined,
          cause
        })
    }).pipe(
      Effect.timeoutOrElse({
        duration: config.timeout,
        orElse: () => Effect.fail(new ExportFailure({ message: timeoutMessage, retryable: true, retryAfterMillis: undefined }))
      }),
      Effect.flatMap((res) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          if (res.status >= 200 && res.status < 300) return Effect.succeed(Otlp.rejectedRecords(res.body, res.contentType))
          const retryable = res.status === 429 || res.status === 408 || res.status >= 500
          const text = Buffer.from(res.body.subarray(0, 512)).toString("utf8").replace(/[\x00-\x1f\x7f]+/g, " ").trim()
          return Effect.fail(
            new ExportFailure({
              message: `collector answered HTTP ${res.status}${text === "" ? "" : `: ${text}`}`,
              retryable,
              retryAfterMillis: retryable
                ? Otlp.parseRetryAfter(res.retryAfter, now, Duration.toMillis(config.retryMax))
                : undefined
            })
          )
        })
      )
    )
}

const networkMessage = (cause: unknown): string => {
  const inner = cause instanceof Error ? (cause as { cause?: unknown }).cause : undefined
  return inner instanceof Error ? `${errorMessage(cause)} (${errorMessage(inner)})` : errorMessage(cause)
}
