/**
 * The OTLP sink behind `Sink.otlp`: the writer over the export loop (`otlpExport.ts`). The
 * options read from the OpenTelemetry environment variables are `otlpEnv.ts`'s.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as OtlpExport from "./otlpExport.ts"
import * as Sink from "./sink.ts"

/**
 * The OTLP sink (see `Sink.otlp`): a name and a scoped writer over the export loop.
 *
 * @internal
 */
export const make = (config: OtlpExport.Config) => {
  const name = config.name
  return {
    [Sink.TypeId]: Sink.TypeId,
    name,
    open: Effect.suspend(() => {
      try {
        const url = new URL(config.url)
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`unsupported protocol ${url.protocol}`)
      } catch (cause) {
        return Effect.fail(new Sink.SinkError({ sink: name, message: `invalid OTLP url ${config.url}: ${Sink.errorMessage(cause)}`, cause }))
      }
      return Effect.map(OtlpExport.start(config), (exporter) => ({
        write: (batch: Sink.Encoded) => Effect.sync(() => exporter.enqueue(batch.events)),
        writeUnsafe: (batch: Sink.Encoded) => exporter.enqueue(batch.events),
        flush: Effect.flatMap(exporter.awaitIdle, (error) =>
          error === undefined ? Effect.void : Effect.fail(new Sink.SinkError({ sink: name, message: error }))),
        takeLost: exporter.takeLost
      }))
    })
  }
}
