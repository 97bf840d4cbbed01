/**
 * Event-loop delay while logging at a paced rate (issue 7), run by `bench/run.ts` in one fresh
 * child process per system.
 *
 * Pacing is by real time: tick `k` is due at `t0 + k × 10 ms`; at each tick the program logs
 * `rate / 100` events (1,000 at the default 100,000 events/s) in a plain loop, then waits for the
 * next tick with `setTimeout` (0 ms when it is already late, so it always yields to the event
 * loop). `perf_hooks.monitorEventLoopDelay({ resolution: 1 })` is enabled for the paced period
 * only. Systems:
 *
 * - `fapilog`: the full pipeline of `bench/runners/fapilog-full.ts` (facade `log.info`, requests
 *   of 16 lines in `Logger.withCorrelationId`, `Sink.file`, policy `block`);
 * - `pino`: pino 10 with its async destination (`sync: false, minLength: 4096`), `logger.info`;
 * - `none`: the same pacing loop with no logging call (what the loop and timers cost alone).
 *
 * Reported: event-loop delay p50 / p99 / max in ms, the achieved rate (events / paced period),
 * how late the last tick started, the time spent logging per tick (p50 / p99 / max in ms), and
 * the drain time after the paced period (until the file is closed). The parent checks the file.
 *
 * Usage: `node bench/eventloop.ts --system fapilog|pino|none --file PATH [--rate 100000] [--seconds 5]`.
 * Prints one JSON line on stdout.
 *
 * @module
 */
import { once } from "node:events"
import { monitorEventLoopDelay } from "node:perf_hooks"
import * as Effect from "effect/Effect"
import { pino } from "pino"
import { Fapilog, Logger, Sink } from "../src/index.ts"
import * as Runner from "./lib/Runner.ts"
import * as Stats from "./lib/Stats.ts"
import * as Workload from "./lib/Workload.ts"

const TICK_MS = 10

interface Paced {
  readonly pacedMs: number
  readonly lastTickLateMs: number
  readonly tickMs: Float64Array
  readonly delay: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number }
}

/** The pacing loop: `logTick(from, to)` logs events `from` until `to` (synchronously or not). */
const pace = async (
  events: number,
  perTick: number,
  logTick: (from: number, to: number) => void | Promise<void>
): Promise<Paced> => {
  const ticks = Math.ceil(events / perTick)
  const tickMs = new Float64Array(ticks)
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  const t0 = Runner.now()
  let lastTickLateMs = 0
  for (let k = 0; k < ticks; k++) {
    const due = t0 + k * TICK_MS
    const wait = due - Runner.now()
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, wait)))
    const s = Runner.now()
    lastTickLateMs = s - due
    await logTick(k * perTick, Math.min(events, (k + 1) * perTick))
    tickMs[k] = Runner.now() - s
  }
  const pacedMs = Runner.now() - t0
  histogram.disable()
  const ms = (ns: number) => ns / 1e6
  return {
    pacedMs,
    lastTickLateMs,
    tickMs,
    delay: {
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      mean: ms(histogram.mean)
    }
  }
}

const runFapilog = async (file: string, events: number, perTick: number) => {
  const layer = Fapilog.layer({
    sinks: [Sink.file(file)],
    queue: { capacity: 10_000, policy: "block" },
    pipeline: Workload.layerPipeline() // + the layer's default redaction
  })
  let paced: Paced | undefined
  let loopEnd = 0
  const program = Effect.gen(function*() {
    const log = yield* Logger.named("bench")
    const tick = (from: number, to: number) => Workload.logRange(log.info, from, to)
    const services = yield* Effect.context<Logger.Loggers>()
    // the pacing loop is plain async code; each tick's logging runs as one effect
    paced = yield* Effect.promise(() =>
      pace(events, perTick, (from, to) => Effect.runPromiseWith(services)(tick(from, to)))
    )
    loopEnd = Runner.now()
  })
  await Effect.runPromise(program.pipe(Effect.provide(layer)))
  return { paced: paced!, drainMs: Runner.now() - loopEnd }
}

const runPino = async (file: string, events: number, perTick: number) => {
  const dest = pino.destination({ dest: file, sync: false, minLength: 4096 })
  await once(dest, "ready")
  const logger = pino(dest)
  const { MESSAGE, USER } = Runner
  const paced = await pace(events, perTick, (from, to) => {
    for (let i = from; i < to; i++) logger.info({ i, user: USER }, MESSAGE)
  })
  const loopEnd = Runner.now()
  const closed = once(dest, "close")
  dest.end()
  await closed
  return { paced, drainMs: Runner.now() - loopEnd }
}

const runNone = async (events: number, perTick: number) => {
  let sink = 0
  const paced = await pace(events, perTick, (from, to) => {
    for (let i = from; i < to; i++) sink += i
  })
  return { paced, drainMs: 0, sink }
}

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2)
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }
  const system = get("--system") ?? "fapilog"
  const file = get("--file") ?? ""
  const rate = Number(get("--rate") ?? 100_000)
  const seconds = Number(get("--seconds") ?? 5)
  const events = Math.round(rate * seconds)
  const perTick = Math.round(rate * TICK_MS / 1000)
  const outcome = system === "pino"
    ? await runPino(file, events, perTick)
    : system === "none"
    ? await runNone(events, perTick)
    : await runFapilog(file, events, perTick)
  const { paced, drainMs } = outcome
  const tick = Stats.percentiles(paced.tickMs)
  process.stdout.write(JSON.stringify({
    system,
    rate,
    seconds,
    events,
    perTick,
    pacedMs: paced.pacedMs,
    achievedPerSec: events / (paced.pacedMs / 1000),
    lastTickLateMs: paced.lastTickLateMs,
    delayMs: paced.delay,
    tickMs: { p50: tick.p50, p99: tick.p99, max: tick.max },
    drainMs,
    writesFile: system !== "none",
    maxRssMb: process.resourceUsage().maxRSS / 1024
  }) + "\n")
}

main().catch((error: unknown) => {
  process.stderr.write(`eventloop failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})
