/**
 * Where encoded events go: the sink interface, the built-in sinks, and sink combinators.
 *
 * A `Sink` is a description; `open` acquires it in a `Scope` (a file is opened once per scope and
 * closed after the final drain, because the worker's drain finalizer runs before the sink's close
 * finalizer). The opened `Writer` receives whole batches under the contract written on
 * {@link Writer}. Combinators wrap a sink and return a sink that keeps that contract: `retry`,
 * `timeout`, `mapWriter`, `fanOut` (a fan-out of one sink is that sink).
 *
 * This module holds the interfaces, the memory and console sinks and the combinators; the file,
 * OTLP and syslog sinks are implemented in `internal/fileSink.ts`, `internal/otlpSink.ts` and
 * `internal/syslogSink.ts` (the OTLP options of the environment in `internal/otlpEnv.ts`), and
 * their constructors here resolve the documented defaults.
 *
 * The sinks that write lines (file, console, memory) write the batch's NDJSON, encoded once per
 * batch for all of them, or the lines of their own `encoder` (see {@link LineOptions}).
 *
 * @since 0.1.0
 */
import * as EffectConfig from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import { hasProperty } from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as tls from "node:tls"
import * as Encoder from "./Encoder.ts"
import * as ChunkedLines from "./internal/chunkedLines.ts"
import * as InternalFile from "./internal/fileSink.ts"
import * as Pretty from "./internal/pretty.ts"
import * as Otlp from "./internal/otlp.ts"
import * as OtlpEnv from "./internal/otlpEnv.ts"
import * as InternalOtlp from "./internal/otlpSink.ts"
import * as InternalSink from "./internal/sink.ts"
import * as Syslog from "./internal/syslog.ts"
import { LostCount } from "./internal/lostCount.ts"
import * as InternalSyslog from "./internal/syslogSink.ts"
import type { LogEvent } from "./LogEvent.ts"

/**
 * A batch of ordinary events handed to a writer, and its lines. Every encoding is lazy and done
 * once per batch and encoder, shared by every sink that asks for it: `ndjson` is the lines of the
 * default encoder (`Encoder.json`), shared by every sink of the layer that has no encoder of its
 * own; `lines(encoder)` the lines of any other encoder (`lines(Encoder.json).text` is `ndjson`).
 *
 * `unencodable` is how many of `events` are not in `ndjson` because they could not be encoded
 * (`Encoder.encodeLines`): the other events are still written, and the engine counts these as
 * dropped (reason `"encode failure"`). It is valid once `ndjson` was read (`0` before).
 * `lines(encoder).unencodable` is the same count for that encoder's lines.
 *
 * @example A writer that reports the sizes of each batch
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const human = Encoder.pretty({ colors: false })
 * const sizes = Sink.writer((batch: Sink.Batch) => {
 *   console.log(`${batch.events.length} events, ${batch.ndjson.length} characters of NDJSON`)
 *   console.log(`${batch.lines(human).text.length} characters for people`)
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
  /** The batch encoded by `encoder`: encoded on the first call for that encoder, then shared. */
  readonly lines: (encoder: Encoder.Encoder) => Encoder.Lines
}

/**
 * An opened sink: the contract between the engine and every sink, built-in or combined.
 *
 * **Who calls, in what order.** One engine (the worker of a logger) owns a writer between its
 * `open` and the close of its scope. It calls `write` (or `writeUnsafe`) with one batch at a
 * time, in log order, never two writes of the same writer concurrently; `takeLost` right after
 * every write and every flush; `flush` at every flush barrier (`log.flush`, the layer's drain),
 * after the writes that precede it.
 *
 * - `write(batch)` accepts a batch. It may return before the bytes reach the OS (write-behind),
 *   but then the writer must have `flush` and `takeLost`. A failure means the batch was not
 *   accepted: the engine counts all of its events as lost to this sink.
 * - `writeUnsafe(batch)`, when present, does the same synchronously; it serves `mode: "sync"`
 *   and the `block` policy's inline path (`Effect.log` cannot suspend). A throw means the batch
 *   was not accepted. Sinks without it are written through `write` on a detached fiber there.
 * - `flush` completes once every event accepted before it started is in the OS (or delivered,
 *   for a network sink), and fails if some of it is not: lost (counted by `takeLost`) or still
 *   held (a network sink waiting for its receiver; counted later if it is dropped). A writer
 *   without `flush` writes through (its `write` returns only once the bytes are out).
 * - `takeLost()` returns how many events accepted by an earlier `write` were lost since the last
 *   call, and resets the count.
 * - `flushUnsafe()`, when present, is the synchronous last resort of an exiting process: what
 *   the writer holds is written before `process.exit` completes (file sinks have it).
 * - `unencodable(batch)`, when present, is called after a write it accepted: how many of the
 *   batch's events the lines it wrote leave out because its encoder could not encode them. A
 *   writer that writes another encoding than `ndjson` (a sink's `encoder` option) has it; for
 *   the others the engine reads `batch.unencodable`. What every sink that accepted the batch
 *   left out is dropped (`"encode failure"`); what one sink left out and another wrote is that
 *   sink's failure.
 *
 * **Invariant.** Every event of an accepted batch is, by the time the next `flush` completes,
 * either in the OS (delivered) or counted exactly once by `takeLost`. Nothing is lost silently.
 *
 * **Must never.** `write` and `flush` must never die or hang forever (wrap a sink that can hang
 * in {@link timeout}); no member may reorder the batches it accepted.
 *
 * **Composition.** Combinators keep the contract: {@link fanOut} flushes every child (both
 * `flush` and `flushUnsafe`), sums their losses and counts as unencodable what every child left
 * out, {@link retry} and {@link timeout} keep `flush`, `flushUnsafe`, `takeLost`, `unencodable`
 * and `writeUnsafe` (a `timeout` bounds `flush` too), and a
 * {@link mapWriter} function should spread the writer it is given (`{ ...w, write }`) so that
 * they survive.
 *
 * @example A writer with an effectful and a synchronous path
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
   * everything accepted so far is written, failing if some of it could not be (the lost events
   * are then counted by `takeLost`).
   */
  readonly flush?: Effect.Effect<void, SinkError> | undefined
  /**
   * For write-behind writers: how many accepted events were lost since the last call (reset on
   * read), so the worker can count them as sink failures.
   */
  readonly takeLost?: (() => number) | undefined
  /**
   * For write-behind writers that can write synchronously: writes what they hold, at once, on
   * the process's `exit` (when no callback will run again). Never throws; what fails is counted
   * by `takeLost`. Only for an exiting process: a write already in flight is left to the OS.
   */
  readonly flushUnsafe?: (() => void) | undefined
  /**
   * For writers that write their own encoder's lines (see {@link LineOptions}): how many of
   * `batch`'s events those lines leave out (`batch.lines(encoder).unencodable`). Absent: the
   * writer writes `batch.ndjson`, and `batch.unencodable` is its count.
   */
  readonly unencodable?: ((batch: Batch) => number) | undefined
}

/**
 * A sink description: a name (used in metrics and error reports) and a scoped acquisition.
 *
 * @example A hand-written sink that prints everything at the end
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
  /**
   * The brand of the sinks this module builds (see {@link TypeId}); optional, so that a
   * hand-written `{ name, open }` literal is still a sink.
   */
  readonly [TypeId]?: TypeId
  readonly name: string
  readonly open: Effect.Effect<Writer, SinkError, Scope.Scope>
}

/**
 * The brand carried by every sink this module's constructors and combinators build
 * (`"~effect-fapilog/Sink"`), as Effect's data types carry theirs. {@link isSink} checks it first.
 *
 * @example The sinks built here carry the brand
 * ```ts
 * import * as Sink from "effect-fapilog/Sink"
 *
 * console.log(Sink.memory()[Sink.TypeId] === Sink.TypeId) // => true
 * ```
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: TypeId = InternalSink.TypeId

/**
 * The type of {@link TypeId}.
 *
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = InternalSink.TypeId

/**
 * A sink failed to open or to write: `_tag: "SinkError"`, `sink` (the sink's name), `message`,
 * and the underlying `cause` when there is one. Constructed with `new Sink.SinkError({ ... })`.
 *
 * @example A sink whose writes always fail
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
export const SinkError: typeof InternalSink.SinkError = InternalSink.SinkError

/**
 * The type of {@link SinkError}: `_tag: "SinkError"`, the sink's `name`, a `message`, and the
 * underlying `cause` when there is one.
 *
 * @since 0.1.0
 * @category errors
 */
export type SinkError = InternalSink.SinkError

/**
 * A sink whose contents can be read back, for tests.
 *
 * @example Reading back what was logged
 * ```ts
 * import { Effect } from "effect"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const memory: Sink.MemorySink = Sink.memory()
 * const program = Effect.gen(function*() {
 *   yield* Effect.logWarning("low disk").pipe(Effect.provide(Fapilog.layer({ sinks: [memory] })))
 *   const lines = yield* memory.lines
 *   console.log(lines.length, JSON.parse(lines[0]!).msg) // => 1 low disk
 *   yield* memory.clear
 *   console.log((yield* memory.lines).length) // => 0
 * })
 * await Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MemorySink extends Sink {
  /** The events written so far, in order. */
  readonly events: Effect.Effect<ReadonlyArray<LogEvent>>
  /** The lines written so far (without newline): NDJSON, or its `encoder`'s lines. */
  readonly lines: Effect.Effect<ReadonlyArray<string>>
  readonly eventsUnsafe: () => ReadonlyArray<LogEvent>
  readonly linesUnsafe: () => ReadonlyArray<string>
  readonly clear: Effect.Effect<void>
}

/**
 * Output format of the console sinks.
 *
 * @example Pretty on a terminal, JSON otherwise
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
 * The option of every sink that writes lines ({@link file}, {@link stdout}, {@link stderr},
 * {@link memory}): `encoder`, the {@link Encoder.Encoder} whose lines the sink writes.
 *
 * Without it the sink writes the batch's NDJSON (`Encoder.json`), encoded once per batch for
 * every such sink of the layer. A sink with an encoder gets that encoder's lines instead; sinks
 * that share one encoder instance share its lines too (one encoding per batch and encoder), so
 * build an encoder once and pass it to every sink that writes its format.
 *
 * Events the encoder cannot encode (it throws, even one event at a time) are left out of that
 * sink's lines and counted: as that sink's failure (`sinkFailedEvents`) when another sink wrote
 * them, as dropped (reason `"encode failure"`) when no sink did. The sink's other lines, and the
 * other sinks, are written as usual.
 *
 * @example A plain-text file beside the NDJSON file
 * ```ts
 * import { Effect } from "effect"
 * import * as Encoder from "effect-fapilog/Encoder"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * // one line of `level message` per event, besides the NDJSON file
 * const plain: Encoder.Encoder = {
 *   encode: (event) => event.control !== undefined ? "" : `${event.level} ${event.message}`,
 *   encodeBatch: (events) => events.map((e) => e.control !== undefined ? "" : `${plain.encode(e)}\n`).join("")
 * }
 * const layer = Fapilog.layer({
 *   sinks: [Sink.file("logs/app.jsonl"), Sink.file("logs/app.txt", { encoder: plain })]
 * })
 * const program = Effect.logInfo("ready").pipe(Effect.provide(layer))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LineOptions {
  readonly encoder?: Encoder.Encoder | undefined
}

/**
 * Options of {@link stdout} and {@link stderr}: an `encoder` (see {@link LineOptions}), or a
 * `format`: `"json"` (default) or `"pretty"`, the {@link pretty} sink's format (an
 * `Encoder.pretty()` built when the sink opens, with `colors` decided then: `FORCE_COLOR` when
 * set, else none when `NO_COLOR` is set, else on a TTY). An `encoder` wins over `format`.
 *
 * @example Pretty lines without colours
 * ```ts
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const options: Sink.ConsoleOptions = { format: "pretty", colors: false }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsoleOptions extends LineOptions {
  readonly format?: Format | undefined
  readonly colors?: boolean | undefined
}

/**
 * Options of {@link memory}: the sink's `name` (default `"memory"`) and its `encoder` (see
 * {@link LineOptions}), whose lines `lines` returns.
 *
 * @example A memory sink that keeps the console format
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const options: Sink.MemoryOptions = { name: "console", encoder: Encoder.pretty({ colors: false }) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryOptions extends LineOptions {
  readonly name?: string | undefined
}

/**
 * Options of {@link file}.
 *
 * - `encoder`: the encoder whose lines the file gets (default: NDJSON; see {@link LineOptions}).
 * - `mode`: permissions of a created file (default `0o644`).
 * - `highWaterMark`: characters buffered before `write` waits for the disk (default 8 Mi).
 *   The text is encoded to UTF-8 into up to three reused buffers of 1 MiB, each grown (up to
 *   8 MiB) only for batches bigger than that: at most ~3 MiB per file sink for ordinary lines.
 * - `rotate`: see {@link RotateOptions}; no rotation when absent.
 * - `reopenOnSignal`: the signal that reopens the file (default `"SIGHUP"`), `false` for none.
 *
 * @example Rotation by size, no reopening on SIGHUP
 * ```ts
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const options: Sink.FileOptions = { rotate: { maxBytes: 50_000_000, maxFiles: 10 }, reopenOnSignal: false }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FileOptions extends LineOptions {
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
 * @example A new file every UTC day, two weeks kept
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
 * @example Reopening a file after it was moved
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
 * @example A local collector with a service name
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
 * @example Syslog over TLS
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
 * @example A batch of one event
 * ```ts
 * import * as LogEvent from "effect-fapilog/LogEvent"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const batch = Sink.makeBatch([LogEvent.make({ timestamp: 0, level: "Info", message: "hi", logger: "app" })])
 * const text = batch.ndjson // encoded here, once
 * console.log(text.endsWith("\n"), text.split("\n").length - 1) // => true 1
 * console.log(text.trim()) // => {"time":"1970-01-01T00:00:00.000Z","level":"INFO","logger":"app","msg":"hi"}
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeBatch = (events: ReadonlyArray<LogEvent>): Batch => new LazyBatch(events)

/**
 * A sink from a name and a scoped acquisition of its writer.
 *
 * @example A sink that counts events
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
export const make = (name: string, open: Effect.Effect<Writer, SinkError, Scope.Scope>): Sink => ({
  [TypeId]: TypeId,
  name,
  open
})

/**
 * A writer from a synchronous function; `write` and `writeUnsafe` both call it, and a throw
 * becomes a `SinkError`.
 *
 * @example A sink that collects messages
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
      catch: (cause) => new SinkError({ sink: name, message: InternalSink.errorMessage(cause), cause })
    }),
  writeUnsafe: f
})

/**
 * JSON lines (or the pretty format, or an encoder's lines: see {@link ConsoleOptions}) on
 * standard output.
 *
 * @example Standard output, plain or with shorter strings
 * ```ts
 * import * as Encoder from "effect-fapilog/Encoder"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const layer = Fapilog.layer({ sinks: [Sink.stdout()] })
 * // NDJSON with shorter strings on the console, the layer's other sinks keep the defaults
 * const short = Sink.stdout({ encoder: Encoder.make({ maxStringLength: 200 }) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const stdout = (options?: ConsoleOptions): Sink => stream("stdout", () => process.stdout, options)

/**
 * JSON lines (or the pretty format, or an encoder's lines: see {@link ConsoleOptions}) on
 * standard error.
 *
 * @example Logs on stderr, output on stdout
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
export const stderr = (options?: ConsoleOptions): Sink => stream("stderr", () => process.stderr, options)

/**
 * The human-readable development format (see `Encoder.pretty`) on standard output. Colours,
 * unless `colors` says otherwise, are decided when the sink opens: `FORCE_COLOR` when set, else
 * none when `NO_COLOR` is set, else on a TTY. The other {@link Encoder.PrettyOptions} (`width`,
 * `metadata`) pass through. Control characters are escaped so a line cannot forge another.
 *
 * @example A development layer
 * ```ts
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const dev = Fapilog.layer({ level: "Debug", sinks: [Sink.pretty({ stream: "stderr" })] })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const pretty = (options?: Encoder.PrettyOptions & { readonly stream?: "stdout" | "stderr" }): Sink =>
  stream(
    options?.stream ?? "stdout",
    () => options?.stream === "stderr" ? process.stderr : process.stdout,
    { ...options, format: "pretty" }
  )

/**
 * Appends JSON lines (or the lines of its `encoder`, see {@link LineOptions}) to a file,
 * optionally rotating it by size and/or time, and reopening it on `SIGHUP` (logrotate's
 * move-then-signal) or through {@link FileSink.reopen}.
 *
 * The file is opened (created if missing, with its parent directories, `O_APPEND`) when the
 * sink is acquired — a directory that cannot be created or a permission problem is a
 * `SinkError` at layer build time, not a crash later — and closed when the scope closes, after
 * the worker's final drain. Writes are write-behind:
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
 * the default behaviour. However many file sinks are open, the library installs one listener
 * per signal (no `MaxListenersExceededWarning`), removed when the last of them closes.
 *
 * @example A rotating file and a readable copy
 * ```ts
 * import { Effect } from "effect"
 * import * as Encoder from "effect-fapilog/Encoder"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const file = Sink.file("logs/app.jsonl", { rotate: { maxBytes: 10 * 1024 * 1024, maxFiles: 5 } })
 * // the console format, without colours, in a second file of the same layer
 * const readable = Sink.file("logs/app.log", { encoder: Encoder.pretty({ colors: false }) })
 * const program = Effect.gen(function*() {
 *   yield* Effect.logInfo("to a rotating file")
 *   yield* file.reopen // what a SIGHUP does: e.g. after an external tool moved the file
 * }).pipe(Effect.provide(Fapilog.layer({ sinks: [file, readable] })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const file = (path: string, options?: FileOptions): FileSink => {
  const rotate = options?.rotate
  const maxBytes = rotate === undefined
    ? undefined
    : rotate.maxBytes ?? (rotate.interval === undefined ? 10 * 1024 * 1024 : undefined)
  // the file sink's module (internal/fileSink.ts) writes `ndjson`; branded and encoded here
  const sink = InternalFile.make({
    path,
    mode: options?.mode ?? 0o644,
    highWaterMark: options?.highWaterMark ?? 8 * 1024 * 1024,
    maxBytes: maxBytes !== undefined && maxBytes > 0 ? maxBytes : undefined,
    maxFiles: Math.max(0, Math.floor(rotate?.maxFiles ?? 5)),
    interval: rotate?.interval,
    reopenOnSignal: options?.reopenOnSignal ?? "SIGHUP"
  })
  return { ...sink, [TypeId]: TypeId, open: Effect.map(sink.open, encodedWith(options?.encoder)) }
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
 * @example Stdout and an OpenTelemetry collector
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
  // the public encoder is handed to the converter here: internal modules never import it
  const limits = Otlp.makeLimits(Encoder)
  return InternalOtlp.make({
    name: `otlp:${options.url}`,
    url: options.url,
    headers: options.headers ?? {},
    resource: Otlp.resourceAttributes(options.serviceName, options.resource, limits),
    limits,
    encoding: options.encoding ?? "protobuf",
    gzip: options.gzip ?? false,
    timeout: Duration.fromInputUnsafe(options.timeout ?? "10 seconds"),
    maxRetries: Math.max(0, Math.floor(options.maxRetries ?? 5)),
    retryBase: Duration.fromInputUnsafe(options.retryBase ?? "500 millis"),
    retryMax: Duration.fromInputUnsafe(options.retryMax ?? "30 seconds"),
    maxBatchSize: Math.max(1, Math.floor(options.maxBatchSize ?? 512)),
    maxQueueSize: Math.max(1, Math.floor(options.maxQueueSize ?? 20_000)),
    shutdownTimeout: Duration.fromInputUnsafe(options.shutdownTimeout ?? "5 seconds")
  })
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
 * @example Exporting to OTLP only when configured
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
export const otlpConfig: EffectConfig.Config<OtlpOptions | undefined> = OtlpEnv.fromEnv

/**
 * The OTLP sink configured from the environment (see {@link otlpConfig}), or `undefined` when no
 * OTLP endpoint variable is set.
 *
 * @example The OTLP sink from the environment
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
 * @example A syslog relay on localhost
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
  const facility = options.facility ?? "user"
  return InternalSyslog.make({
    name,
    transport,
    stream: {
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
    },
    facility: typeof facility === "number" ? facility : Syslog.facilities[facility],
    facilityLabel: String(facility),
    framing: options.framing ?? "octet-counting",
    maxMessageBytes: Math.max(64, Math.floor(options.maxMessageBytes ?? (transport === "udp" ? 2048 : 8192))),
    hostname: options.hostname,
    appName: options.appName,
    sdId: options.structuredData === false ? undefined : Syslog.sdName(options.structuredData ?? "fapilog@32473"),
    body: options.body ?? "json"
  })
}

/**
 * An in-memory sink whose events and lines can be read back: the sink for tests. Takes its name
 * (default `"memory"`) or {@link MemoryOptions}: with an `encoder`, `lines` are that encoder's
 * (to test a custom encoder, or the console format, through the whole layer).
 *
 * @example Reading back events and lines
 * ```ts
 * import { Effect } from "effect"
 * import * as Encoder from "effect-fapilog/Encoder"
 * import { Fapilog, Sink } from "effect-fapilog"
 *
 * const memory = Sink.memory()
 * const screen = Sink.memory({ name: "screen", encoder: Encoder.pretty({ colors: false }) })
 * const program = Effect.gen(function*() {
 *   yield* Effect.logInfo("hello").pipe(Effect.provide(Fapilog.layer({ sinks: [memory, screen] })))
 *   const events = yield* memory.events
 *   const shown = yield* screen.lines // ["hh:mm:ss.mmm INFO  hello"]
 *   console.log(events.map((e) => `${e.level} ${e.message}`), shown[0]!.slice(13)) // => [ 'Info hello' ] INFO  [root] hello
 * })
 * await Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (options: string | MemoryOptions = {}): MemorySink => {
  const { encoder, name = "memory" } = typeof options === "string" ? { name: options, encoder: undefined } : options
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
    [TypeId]: TypeId,
    name,
    open: Effect.succeed(encodedWith(encoder)(writer(append, name))),
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
 * The fan-out keeps the {@link Writer} contract of its children: its `flush` flushes every child
 * (and fails if one of them failed), its `takeLost` is the sum of theirs, and it has a
 * synchronous `writeUnsafe` when every child has one. So `log.flush` through a fan-out of
 * write-behind file sinks returns only when every file has every line.
 *
 * @example Stdout and a file
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
  return make(sinks.map((s) => s.name).join("+"), Effect.map(Effect.forEach(sinks, (s) => s.open), fanOutWriter))
}

/** The writer of a fan-out: every member of the {@link Writer} contract applied to every child. */
const fanOutWriter = (writers: ReadonlyArray<Writer>): Writer => {
  const flushing = writers.flatMap((w) => w.flush === undefined ? [] : [w.flush])
  const counting = writers.flatMap((w) => w.takeLost === undefined ? [] : [w.takeLost])
  const flushingUnsafe = writers.flatMap((w) => w.flushUnsafe === undefined ? [] : [w.flushUnsafe])
  const ownEncoders = writers.some((w) => w.unencodable !== undefined)
  return {
    write: (batch) => Effect.suspend(() => allOf(writers.map((w) => w.write(batch)))),
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
      : undefined,
    // flushes every child, even when one of them fails; what they lost is in takeLost
    flush: flushing.length === 0 ? undefined : allOf(flushing),
    flushUnsafe: flushingUnsafe.length === 0 ? undefined : () => {
      for (const flushUnsafe of flushingUnsafe) flushUnsafe()
    },
    takeLost: counting.length === 0 ? undefined : () => {
      let n = 0
      for (const take of counting) n += take()
      return n
    },
    // left out of the fan-out: what every child left out (counted, not identified: the fewest)
    unencodable: !ownEncoders ? undefined : (batch) => {
      let n = Infinity
      for (const w of writers) n = Math.min(n, w.unencodable?.(batch) ?? batch.unencodable)
      return n
    }
  }
}

/** Runs every effect concurrently, each to its end; fails with the first failure, if any. */
const allOf = (effects: ReadonlyArray<Effect.Effect<void, SinkError>>): Effect.Effect<void, SinkError> =>
  Effect.flatMap(Effect.forEach(effects, Effect.result, { concurrency: "unbounded" }), (results) => {
    for (const r of results) if (r._tag === "Failure") return Effect.fail(r.failure)
    return Effect.void
  })

/**
 * Fails a write that takes longer than `duration` (a hanging sink cannot hold the worker).
 *
 * @example A deadline for every write
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
export const timeout: {
  (duration: Duration.Input): (sink: Sink) => Sink
  (sink: Sink, duration: Duration.Input): Sink
} = dual(2, (sink: Sink, duration: Duration.Input): Sink =>
  mapWriter(sink, (w: Writer): Writer => {
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
  }))

/**
 * Retries a failed write with exponential backoff (`base`, doubling, at most `times` retries).
 * Time is read from `Clock`, so `TestClock` drives the backoff in tests.
 *
 * @example Retries around a timeout
 * ```ts
 * import { Effect, pipe } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * const post = (body: string) =>
 *   Effect.tryPromise({
 *     try: () => fetch("http://collector.internal/logs", { method: "POST", body }),
 *     catch: (cause) => new Sink.SinkError({ sink: "collector", message: String(cause), cause })
 *   })
 * const collector = Sink.make("collector", Effect.succeed<Sink.Writer>({ write: (b) => Effect.asVoid(post(b.ndjson)), writeUnsafe: undefined }))
 * const resilient = Sink.retry(Sink.timeout(collector, "2 seconds"), { times: 5, base: "100 millis" })
 * // the same, data-last
 * const piped = pipe(collector, Sink.timeout("2 seconds"), Sink.retry({ times: 5, base: "100 millis" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  (options?: RetryOptions): (sink: Sink) => Sink
  (sink: Sink, options?: RetryOptions): Sink
} = dual((args) => isSink(args[0]), (sink: Sink, options?: RetryOptions): Sink => {
  const retryOptions = { schedule: Schedule.exponential(options?.base ?? "50 millis"), times: options?.times ?? 3 }
  return mapWriter(sink, (w: Writer): Writer => ({
    ...w,
    write: (batch) => Effect.retry(w.write(batch), retryOptions)
  }))
})

/**
 * Options of {@link retry}: at most `times` retries (default 3), the first after `base`
 * (default 50 ms), doubling.
 *
 * @example More patient retries
 * ```ts
 * import type * as Sink from "effect-fapilog/Sink"
 *
 * const patient: Sink.RetryOptions = { times: 5, base: "200 millis" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  readonly times?: number | undefined
  readonly base?: Duration.Input | undefined
}

/**
 * Whether `u` is a {@link Sink}: it carries {@link TypeId}, or, for a hand-written literal, it
 * has a string `name` and an `open` effect.
 *
 * @example Sinks and other objects
 * ```ts
 * import { Effect } from "effect"
 * import * as Sink from "effect-fapilog/Sink"
 *
 * console.log(Sink.isSink(Sink.memory())) // => true
 * console.log(Sink.isSink({ name: "literal", open: Effect.succeed(Sink.writer(() => {})) })) // => true
 * console.log(Sink.isSink({ times: 3 })) // => false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isSink = (u: unknown): u is Sink =>
  hasProperty(u, TypeId) ||
  (typeof u === "object" && u !== null && typeof (u as Sink).name === "string" && Effect.isEffect((u as Sink).open))

/**
 * Transforms the writer of a sink, keeping its name.
 *
 * @example Counting what a sink writes
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
export const mapWriter: {
  (f: (writer: Writer) => Writer): (sink: Sink) => Sink
  (sink: Sink, f: (writer: Writer) => Writer): Sink
} = dual(2, (sink: Sink, f: (writer: Writer) => Writer): Sink => make(sink.name, Effect.map(sink.open, f)))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

class LazyBatch implements Batch {
  readonly events: ReadonlyArray<LogEvent>
  #json: Encoder.Lines | undefined = undefined
  /** The lines of encoders other than `Encoder.json` (sinks with an `encoder`), by encoder. */
  #others: Map<Encoder.Encoder, Encoder.Lines> | undefined = undefined
  constructor(events: ReadonlyArray<LogEvent>) {
    this.events = events
  }
  lines(encoder: Encoder.Encoder): Encoder.Lines {
    if (encoder === Encoder.json) return this.#json ??= encodeLines(encoder, this.events)
    const others = this.#others ??= new Map()
    let lines = others.get(encoder)
    if (lines === undefined) {
      lines = encodeLines(encoder, this.events)
      others.set(encoder, lines)
    }
    return lines
  }
  get ndjson(): string {
    return this.lines(Encoder.json).text
  }
  /** `ndjson` in pieces of whole lines (what the file sink writes). */
  get ndjsonChunks(): ReadonlyArray<string> {
    return ChunkedLines.chunksOf(this.lines(Encoder.json))
  }
  /** Valid once `ndjson` was read. */
  get unencodable(): number {
    return this.#json === undefined ? 0 : this.#json.unencodable
  }
}

/** A batch's lines by `encoder`: as pieces when it makes them (see `internal/chunkedLines.ts`). */
const encodeLines = (encoder: Encoder.Encoder, events: ReadonlyArray<LogEvent>): Encoder.Lines =>
  ChunkedLines.encodeLines(encoder, events, () => Encoder.encodeLines(encoder, events))

/**
 * The writer of a sink with its own encoder: `writer` gets each batch as a {@link Reencoded}
 * view (its `ndjson` is `encoder`'s lines, encoded once per batch and encoder), and the engine
 * learns what those lines leave out (`unencodable`). Without an encoder: `writer` itself.
 */
const encodedWith = (encoder: Encoder.Encoder | undefined) => (writer: Writer): Writer => {
  if (encoder === undefined) return writer
  const writeUnsafe = writer.writeUnsafe
  return {
    ...writer,
    write: (batch) => writer.write(new Reencoded(batch, encoder)),
    writeUnsafe: writeUnsafe === undefined ? undefined : (batch) => writeUnsafe(new Reencoded(batch, encoder)),
    unencodable: (batch) => batch.lines(encoder).unencodable
  }
}

/** A batch as a sink with its own encoder sees it: `ndjson` is that encoder's lines. */
class Reencoded implements Batch {
  readonly batch: Batch
  readonly encoder: Encoder.Encoder
  constructor(batch: Batch, encoder: Encoder.Encoder) {
    this.batch = batch
    this.encoder = encoder
  }
  get events(): ReadonlyArray<LogEvent> {
    return this.batch.events
  }
  get ndjson(): string {
    return this.batch.lines(this.encoder).text
  }
  get ndjsonChunks(): ReadonlyArray<string> {
    return ChunkedLines.chunksOf(this.batch.lines(this.encoder))
  }
  get unencodable(): number {
    return this.batch.lines(this.encoder).unencodable
  }
  lines(encoder: Encoder.Encoder): Encoder.Lines {
    return this.batch.lines(encoder)
  }
}

/** A console sink: `options.encoder`, else the pretty encoder (`format: "pretty"`), else NDJSON. */
const stream = (
  name: string,
  target: () => NodeJS.WriteStream,
  options?: Encoder.PrettyOptions & ConsoleOptions
): Sink =>
  make(
    name,
    Effect.sync((): Writer => {
      const out = target()
      const encoder = options?.encoder ??
        (options?.format === "pretty" ? Encoder.pretty({ ...options, colors: options.colors ?? Pretty.colorsFor(out) }) : undefined)
      return encodedWith(encoder)(streamWriter(name, out))
    })
  )

/** Writes each batch's `ndjson` to `out`, in order; what `out` fails to write is counted lost. */
const streamWriter = (name: string, out: NodeJS.WriteStream): Writer => {
  // what the synchronous path handed to the stream and the stream then failed to write
  const lost = new LostCount()
  let error: Error | undefined
  const failure = (err: Error) => new SinkError({ sink: name, message: err.message, cause: err })
  return {
    write: (batch) =>
      Effect.suspend(() => {
        const data = batch.ndjson
        if (data.length === 0) return Effect.void
        return Effect.callback<void, SinkError>((resume) => {
          out.write(data, (err) => resume(err ? Effect.fail(failure(err)) : Effect.void))
        })
      }),
    writeUnsafe: (batch) => {
      const data = batch.ndjson
      if (data.length === 0) return
      const n = batch.events.length
      out.write(data, (err) => {
        if (!err) return
        lost.add(n)
        error = err
      })
    },
    // an empty write completes after every write before it (a stream writes in order)
    flush: Effect.callback<void, SinkError>((resume) => {
      out.write("", (err) => {
        const e = err ?? error
        error = undefined
        resume(e ? Effect.fail(failure(e)) : Effect.void)
      })
    }),
    takeLost: lost.take
  }
}
