/**
 * The syslog sink behind `Sink.syslog`: options resolved and checked, events formatted and
 * framed (`syslog.ts`), written over the TCP/TLS connection or UDP socket.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as os from "node:os"
import * as Sink from "./sink.ts"
import * as Syslog from "./syslog.ts"

/** `Sink.syslog`'s options, resolved (defaults applied, not yet checked). @internal */
export interface Config {
  readonly name: string
  readonly transport: "tcp" | "udp" | "tls"
  /** the connection (its host and port are the sink's) */
  readonly stream: Syslog.StreamOptions
  /** `undefined` for an unknown facility name, reported as `facilityLabel` when the sink opens */
  readonly facility: number | undefined
  readonly facilityLabel: string
  readonly framing: "octet-counting" | "newline"
  readonly maxMessageBytes: number
  /** `undefined`: `os.hostname()` when the sink opens */
  readonly hostname: string | undefined
  /** `undefined`: `process.title` when the sink opens */
  readonly appName: string | undefined
  readonly sdId: string | undefined
  readonly body: "json" | "message"
}

/**
 * The syslog sink (see `Sink.syslog`): a name and a scoped writer.
 *
 * @internal
 */
export const make = (config: Config) => {
  const { facility, framing, maxMessageBytes, name, transport } = config
  const { host, port } = config.stream
  return {
    [Sink.TypeId]: Sink.TypeId,
    name,
    open: Effect.suspend(() => {
      if (facility === undefined || !Number.isInteger(facility) || facility < 0 || facility > 23) {
        return Effect.fail(new Sink.SinkError({ sink: name, message: `invalid syslog facility ${config.facilityLabel}` }))
      }
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        return Effect.fail(new Sink.SinkError({ sink: name, message: `invalid port ${port}` }))
      }
      const format: Syslog.Format = {
        facility,
        hostname: Syslog.headerField(config.hostname ?? os.hostname(), 255),
        appName: Syslog.headerField(config.appName ?? process.title, 48),
        procId: Syslog.headerField(String(process.pid), 128),
        sdId: config.sdId,
        body: config.body
      }
      const open: Effect.Effect<Syslog.Transport, never, Scope.Scope> = transport === "udp"
        ? Syslog.datagram({ name, host, port })
        : Syslog.stream(config.stream)
      const frames = (batch: Sink.Encoded): Array<Buffer> => {
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
      return Effect.map(open, (t) => ({
        write: (batch: Sink.Encoded) => Effect.sync(() => t.send(frames(batch))),
        writeUnsafe: (batch: Sink.Encoded) => t.send(frames(batch)),
        flush: Effect.flatMap(t.flush, (error) =>
          error === undefined ? Effect.void : Effect.fail(new Sink.SinkError({ sink: name, message: error }))),
        takeLost: t.takeLost
      }))
    })
  }
}
