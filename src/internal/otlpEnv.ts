/**
 * The OTLP options set by the standard OpenTelemetry environment variables (`Sink.otlpConfig`,
 * `Sink.otlpFromEnv`): which variables, their precedence (`*_LOGS_*` over the general ones) and
 * how each value is parsed.
 *
 * Who calls it: `Sink.ts`, which documents it. Must never: fail for an unset variable (only a
 * malformed one is a `ConfigError`, naming the variable).
 *
 * @internal
 */
import * as EffectConfig from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ErrorMessage from "./errorMessage.ts"
import * as Otlp from "./otlp.ts"

/** What the OpenTelemetry environment variables set (a subset of `Sink.OtlpOptions`). @internal */
export interface FromEnv {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly serviceName?: string
  readonly resource?: Readonly<Record<string, string>>
  readonly encoding: "protobuf" | "json"
  readonly gzip: boolean
  readonly timeout: Duration.Duration
}

/**
 * The OTLP options set by the OpenTelemetry environment variables (see `Sink.otlpConfig`), or
 * `undefined` when no endpoint is set.
 *
 * @internal
 */
export const fromEnv: EffectConfig.Config<FromEnv | undefined> = EffectConfig.all({
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
}).pipe(EffectConfig.map((env): FromEnv | undefined => {
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
          new EffectConfig.ConfigError(new ConfigProvider.SourceError({ message: `${name}: ${ErrorMessage.errorMessage(e)}` }))
        )
      }
    })
  )
}
