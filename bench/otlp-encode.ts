/**
 * The figure behind `src/internal/otlpProtobuf.ts`: OTLP protobuf encoding of 100,000 events
 * (batches of 512, the sink's default) with our writer and with Effect's
 * `OtlpSerialization.layerProtobuf`, on the same `LogsData` (the mapping from `LogEvent` is not
 * timed). Each writer runs in its own fresh process, alternately, `--runs N` times (default 3);
 * prints the median events/s of each. Checks first that both write the same bytes.
 *
 * Usage: `node bench/otlp-encode.ts [--runs N]` (a child is `node bench/otlp-encode.ts --child ours|effect`).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as OtlpSerialization from "effect/observability/OtlpSerialization"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Encoder from "../src/Encoder.ts"
import * as Otlp from "../src/internal/otlp.ts"
import * as LogEvent from "../src/LogEvent.ts"

const N = 100_000
const BATCH = 512
const limits = Otlp.makeLimits(Encoder)

const batches = (): Array<Otlp.LogsData> => {
  const resource = Otlp.resourceAttributes("bench", { "deployment.environment": "bench" }, limits)
  const out: Array<Otlp.LogsData> = []
  for (let i = 0; i < N; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, N - i) }, (_, j) =>
      LogEvent.make({
        timestamp: 1_700_000_000_000 + i + j,
        level: "Info",
        message: `request ${i + j} served`,
        logger: j % 2 === 0 ? "db" : "http",
        fields: { status: 200, ms: 12.5, path: "/api/orders", user: { id: i + j, roles: ["a", "b"] } },
        annotations: { region: "eu" },
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        correlationId: `req-${i + j}`
      }))
    out.push(Otlp.toLogsData(events, resource, "1700000000999000000", limits))
  }
  return out
}

const writers = Effect.gen(function*() {
  const ours = yield* Otlp.serializer("protobuf")
  const effect = yield* Effect.service(OtlpSerialization.OtlpSerialization).pipe(
    Effect.provide(OtlpSerialization.layerProtobuf)
  )
  return {
    ours: (data: Otlp.LogsData): Uint8Array => ours(data).bytes,
    effect: (data: Otlp.LogsData): Uint8Array => {
      const body = effect.logs(data)
      if (body._tag !== "Uint8Array") throw new Error(body._tag)
      return body.body
    }
  }
})

const child = (which: "ours" | "effect"): void => {
  const encode = Effect.runSync(writers)[which]
  const data = batches()
  for (const d of data) encode(d) // warm-up
  const t0 = performance.now()
  for (const d of data) encode(d)
  const ms = performance.now() - t0
  console.log(Math.round(N / (ms / 1000)))
}

const main = (): void => {
  const i = process.argv.indexOf("--runs")
  const runs = i > 0 ? Number(process.argv[i + 1]) : 3
  const w = Effect.runSync(writers)
  for (const d of batches().slice(0, 3)) {
    if (!Buffer.from(w.ours(d)).equals(Buffer.from(w.effect(d)))) throw new Error("the writers disagree")
  }
  const self = fileURLToPath(import.meta.url)
  const results: Record<string, Array<number>> = { ours: [], effect: [] }
  for (let r = 0; r < runs; r++) {
    for (const which of ["ours", "effect"] as const) {
      results[which]!.push(Number(execFileSync(process.execPath, [self, "--child", which], { encoding: "utf8" }).trim()))
    }
  }
  const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  for (const which of ["ours", "effect"] as const) {
    console.log(`${which}: median ${median(results[which]!)} events/s (runs: ${results[which]!.join(", ")})`)
  }
}

const c = process.argv.indexOf("--child")
if (c > 0) child(process.argv[c + 1] === "effect" ? "effect" : "ours")
else main()
