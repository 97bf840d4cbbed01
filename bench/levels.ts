/**
 * Disabled-path and cache-hit figures for run-time levels (issue 18) and the LayerMap cache
 * (issue 14), in CPU time per call (process user + system), so that other load on the machine
 * distorts them less than wall time:
 *
 * - `effectOwnDisabled`: `Effect.logDebug` without the layer (Effect's `MinimumLogLevel` Info
 *   drops it before any logger) — the floor;
 * - `layerLogDebugDisabled`: `Effect.logDebug` inside `Fapilog.layer` with the root at Info
 *   (Effect lets it through to the layer's logger, which drops it by the root's current level);
 * - `facadeDebugDisabled`: `log.debug(msg, fields)` on a facade at Info;
 * - `namedHit`: `Logger.named("svc")` on a cached name;
 * - `namedPlusInfo`: `Logger.named("svc")` then `log.info` into a memory sink (bench/named.ts part a).
 *
 * Usage: `node bench/levels.ts [--calls N]`. Prints one JSON line (ns per call).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as EffectLogger from "effect/Logger"
import { Fapilog, Logger, Sink } from "../src/index.ts"

const arg = process.argv.indexOf("--calls")
const N = arg === -1 ? 300_000 : Number(process.argv[arg + 1])

const cpuNsPerCall = async (program: Effect.Effect<unknown, unknown>): Promise<number> => {
  const c0 = process.cpuUsage()
  await Effect.runPromise(program)
  const c = process.cpuUsage(c0)
  return Math.round((c.user + c.system) * 1000 / N)
}

const layer = () => Fapilog.layer({ sinks: [Sink.memory()], queue: { capacity: 10_000, policy: "block" } })

const main = async () => ({
  calls: N,
  effectOwnDisabled: await cpuNsPerCall(
    Effect.gen(function*() {
      for (let i = 0; i < N; i++) yield* Effect.logDebug("x")
    }).pipe(Effect.provide(EffectLogger.layer([EffectLogger.make(() => {})])))
  ),
  layerLogDebugDisabled: await cpuNsPerCall(
    Effect.gen(function*() {
      for (let i = 0; i < N; i++) yield* Effect.logDebug("x")
    }).pipe(Effect.provide(layer()))
  ),
  facadeDebugDisabled: await cpuNsPerCall(
    Effect.gen(function*() {
      const log = yield* Logger.named("svc")
      for (let i = 0; i < N; i++) yield* log.debug("x", { i })
    }).pipe(Effect.provide(layer()))
  ),
  namedHit: await cpuNsPerCall(
    Effect.gen(function*() {
      yield* Logger.named("svc")
      for (let i = 0; i < N; i++) yield* Logger.named("svc")
    }).pipe(Effect.provide(layer()))
  ),
  namedPlusInfo: await cpuNsPerCall(
    Effect.gen(function*() {
      for (let i = 0; i < N; i++) {
        const log = yield* Logger.named("svc")
        yield* log.info("x", { i })
      }
    }).pipe(Effect.provide(layer()))
  )
})

main().then((r) => process.stdout.write(JSON.stringify(r) + "\n"))
