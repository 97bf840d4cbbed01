/**
 * Memory over many events (issue 7), run by `bench/run.ts` in fresh child processes with
 * `--expose-gc`, through the full pipeline of `bench/runners/fapilog-full.ts` (facade `log.info`,
 * requests of 16 lines in `Logger.withCorrelationId`, `Sink.file`, policy `block`, queue
 * capacity 10,000), logging in a tight loop:
 *
 * - part `peak`: after the layer is built and the first event flushed, `gc()`, then RSS is read
 *   (`rss0`); then `--events N` (default 1,000,000) events are logged and the layer is released.
 *   Peak RSS growth = `process.resourceUsage().maxRSS` at the end − `rss0` (an upper bound: the
 *   process high-water mark includes start-up).
 * - part `rounds`: in one process and one layer, `--rounds R` (default 5) rounds of
 *   `--events N` (default 200,000) events; after each round `log.flush` (everything written),
 *   then `gc()`, then RSS and `heapUsed` are read. Reported per round, with the least-squares
 *   slope (MB per round) over the rounds.
 *
 * The output file must hold every line (checked by the parent).
 *
 * Usage: `node --expose-gc bench/memory.ts --part peak|rounds --file PATH [--events N] [--rounds R]`.
 * Prints one JSON line on stdout.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { Fapilog, Logger, Sink } from "../src/index.ts"
import * as Runner from "./lib/Runner.ts"
import * as Workload from "./lib/Workload.ts"

const MB = 2 ** 20

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2)
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }
  const part = get("--part") ?? "peak"
  const file = get("--file") ?? ""
  const events = Number(get("--events") ?? (part === "peak" ? 1_000_000 : 200_000))
  const rounds = part === "peak" ? 1 : Number(get("--rounds") ?? 5)
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("memory bench needs node --expose-gc")
  const collect = () => {
    gc()
    gc()
  }
  const layer = Fapilog.layer({
    sinks: [Sink.file(file)],
    queue: { capacity: 10_000, policy: "block" },
    pipeline: Workload.layerPipeline() // + the layer's default redaction
  })
  const program = Effect.gen(function*() {
    const log = yield* Logger.named("bench")
    const logRange = (from: number, to: number) => Workload.logRange(log.info, from, to)
    // one warm-up event (not counted in N), so that the sink is open and every structure exists
    yield* log.info("warm-up", { i: -1 })
    yield* log.flush
    collect()
    const rss0 = process.memoryUsage().rss
    const heap0 = process.memoryUsage().heapUsed
    const perRound: Array<{ round: number; rssMb: number; heapUsedMb: number; ms: number }> = []
    for (let round = 0; round < rounds; round++) {
      const t0 = Runner.now()
      yield* logRange(round * events, (round + 1) * events)
      yield* log.flush
      const ms = Runner.now() - t0
      collect()
      const usage = process.memoryUsage()
      perRound.push({ round: round + 1, rssMb: usage.rss / MB, heapUsedMb: usage.heapUsed / MB, ms })
    }
    return { rss0, heap0, perRound }
  })
  const { rss0, heap0, perRound } = await Effect.runPromise(program.pipe(Effect.provide(layer)))
  const peak = process.resourceUsage().maxRSS * 1024
  const slope = (ys: ReadonlyArray<number>): number => {
    const n = ys.length
    if (n < 2) return 0
    const mx = (n - 1) / 2
    const my = ys.reduce((a, b) => a + b, 0) / n
    let num = 0
    let den = 0
    ys.forEach((y, x) => {
      num += (x - mx) * (y - my)
      den += (x - mx) ** 2
    })
    return num / den
  }
  process.stdout.write(JSON.stringify({
    part,
    events,
    rounds,
    linesExpected: events * rounds + 1,
    rssBeforeMb: rss0 / MB,
    heapBeforeMb: heap0 / MB,
    peakRssMb: peak / MB,
    peakRssGrowthMb: (peak - rss0) / MB,
    perRound,
    rssSlopeMbPerRound: slope(perRound.map((r) => r.rssMb)),
    heapSlopeMbPerRound: slope(perRound.map((r) => r.heapUsedMb)),
    maxRssMb: peak / MB
  }) + "\n")
}

main().catch((error: unknown) => {
  process.stderr.write(`memory bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})
