/**
 * RFC 5424 formatting, RFC 6587 framing, and the connection behind `Sink.syslog`: TCP/TLS with
 * reconnection (backoff read from `Clock`) and a bounded buffer while disconnected, or UDP
 * datagrams truncated at a UTF-8 boundary.
 *
 * @internal
 */
// kept in the declarations (Sink.d.ts imports this file): a consumer's tsc reaches @types/node
// through it, with no `types` setting and no reliance on hoisting (scripts/consumer-check.sh)
/// <reference types="node" preserve="true" />
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as dgram from "node:dgram"
import * as net from "node:net"
import * as tls from "node:tls"
import type * as LogEvent from "../LogEvent.ts"
import * as Background from "./background.ts"
import * as Condition from "./condition.ts"
import { LostCount } from "./lostCount.ts"

// -----------------------------------------------------------------------------
// formatting
// -----------------------------------------------------------------------------

/** Facility names of RFC 5424 §6.2.1. @internal */
export const facilities: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23
}

/** Syslog severities: Fatal 2 (crit), Error 3, Warn 4, Info 6, Debug and Trace 7. @internal */
export const severities: Readonly<Record<string, number>> = {
  Fatal: 2,
  Error: 3,
  Warn: 4,
  Info: 6,
  Debug: 7,
  Trace: 7
}

/** @internal */
export interface Format {
  readonly facility: number
  readonly hostname: string
  readonly appName: string
  readonly procId: string
  readonly sdId: string | undefined
  readonly body: "json" | "message"
}

/** A header field: printable US-ASCII (33..126) only, at most `max` characters, `-` when empty. @internal */
export const headerField = (s: string, max: number): string => {
  let out = ""
  for (let i = 0; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i)
    if (c >= 33 && c <= 126) out += s[i]
  }
  return out === "" ? "-" : out
}

/** An SD-PARAM value with `"`, `\` and `]` escaped (RFC 5424 §6.3.3). @internal */
export const escapeParam = (s: string): string => s.replace(/["\\\]]/g, (c) => "\\" + c)

/** An SD-ID or PARAM-NAME: printable US-ASCII except `=`, space, `]`, `"`; at most 32 characters. @internal */
export const sdName = (s: string): string => {
  let out = ""
  for (let i = 0; i < s.length && out.length < 32; i++) {
    const c = s.charCodeAt(i)
    if (c >= 33 && c <= 126 && c !== 61 && c !== 93 && c !== 34) out += s[i]
  }
  return out === "" ? "_" : out
}

/** RFC 3339 UTC timestamp with milliseconds, or `-` for an invalid time. @internal */
export const timestamp = (ms: number): string => {
  if (!Number.isFinite(ms)) return "-"
  try {
    return new Date(ms).toISOString()
  } catch {
    return "-"
  }
}

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`. MSGID is the
 * logger name; the structured data carries the logger, correlation, trace and span ids; MSG is
 * the event's JSON line (given) or its message with control characters escaped.
 *
 * @internal
 */
export const formatMessage = (event: LogEvent.LogEvent, line: string, f: Format): string => {
  const pri = f.facility * 8 + (severities[event.level] ?? 6)
  let sd = "-"
  if (f.sdId !== undefined) {
    sd = "[" + f.sdId + " logger=\"" + escapeParam(event.logger) + "\""
    if (event.correlationId !== undefined) sd += " correlation_id=\"" + escapeParam(event.correlationId) + "\""
    if (event.traceId !== undefined) sd += " trace_id=\"" + escapeParam(event.traceId) + "\""
    if (event.spanId !== undefined) sd += " span_id=\"" + escapeParam(event.spanId) + "\""
    sd += "]"
  }
  const msg = f.body === "json" ? line : escapeControl(event.message)
  return "<" + pri + ">1 " + timestamp(event.timestamp) + " " + f.hostname + " " + f.appName + " " + f.procId + " " +
    headerField(event.logger, 32) + " " + sd + (msg === "" ? "" : " " + msg)
}

/** Cuts `text` to at most `max` UTF-8 bytes without splitting a character. @internal */
export const truncateUtf8 = (text: string, max: number): Buffer => {
  const buf = Buffer.from(text, "utf8")
  if (buf.length <= max) return buf
  let end = max
  // step back over continuation bytes (10xxxxxx) to the start of the cut character
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--
  return buf.subarray(0, end)
}

/** A frame: `LEN SP MSG` (octet counting, RFC 6587 §3.4.1) or `MSG LF` (non-transparent framing). @internal */
export const frame = (msg: Buffer, framing: "octet-counting" | "newline"): Buffer =>
  framing === "octet-counting"
    ? Buffer.concat([Buffer.from(msg.length + " ", "ascii"), msg])
    : Buffer.concat([msg, NEWLINE])

const NEWLINE = Buffer.from("\n", "ascii")

const escapeControl = (s: string): string =>
  s.replace(/[\x00-\x1f\x7f]/g, (c) => c === "\n" ? "\\n" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"))

// -----------------------------------------------------------------------------
// transports
// -----------------------------------------------------------------------------

/** @internal */
export interface Transport {
  /** Sends frames (one per event); never blocks. */
  readonly send: (frames: ReadonlyArray<Buffer>) => void
  /** Completes once everything sent so far reached the socket; the last error, if any. */
  readonly flush: Effect.Effect<string | undefined>
  readonly takeLost: () => number
}

/** @internal */
export interface StreamOptions {
  readonly name: string
  readonly host: string
  readonly port: number
  readonly tls: tls.ConnectionOptions | undefined
  readonly maxBuffered: number
  readonly reconnectBase: Duration.Duration
  readonly reconnectMax: Duration.Duration
  readonly connectTimeout: Duration.Duration
  readonly closeTimeout: Duration.Duration
  readonly onConnection: ((event: { readonly connected: boolean; readonly error?: string | undefined }) => void) | undefined
}

/**
 * A TCP or TLS connection kept open by a fiber: connect, wait for the close, sleep (exponential
 * backoff with jitter, reset after a successful connection), connect again. Frames sent while
 * disconnected wait in a bounded buffer (oldest dropped and counted past `maxBuffered`).
 *
 * @internal
 */
export const stream = (o: StreamOptions): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function*() {
    const s = new StreamState(o)
    const connectOnce = Effect.callback<net.Socket, Error>((resume) => {
      const options = { host: o.host, port: o.port }
      const socket = o.tls !== undefined
        ? tls.connect({ servername: net.isIP(o.host) === 0 ? o.host : undefined, ...o.tls, ...options })
        : net.connect(options)
      const onError = (err: Error) => {
        socket.destroy()
        resume(Effect.fail(err))
      }
      socket.once("error", onError)
      socket.once(o.tls !== undefined ? "secureConnect" : "connect", () => {
        socket.off("error", onError)
        resume(Effect.succeed(socket))
      })
      return Effect.sync(() => socket.destroy())
    }).pipe(
      Effect.timeoutOrElse({
        duration: o.connectTimeout,
        orElse: () => Effect.fail(new Error(`connect timed out after ${Duration.format(o.connectTimeout)}`))
      })
    )
    const awaitClose = (socket: net.Socket) =>
      Effect.callback<string | undefined>((resume) => {
        let error: string | undefined
        socket.on("error", (err) => {
          error = err.message
        })
        socket.once("close", () => resume(Effect.succeed(error)))
        // the peer closing its side ends the connection (syslog receivers never write back)
        socket.once("end", () => socket.destroy())
        return Effect.sync(() => socket.destroy())
      })
    const backoff = (attempt: number) =>
      Effect.flatMap(Random.next, (r) => {
        const base = Duration.toMillis(o.reconnectBase) * 2 ** Math.min(attempt, 30)
        const capped = Math.min(base, Duration.toMillis(o.reconnectMax))
        return Effect.sleep(Duration.millis(capped * (0.5 + r / 2)))
      })
    const loop = (attempt: number): Effect.Effect<never> =>
      Effect.flatMap(Effect.result(connectOnce), (r) => {
        if (r._tag === "Failure") {
          s.lastError = r.failure.message
          if (attempt === 0) o.onConnection?.({ connected: false, error: r.failure.message })
          return Effect.andThen(backoff(attempt), Effect.suspend(() => loop(attempt + 1)))
        }
        const socket = r.success
        s.attach(socket)
        o.onConnection?.({ connected: true })
        return Effect.flatMap(awaitClose(socket), (error) => {
          s.detach(error)
          o.onConnection?.({ connected: false, error })
          return Effect.andThen(backoff(0), Effect.suspend(() => loop(1)))
        })
      })
    yield* Background.runUntilClose(loop(0), {
      name: o.name,
      unit: "messages",
      idle: s.empty.await,
      timeout: o.closeTimeout,
      left: () => s.bufferedCount + s.inflightFrames + s.lost.count,
      close: () => s.close()
    })
    return {
      send: (frames) => s.send(frames),
      flush: s.flush,
      takeLost: s.lost.take
    }
  })

/** Bytes a TCP/TLS socket may hold unsent before new frames go to the bounded buffer. */
const SOCKET_HIGH_WATER = 1024 * 1024

/**
 * The state of a TCP/TLS syslog connection, changed by the send path, the connection fiber and
 * the socket's callbacks. Invariant: frames are handed to the socket in the order they were
 * sent; while a connection is up, frames wait in `buffer` only behind a write still in flight,
 * and that connection's own `drain` moves them on (a drain pending on an earlier connection has
 * no say over this one).
 */
class StreamState {
  readonly o: StreamOptions
  socket: net.Socket | undefined = undefined
  buffer: Array<Buffer> = []
  /** writes handed to the socket whose callback has not run */
  inflight = 0
  /** frames handed to the socket whose write has not completed */
  inflightFrames = 0
  readonly lost = new LostCount()
  lastError: string | undefined = undefined
  private flushError: string | undefined = undefined
  /** No write in flight (buffered frames wait for a connection, not for this). */
  readonly drained = new Condition.Condition(() => this.inflight === 0, true)
  /** Nothing buffered or in flight (for the close: buffered frames get a chance). */
  readonly empty = new Condition.Condition(() => this.inflight === 0 && this.buffer.length === 0, true)

  constructor(o: StreamOptions) {
    this.o = o
  }

  get bufferedCount(): number {
    return this.buffer.length
  }

  send(frames: ReadonlyArray<Buffer>): void {
    if (frames.length === 0) return
    const socket = this.socket
    if (socket !== undefined && this.buffer.length === 0 && socket.writableLength < SOCKET_HIGH_WATER) {
      return this.write(socket, frames)
    }
    // disconnected, or connected to a receiver that does not read: the same bounded buffer, so
    // memory stays bounded and what overflows is counted
    for (const f of frames) this.buffer.push(f)
    const over = this.buffer.length - this.o.maxBuffered
    if (over > 0) {
      this.buffer.splice(0, over)
      this.lost.add(over)
      this.flushError = `${socket === undefined ? "disconnected" : "receiver not reading"}; buffer full ` +
        `(${this.o.maxBuffered} messages): ${over} oldest dropped`
    }
    this.empty.update()
    // connected: the socket's next 'drain' moves the buffer on (see attach); with no drain to
    // come (nothing queued in the socket), move it now
    if (socket !== undefined && !socket.writableNeedDrain) this.pump(socket)
  }

  attach(socket: net.Socket): void {
    socket.setNoDelay(true)
    socket.setKeepAlive(true)
    this.socket = socket
    this.lastError = undefined
    // one listener per connection, gone with its socket
    socket.on("drain", () => this.pump(socket))
    this.pump(socket)
  }

  detach(error: string | undefined): void {
    this.socket = undefined
    this.lastError = error ?? "connection closed"
  }

  close(): void {
    this.socket?.end()
    this.socket = undefined
  }

  get flush(): Effect.Effect<string | undefined> {
    return Effect.map(this.drained.await, () => {
      let error = this.flushError
      this.flushError = undefined
      if (error === undefined && this.buffer.length > 0) {
        error = this.socket === undefined
          ? `not connected (${this.lastError ?? "connecting"}); ${this.buffer.length} messages buffered`
          : `receiver not reading; ${this.buffer.length} messages buffered`
      }
      return error
    })
  }

  /** Hands the buffer to `socket` if it is still the current connection. */
  private pump(socket: net.Socket): void {
    if (this.socket !== socket || this.buffer.length === 0) return
    const frames = this.buffer
    this.buffer = []
    this.write(socket, frames)
  }

  private write(socket: net.Socket, frames: ReadonlyArray<Buffer>): void {
    const data = frames.length === 1 ? frames[0]! : Buffer.concat(frames as Array<Buffer>)
    const n = frames.length
    this.inflight++
    this.inflightFrames += n
    this.settle()
    socket.write(data, (err) => {
      this.inflight--
      this.inflightFrames -= n
      if (err) {
        // handed to a dying connection: these are not known to have arrived
        this.lost.add(n)
        this.flushError = `write failed: ${err.message}`
      }
      this.settle()
    })
  }

  private settle(): void {
    this.drained.update()
    this.empty.update()
  }
}

/** @internal */
export interface DatagramOptions {
  readonly name: string
  readonly host: string
  readonly port: number
}

/**
 * UDP: one datagram per message; a send error counts the message as lost.
 *
 * @internal
 */
export const datagram = (o: DatagramOptions): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function*() {
    const type = net.isIPv6(o.host) ? "udp6" : "udp4"
    const socket = dgram.createSocket(type)
    socket.on("error", () => {
      // reported through the send callbacks
    })
    socket.unref()
    let inflight = 0
    const lost = new LostCount()
    let error: string | undefined
    const idle = new Condition.Condition(() => inflight === 0, true)
    yield* Effect.addFinalizer(() =>
      Effect.andThen(
        Effect.timeoutOption(idle.await, "2 seconds"),
        Effect.sync(() => socket.close())
      )
    )
    return {
      send: (frames) => {
        for (const msg of frames) {
          inflight++
          idle.update()
          socket.send(msg, o.port, o.host, (err) => {
            inflight--
            if (err) {
              lost.add(1)
              error = `send failed: ${err.message}`
            }
            idle.update()
          })
        }
      },
      flush: Effect.map(idle.await, () => {
        const e = error
        error = undefined
        return e
      }),
      takeLost: lost.take
    }
  })
