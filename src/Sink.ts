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
import * as EffectConfig from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import type * as tls from "node:tls"
import * as Encoder from "./Encoder.ts"
import * as Otlp from "./internal/otlp.ts"
import * as OtlpExport from "./internal/otlpExport.ts"
import * as Rotate from "./internal/rotate.ts"
import * as Syslog from "./internal/syslog.ts"
import type { LogEvent } from "./LogEvent.ts"

/**
 * A batch of ordinary events handed to a writer. `ndjson` is encoded lazily, once per batch, and
 * shared by every JSON sink of a fan-out.
 *
 * `unencodable` is how many of `events` are not in `ndjson` because they could not be encoded
 * (`Encoder.encodeLines`): the other events are still written, and the engine counts these as
 * dropped (reason `"encode failure"`). It is valid once `ndjson` was read (`0` before).
 *
 * @example
 * ```ts
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const sizes = Sink.writer((batch: Sink.Batch) => {
 *   console.log(`${batch.events.length} events, ${batch.ndjson.length} characters of NDJSON`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Batch {
  readonly events: ReadonlyArray<LogEvent>
  readonly ndjson: string
  readonly unencodable: number
}

/**
 * An opened sink.
 *
 * `writeUnsafe`, when present, writes synchronously; it serves `mode: "sync"` and the `block`
 * policy's inline path for `Effect.log` (which cannot suspend). Sinks without it are written
 * through `write` on a detached fiber in those paths.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const chunks: Array<string> = []
 * const writer: Sink.Writer = {
 *   write: (batch) => Effect.sync(() => chunks.push(batch.ndjson)),
 *   writeUnsafe: (batch) => chunks.push(batch.ndjson)
 * }
 * const sink = Sink.make("chunks", Effect.succeed(writer))
 * ```
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
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * // buffers every line and prints them all when the layer's scope closes
 * const buffered: Sink.Sink = {
 *   name: "buffered",
 *   open: Effect.acquireRelease(Effect.sync((): Array<string> => []), (lines) => Effect.sync(() => console.log(lines.join("")))).pipe(
 *     Effect.map((lines) => Sink.writer((batch) => lines.push(batch.ndjson), "buffered"))
 *   )
 * }
 * ```
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
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const unreachable = Sink.make("unreachable", Effect.succeed<Sink.Writer>({
 *   write: () => Effect.fail(new Sink.SinkError({ sink: "unreachable", message: "connection refused" })),
 *   writeUnsafe: undefined
 * }))
 * ```
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
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const memory: Sink.MemorySink = Sink.memory()
 * const program = Effect.gen(function*() {
 *   yield* Effect.logWarning("low disk").pipe(Effect.provide(Fapilog.layer({ sinks: [memory] })))
 *   const lines = yield* memory.lines // one NDJSON line
 *   yield* memory.clear
 * })
 * ```
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
 * @example
 * ```ts
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const format: Sink.Format = process.stdout.isTTY ? "pretty" : "json"
 * const out = Sink.stdout({ format })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "json" | "pretty"

/**
 * Options of {@link file}.
 *
 * - `mode`: permissions of a created file (default `0o644`).
 * - `highWaterMark`: characters buffered before `write` waits for the disk (default 8 Mi).
 * - `rotate`: see {@link RotateOptions}; no rotation when absent.
 * - `reopenOnSignal`: the signal that reopens the file (default `"SIGHUP"`), `false` for none.
 *
 * @example
 * ```ts
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const options: Sink.FileOptions = { rotate: { maxBytes: 50_000_000, maxFiles: 10 }, reopenOnSignal: false }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FileOptions {
  readonly mode?: number | undefined
  readonly highWaterMark?: number | undefined
  readonly rotate?: RotateOptions | undefined
  readonly reopenOnSignal?: NodeJS.Signals | false | undefined
}

/**
 * Rotation of a {@link file}: by size (`maxBytes`, default 10 MiB when no `interval` is given),
 * by time (`interval`: the UTC `"daily"` or `"hourly"` boundary, read from `Clock`), or both.
 * `maxFiles` (default 5) old files are kept as `path.1` (newest) … `path.N`; 0 keeps none.
 *
 * @example
 * ```ts
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const daily: Sink.RotateOptions = { interval: "daily", maxFiles: 14 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RotateOptions {
  readonly maxBytes?: number | undefined
  readonly maxFiles?: number | undefined
  readonly interval?: "daily" | "hourly" | undefined
}

/**
 * A file sink: a {@link Sink} plus `reopen`, which makes every open writer of this sink reopen
 * its path between two writes (what `SIGHUP` does). Use it after an external tool moved the
 * file (logrotate without `copytruncate`). Lines written before the reopen are in the moved
 * file, lines after it in the new one; none is lost or written twice.
 *
 * @example
 * ```ts
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const file: Sink.FileSink = Sink.file("logs/app.jsonl", { reopenOnSignal: false })
 * const afterMove = file.reopen
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FileSink extends Sink {
  readonly path: string
  readonly reopen: Effect.Effect<void, SinkError>
}

/**
 * Options of {@link otlp}.
 *
 * - `url`: the full logs endpoint, e.g. `http://localhost:4318/v1/logs`.
 * - `headers`: extra request headers (authentication).
 * - `serviceName` and `resource`: resource attributes (`service.name` defaults to
 *   `unknown_service:node`, as the OTel specification says).
 * - `encoding`: `"protobuf"` (default, `application/x-protobuf`) or `"json"`.
 * - `gzip`: compress request bodies (default `false`).
 * - `timeout`: per request (default 10 s).
 * - `maxRetries` (default 5), `retryBase` (default 500 ms), `retryMax` (default 30 s): retries
 *   of 408/429/5xx answers and network errors, exponential with jitter; a `Retry-After` header
 *   (seconds or an HTTP date, capped at `retryMax`) replaces the computed delay.
 * - `maxBatchSize`: records per request (default 512).
 * - `maxQueueSize`: records waiting for export (default 20,000); past it the oldest are dropped
 *   and counted.
 * - `shutdownTimeout`: how long closing the sink waits for the queue to drain (default 5 s).
 *
 * @example
 * ```ts
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const options: Sink.OtlpOptions = {
 *   url: "http://localhost:4318/v1/logs",
 *   serviceName: "checkout",
 *   resource: { "deployment.environment": "prod" }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface OtlpOptions {
  readonly url: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly serviceName?: string | undefined
  readonly resource?: Readonly<Record<string, unknown>> | undefined
  readonly encoding?: "protobuf" | "json" | undefined
  readonly gzip?: boolean | undefined
  readonly timeout?: Duration.Input | undefined
  readonly maxRetries?: number | undefined
  readonly retryBase?: Duration.Input | undefined
  readonly retryMax?: Duration.Input | undefined
  readonly maxBatchSize?: number | undefined
  readonly maxQueueSize?: number | undefined
  readonly shutdownTimeout?: Duration.Input | undefined
}

/**
 * Options of {@link syslog}.
 *
 * - `host` (default `"127.0.0.1"`), `port` (default 514 for TCP/UDP, 6514 for TLS).
 * - `transport`: `"tcp"` (default), `"udp"` or `"tls"` (`tls` holds `node:tls` connect options:
 *   `ca`, `cert`, `key`, `rejectUnauthorized`, `servername`, …).
 * - `facility`: a number 0–23 or a name (`"user"`, default; `"local0"` … `"local7"`, …).
 * - `appName` (default `process.title`), `hostname` (default `os.hostname()`).
 * - `framing` (TCP/TLS): `"octet-counting"` (default, RFC 6587 §3.4.1) or `"newline"`.
 * - `body`: `"json"` (default: MSG is the event's JSON line) or `"message"` (just the message).
 * - `structuredData`: the SD-ID of the `[logger=… correlation_id=… trace_id=… span_id=…]`
 *   element (default `"fapilog@32473"`), or `false` for none (`-`).
 * - `maxMessageBytes`: longer messages are cut at a UTF-8 boundary (default 2048 for UDP,
 *   8192 otherwise — rsyslog's default `maxMessageSize` is 8 KiB).
 * - `maxBuffered`: messages kept while disconnected (default 10,000); past it the oldest are
 *   dropped and counted as sink failures.
 * - `reconnectBase` (100 ms) / `reconnectMax` (30 s): backoff between connection attempts.
 * - `onConnection`: called when the connection comes up or goes down.
 *
 * @example
 * ```ts
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const options: Sink.SyslogOptions = { host: "logs.internal", port: 6514, transport: "tls", facility: "local0", appName: "api" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SyslogOptions {
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly transport?: "tcp" | "udp" | "tls" | undefined
  readonly tls?: tls.ConnectionOptions | undefined
  readonly facility?: number | keyof typeof Syslog.facilities | undefined
  readonly appName?: string | undefined
  readonly hostname?: string | undefined
  readonly framing?: "octet-counting" | "newline" | undefined
  readonly body?: "json" | "message" | undefined
  readonly structuredData?: string | false | undefined
  readonly maxMessageBytes?: number | undefined
  readonly maxBuffered?: number | undefined
  readonly reconnectBase?: Duration.Input | undefined
  readonly reconnectMax?: Duration.Input | undefined
  readonly connectTimeout?: Duration.Input | undefined
  readonly closeTimeout?: Duration.Input | undefined
  readonly onConnection?: ((event: { readonly connected: boolean; readonly error?: string | undefined }) => void) | undefined
}

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Builds a batch whose NDJSON is encoded on first access.
 *
 * @example
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const batch = Sink.makeBatch([LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" })])
 * const text = batch.ndjson // encoded here, once: one JSON line ending in "\n"
 * ```
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
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const messages: Array<string> = []
 * const collect = Sink.make("collect", Effect.sync(() =>
 *   Sink.writer((batch) => {
 *     for (const e of batch.events) messages.push(e.message)
 *   }, "collect")))
 * ```
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
 * @example
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * // keeps stdout free for the program's own output
 * const layer = Fapilog.layer({ sinks: [Sink.stderr({ format: "pretty", colors: false })] })
 * ```
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
 * @example
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const dev = Fapilog.layer({ level: "Debug", sinks: [Sink.pretty({ stream: "stderr" })] })
 * ```
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
 * Appends JSON lines to a file, optionally rotating it by size and/or time, and reopening it on
 * `SIGHUP` (logrotate's move-then-signal) or through {@link FileSink.reopen}.
 *
 * The file is opened (created if missing, `O_APPEND`) when the sink is acquired — a missing
 * directory or a permission problem is a `SinkError` at layer build time, not a crash later —
 * and closed when the scope closes, after the worker's final drain. Writes are write-behind:
 * the worker hands a batch over and moves on while one `fs.write` at a time drains the buffer.
 *
 * Rotation (`rotate`) and reopening happen between two writes, never during one: a line is
 * never split, lost or written twice. With `rotate: { maxBytes: 10_000_000, maxFiles: 5 }`,
 * `app.jsonl` is moved to `app.jsonl.1` (older files shift to `.2` … `.5`, the oldest is
 * removed) before a write that would take it past `maxBytes`; a chunk is cut at the last line
 * that fits. `interval: "daily" | "hourly"` also rotates when the UTC day or hour (read from
 * `Clock`) changes.
 *
 * Gotcha: while a file sink with `reopenOnSignal` (default `"SIGHUP"`) is open, the process
 * has a listener for that signal, so the signal no longer terminates it. Pass `false` to keep
 * the default behaviour.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const file = Sink.file("logs/app.jsonl", { rotate: { maxBytes: 10 * 1024 * 1024, maxFiles: 5 } })
 * const program = Effect.gen(function*() {
 *   yield* Effect.logInfo("to a rotating file")
 *   yield* file.reopen // what a SIGHUP does: e.g. after an external tool moved the file
 * }).pipe(Effect.provide(Fapilog.layer({ sinks: [file] })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const file = (path: string, options?: FileOptions): FileSink => {
  const name = `file:${path}`
  const open = new Set<WriteBehind>()
  const rotate = options?.rotate
  const maxBytes = rotate === undefined
    ? undefined
    : rotate.maxBytes ?? (rotate.interval === undefined ? 10 * 1024 * 1024 : undefined)
  const maxFiles = Math.max(0, Math.floor(rotate?.maxFiles ?? 5))
  const signal = options?.reopenOnSignal ?? "SIGHUP"
  const mode = options?.mode ?? 0o644
  const acquire = Effect.flatMap(Effect.clockWith(Effect.succeed), (clock) =>
    Effect.callback<WriteBehind, SinkError>((resume) => {
      fs.open(path, "a", mode, (err, fd) => {
        if (err) return resume(Effect.fail(new SinkError({ sink: name, message: `cannot open ${path}: ${err.message}`, cause: err })))
        const target: FileTarget = {
          path,
          mode,
          maxBytes: maxBytes !== undefined && maxBytes > 0 ? maxBytes : undefined,
          maxFiles,
          interval: rotate?.interval,
          now: () => clock.currentTimeMillisUnsafe()
        }
        resume(Effect.succeed(new WriteBehind(fd, name, options?.highWaterMark ?? 8 * 1024 * 1024, target)))
      })
    }))
  return {
    name,
    path,
    open: Effect.acquireRelease(
      Effect.map(acquire, (wb) => {
        const onSignal = () => wb.requestReopen()
        if (signal !== false) process.on(signal, onSignal)
        open.add(wb)
        return { wb, onSignal }
      }),
      ({ onSignal, wb }) =>
        Effect.sync(() => {
          if (signal !== false) process.off(signal, onSignal)
          open.delete(wb)
        }).pipe(
          // the worker flushed at its drain; what still fails here can only be reported, not counted
          Effect.andThen(Effect.catch(wb.flush, (error) =>
            Effect.sync(() => {
              const lost = wb.takeLost()
              process.stderr.write(`effect-fapilog: sink ${name} closed with ${lost} events not written: ${error.message}\n`)
            }))),
          Effect.andThen(Effect.sync(() => wb.cancelReopen())),
          Effect.andThen(Effect.callback<void>((resume) => fs.close(wb.fd, () => resume(Effect.void))))
        )
    ).pipe(Effect.map(({ wb }): Writer => ({
      write: (batch) => wb.write(batch),
      writeUnsafe: (batch) => wb.writeUnsafe(batch),
      flush: wb.flush,
      takeLost: () => wb.takeLost()
    }))),
    reopen: Effect.suspend(() =>
      Effect.forEach(Array.from(open), (wb) =>
        Effect.callback<void, SinkError>((resume) =>
          wb.requestReopen((error) =>
            resume(
              error === undefined
                ? Effect.void
                : Effect.fail(new SinkError({ sink: name, message: `cannot reopen ${path}: ${error.message}`, cause: error }))
            )
          )
        ), { discard: true })
    )
  }
}

/**
 * Exports events to an OpenTelemetry collector over OTLP/HTTP (protobuf by default, JSON as an
 * option, gzip optional), following the OTel log data model: `timeUnixNano`,
 * `observedTimeUnixNano`, `severityNumber` (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17,
 * FATAL 21) and `severityText`, the message as `body`, annotations and fields as attributes
 * (nested objects and arrays become `kvlist`/`array` values; anything else, and anything hostile,
 * its JSON text), `traceId`/`spanId` of the current Effect span, the logger name as the
 * instrumentation scope, `service.name` and `resource` as resource attributes.
 *
 * Write-behind: the worker hands a batch over and moves on; one fiber posts batches of up to
 * `maxBatchSize` records. 408, 429, 5xx answers and network errors are retried (exponential
 * backoff with jitter, read from `Clock`; `Retry-After` honoured); other 4xx are not. Records
 * finally not delivered — retries exhausted, refused, rejected by a `partialSuccess` answer, or
 * pushed out of a full queue — are counted as `"sink failure"` drops in the worker metrics at
 * the next batch or flush; nothing is silently cleared. Closing the sink waits up to
 * `shutdownTimeout` for the queue and reports what is left on stderr.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const collector = Sink.otlp({ url: "http://localhost:4318/v1/logs", serviceName: "checkout" })
 * const program = Effect.logInfo("order placed").pipe(
 *   Effect.provide(Fapilog.layer({ sinks: [Sink.stdout(), collector] }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const otlp = (options: OtlpOptions): Sink => {
  const name = `otlp:${options.url}`
  const config: OtlpExport.Config = {
    name,
    url: options.url,
    headers: options.headers ?? {},
    resource: Otlp.resourceAttributes(options.serviceName, options.resource),
    encoding: options.encoding ?? "protobuf",
    gzip: options.gzip ?? false,
    timeout: Duration.fromInputUnsafe(options.timeout ?? "10 seconds"),
    maxRetries: Math.max(0, Math.floor(options.maxRetries ?? 5)),
    retryBase: Duration.fromInputUnsafe(options.retryBase ?? "500 millis"),
    retryMax: Duration.fromInputUnsafe(options.retryMax ?? "30 seconds"),
    maxBatchSize: Math.max(1, Math.floor(options.maxBatchSize ?? 512)),
    maxQueueSize: Math.max(1, Math.floor(options.maxQueueSize ?? 20_000)),
    shutdownTimeout: Duration.fromInputUnsafe(options.shutdownTimeout ?? "5 seconds")
  }
  return make(
    name,
    Effect.suspend(() => {
      try {
        const url = new URL(options.url)
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`unsupported protocol ${url.protocol}`)
      } catch (cause) {
        return Effect.fail(new SinkError({ sink: name, message: `invalid OTLP url ${options.url}: ${errorMessage(cause)}`, cause }))
      }
      return Effect.map(OtlpExport.start(config), (exporter): Writer => ({
        write: (batch) => Effect.sync(() => exporter.enqueue(batch.events)),
        writeUnsafe: (batch) => exporter.enqueue(batch.events),
        flush: Effect.flatMap(exporter.awaitIdle, (error) =>
          error === undefined ? Effect.void : Effect.fail(new SinkError({ sink: name, message: error }))),
        takeLost: exporter.takeLost
      }))
    })
  )
}

/**
 * {@link OtlpOptions} from the standard OpenTelemetry environment variables, or `undefined` when
 * no endpoint is set:
 *
 * | variable | meaning |
 * | --- | --- |
 * | `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` | full logs URL, used as is |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL; `/v1/logs` is appended |
 * | `OTEL_EXPORTER_OTLP_LOGS_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS` | `k=v,k2=v2`, URL-decoded |
 * | `OTEL_SERVICE_NAME` | `service.name` |
 * | `OTEL_RESOURCE_ATTRIBUTES` | `k=v,k2=v2` resource attributes |
 * | `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` (default) or `http/json` |
 * | `OTEL_EXPORTER_OTLP_LOGS_COMPRESSION`, `OTEL_EXPORTER_OTLP_COMPRESSION` | `gzip` or `none` |
 * | `OTEL_EXPORTER_OTLP_LOGS_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT` | milliseconds |
 *
 * A malformed value is a `ConfigError` naming the variable.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const program = Effect.gen(function*() {
 *   const options = yield* Sink.otlpConfig
 *   const sinks = options === undefined ? [Sink.stdout()] : [Sink.stdout(), Sink.otlp(options)]
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const otlpConfig: EffectConfig.Config<OtlpOptions | undefined> = EffectConfig.all({
  logsEndpoint: optionalString("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
  endpoint: optionalString("OTEL_EXPORTER_OTLP_ENDPOINT"),
  logsHeaders: keyValues("OTEL_EXPORTER_OTLP_LOGS_HEADERS"),
  headers: keyValues("OTEL_EXPORTER_OTLP_HEADERS"),
  serviceName: optionalString("OTEL_SERVICE_NAME"),
  resource: keyValues("OTEL_RESOURCE_ATTRIBUTES"),
  protocol: EffectConfig.Literals(["http/protobuf", "http/json"], "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL").pipe(
    EffectConfig.orElse(() => EffectConfig.Literals(["http/protobuf", "http/json"], "OTEL_EXPORTER_OTLP_PROTOCOL")),
    EffectConfig.withDefault<"http/protobuf" | "http/json">("http/protobuf")
  ),
  compression: EffectConfig.Literals(["gzip", "none"], "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION").pipe(
    EffectConfig.orElse(() => EffectConfig.Literals(["gzip", "none"], "OTEL_EXPORTER_OTLP_COMPRESSION")),
    EffectConfig.withDefault<"gzip" | "none">("none")
  ),
  timeout: EffectConfig.Int("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT").pipe(
    EffectConfig.orElse(() => EffectConfig.Int("OTEL_EXPORTER_OTLP_TIMEOUT")),
    EffectConfig.withDefault(10_000)
  )
}).pipe(EffectConfig.map((env): OtlpOptions | undefined => {
  let url = env.logsEndpoint
  if (url === undefined && env.endpoint !== undefined) {
    url = env.endpoint.endsWith("/") ? env.endpoint + "v1/logs" : env.endpoint + "/v1/logs"
  }
  if (url === undefined) return undefined
  const headers = { ...env.headers, ...env.logsHeaders }
  return {
    url,
    headers,
    ...(env.serviceName !== undefined ? { serviceName: env.serviceName } : {}),
    ...(Object.keys(env.resource).length > 0 ? { resource: env.resource } : {}),
    encoding: env.protocol === "http/json" ? "json" : "protobuf",
    gzip: env.compression === "gzip",
    timeout: Duration.millis(Math.max(1, env.timeout))
  }
}))

/**
 * The OTLP sink configured from the environment (see {@link otlpConfig}), or `undefined` when no
 * OTLP endpoint variable is set.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const program = Effect.gen(function*() {
 *   const collector = yield* Sink.otlpFromEnv
 *   const sinks = collector === undefined ? [Sink.stdout()] : [Sink.stdout(), collector]
 *   yield* Effect.logInfo("configured").pipe(Effect.provide(Fapilog.layer({ sinks })))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const otlpFromEnv: EffectConfig.Config<Sink | undefined> = EffectConfig.map(
  otlpConfig,
  (options) => options === undefined ? undefined : otlp(options)
)

/**
 * Sends events to a syslog receiver (rsyslog, syslog-ng, a relay) as RFC 5424 messages:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, with PRI = facility × 8 +
 * severity (Fatal 2, Error 3, Warn 4, Info 6, Debug and Trace 7), the logger name as MSGID,
 * the logger, correlation, trace and span ids as structured data, and the JSON line as MSG.
 *
 * Over TCP (default) and TLS, messages are framed by octet counting (RFC 6587) unless
 * `framing: "newline"`; the connection is opened in the background and re-opened with backoff
 * whenever it drops, and messages logged meanwhile wait in a bounded buffer (overflow is counted
 * as sink failures). Layer construction never waits for the receiver. UDP sends one datagram
 * per message, cut at `maxMessageBytes`.
 *
 * Gotcha: TCP gives no application-level acknowledgement; messages handed to a connection
 * that the peer has just closed can be lost without an error (RFC 6587's known limit).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const relay = Sink.syslog({ host: "127.0.0.1", port: 514, facility: "local0", appName: "api" })
 * const program = Effect.logWarning("disk almost full").pipe(
 *   Effect.provide(Fapilog.layer({ sinks: [relay] }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const syslog = (options: SyslogOptions = {}): Sink => {
  const transport = options.transport ?? "tcp"
  const host = options.host ?? "127.0.0.1"
  const port = options.port ?? (transport === "tls" ? 6514 : 514)
  const name = `syslog:${transport}://${host}:${port}`
  const facilityOption = options.facility ?? "user"
  const facility = typeof facilityOption === "number" ? facilityOption : Syslog.facilities[facilityOption]
  const framing = options.framing ?? "octet-counting"
  const maxMessageBytes = Math.max(64, Math.floor(options.maxMessageBytes ?? (transport === "udp" ? 2048 : 8192)))
  return make(
    name,
    Effect.suspend(() => {
      if (facility === undefined || !Number.isInteger(facility) || facility < 0 || facility > 23) {
        return Effect.fail(new SinkError({ sink: name, message: `invalid syslog facility ${String(facilityOption)}` }))
      }
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        return Effect.fail(new SinkError({ sink: name, message: `invalid port ${port}` }))
      }
      const format: Syslog.Format = {
        facility,
        hostname: Syslog.headerField(options.hostname ?? os.hostname(), 255),
        appName: Syslog.headerField(options.appName ?? process.title, 48),
        procId: Syslog.headerField(String(process.pid), 128),
        sdId: options.structuredData === false ? undefined : Syslog.sdName(options.structuredData ?? "fapilog@32473"),
        body: options.body ?? "json"
      }
      const open: Effect.Effect<Syslog.Transport, never, Scope.Scope> = transport === "udp"
        ? Syslog.datagram({ name, host, port })
        : Syslog.stream({
          name,
          host,
          port,
          tls: transport === "tls" ? options.tls ?? {} : undefined,
          maxBuffered: Math.max(1, Math.floor(options.maxBuffered ?? 10_000)),
          reconnectBase: Duration.fromInputUnsafe(options.reconnectBase ?? "100 millis"),
          reconnectMax: Duration.fromInputUnsafe(options.reconnectMax ?? "30 seconds"),
          connectTimeout: Duration.fromInputUnsafe(options.connectTimeout ?? "10 seconds"),
          closeTimeout: Duration.fromInputUnsafe(options.closeTimeout ?? "2 seconds"),
          onConnection: options.onConnection
        })
      const frames = (batch: Batch): Array<Buffer> => {
        const out: Array<Buffer> = []
        const json = format.body === "json"
        const lines = json ? batch.ndjson.split("\n") : undefined
        let i = 0
        for (const event of batch.events) {
          if (event.control !== undefined) continue
          const msg = Syslog.truncateUtf8(Syslog.formatMessage(event, json ? lines![i++] ?? "" : "", format), maxMessageBytes)
          out.push(transport === "udp" ? msg : Syslog.frame(msg, framing))
        }
        return out
      }
      return Effect.map(open, (t): Writer => ({
        write: (batch) => Effect.sync(() => t.send(frames(batch))),
        writeUnsafe: (batch) => t.send(frames(batch)),
        flush: Effect.flatMap(t.flush, (error) =>
          error === undefined ? Effect.void : Effect.fail(new SinkError({ sink: name, message: error }))),
        takeLost: t.takeLost
      }))
    })
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
 * @example
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * // a write that takes longer than 2 seconds fails (and is counted) instead of holding the worker
 * const layer = Fapilog.layer({ sinks: [Sink.timeout(Sink.file("logs/app.jsonl"), "2 seconds")] })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeout = (sink: Sink, duration: Duration.Input): Sink =>
  mapWriter(sink, (w) => {
    const timedOut = (what: string) => () =>
      Effect.fail(
        new SinkError({ sink: sink.name, message: `${what} timed out after ${Duration.format(Duration.fromInputUnsafe(duration))}` })
      )
    const flush = w.flush
    return {
      ...w,
      write: (batch) => Effect.timeoutOrElse(w.write(batch), { duration, orElse: timedOut("write") }),
      // a write-behind sink that stalls must not hold a flush (and the worker) forever either
      flush: flush === undefined ? undefined : Effect.timeoutOrElse(flush, { duration, orElse: timedOut("flush") })
    }
  })

/**
 * Retries a failed write with exponential backoff (`base`, doubling, at most `times` retries).
 * Time is read from `Clock`, so `TestClock` drives the backoff in tests.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const post = (body: string) =>
 *   Effect.tryPromise({
 *     try: () => fetch("http://collector.internal/logs", { method: "POST", body }),
 *     catch: (cause) => new Sink.SinkError({ sink: "collector", message: String(cause), cause })
 *   })
 * const collector = Sink.make("collector", Effect.succeed<Sink.Writer>({ write: (b) => Effect.asVoid(post(b.ndjson)), writeUnsafe: undefined }))
 * const resilient = Sink.retry(Sink.timeout(collector, "2 seconds"), { times: 5, base: "100 millis" })
 * ```
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
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * // counts the events written to stdout, on the effectful and on the synchronous path
 * let written = 0
 * const counted = Sink.mapWriter(Sink.stdout(), (w) => ({
 *   ...w,
 *   write: (batch) => Effect.tap(w.write(batch), () => Effect.sync(() => written += batch.events.length)),
 *   writeUnsafe: w.writeUnsafe && ((batch) => (w.writeUnsafe!(batch), written += batch.events.length))
 * }))
 * ```
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
  #unencodable = 0
  constructor(events: ReadonlyArray<LogEvent>) {
    this.events = events
  }
  get ndjson(): string {
    if (this.#ndjson === undefined) {
      const lines = Encoder.encodeLines(Encoder.json, this.events)
      this.#ndjson = lines.text
      this.#unencodable = lines.unencodable
    }
    return this.#ndjson
  }
  /** Valid once `ndjson` was read. */
  get unencodable(): number {
    return this.#unencodable
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
  private idleWaiters: Array<() => void> = []
  private roomWaiters: Array<() => void> = []
  private reopenRequested = false
  private reopenWaiters: Array<(error: NodeJS.ErrnoException | undefined) => void> = []

  constructor(fd: number, name: string, highWaterMark: number, target: FileTarget) {
    this.fd = fd
    this.name = name
    this.highWaterMark = highWaterMark
    this.target = target
    this.size = fileSize(fd)
    this.period = Rotate.periodOf(target.now(), target.interval)
  }

  write(batch: Batch): Effect.Effect<void, SinkError> {
    const data = batch.ndjson
    if (data.length === 0) return Effect.void
    this.append(data)
    if (this.pendingChars < this.highWaterMark) return Effect.void
    return Effect.callback<void>((resume) => {
      if (this.pendingChars < this.highWaterMark) return resume(Effect.void)
      this.roomWaiters.push(() => resume(Effect.void))
    })
  }

  writeUnsafe(batch: Batch): void {
    const data = batch.ndjson
    if (data.length === 0) return
    if (!this.inflight && this.isEmpty()) {
      if (this.reopenRequested) this.reopenSync()
      let buffer = Buffer.from(data, "utf8")
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
      return
    }
    this.append(data)
  }

  get flush(): Effect.Effect<void, SinkError> {
    return Effect.callback<void, SinkError>((resume) => {
      const done = () => {
        const error = this.error
        this.error = undefined
        if (error === undefined) resume(Effect.void)
        else resume(Effect.fail(new SinkError({ sink: this.name, message: `write failed: ${error.message}`, cause: error })))
      }
      if (!this.inflight && this.isEmpty()) done()
      else this.idleWaiters.push(done)
    })
  }

  takeLost(): number {
    const n = this.lost
    this.lost = 0
    return n
  }

  /**
   * Reopens the path (after logrotate moved the file): at once when idle, else right after the
   * write in flight; `done` learns whether the new file could be opened.
   */
  requestReopen(done?: (error: NodeJS.ErrnoException | undefined) => void): void {
    this.reopenRequested = true
    if (done !== undefined) this.reopenWaiters.push(done)
    if (!this.inflight) this.reopenSync()
  }

  /** Ends pending reopen requests (the sink is closing). */
  cancelReopen(): void {
    this.reopenRequested = false
    const waiters = this.reopenWaiters
    this.reopenWaiters = []
    for (const w of waiters) w(undefined)
  }

  private isEmpty(): boolean {
    return this.filled === 0 && this.overflow.length === 0
  }

  private append(data: string): void {
    if (this.overflow.length === 0 && data.length * 3 <= POOL_BYTES - this.filled) {
      const fill = this.fill ??= Buffer.allocUnsafe(POOL_BYTES)
      this.filled += fill.write(data, this.filled, "utf8")
    } else {
      this.overflow.push(Buffer.from(data, "utf8"))
    }
    this.pendingChars += data.length
    if (!this.inflight) this.next()
  }

  private next(): void {
    if (this.reopenRequested) this.reopenSync()
    if (this.isEmpty()) {
      this.inflight = false
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const w of waiters) w()
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
    this.wakeRoom()
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
    const waiters = this.reopenWaiters
    this.reopenWaiters = []
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
    for (const w of waiters) w(error)
    return error === undefined
  }

  private wakeRoom(): void {
    if (this.roomWaiters.length === 0) return
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const w of waiters) w()
  }
}

const fileSize = (fd: number): number => {
  try {
    return fs.fstatSync(fd).size
  } catch {
    return 0
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

function optionalString(name: string): EffectConfig.Config<string | undefined> {
  return EffectConfig.String(name).pipe(
    EffectConfig.map((v): string | undefined => v.trim() === "" ? undefined : v.trim()),
    EffectConfig.withDefault<string | undefined>(undefined)
  )
}

function keyValues(name: string): EffectConfig.Config<Record<string, string>> {
  return EffectConfig.String(name).pipe(
    EffectConfig.withDefault(""),
    EffectConfig.mapEffect((text) => {
      try {
        return Effect.succeed(Otlp.parseKeyValueList(text))
      } catch (e) {
        return Effect.fail(
          new EffectConfig.ConfigError(new ConfigProvider.SourceError({ message: `${name}: ${errorMessage(e)}` }))
        )
      }
    })
  )
}
