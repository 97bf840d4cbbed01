/**
 * In-process pipeline throughput (issues 4 and 5), run by `bench/run.ts` in one fresh child
 * process: the pipeline alone, without queue, encoder or sink.
 *
 * The input is the non-repetitive workload of `bench/lib/Workload.ts` (`--events N` ordinary
 * events, 16 per correlation id, a `CorrelationEnd` after each request), pre-built as
 * `LogEvent`s in chunks of 256 (the worker's default batch size) outside the timed section. Each
 * variant is a pipeline applied to `Stream.fromArrays(...chunks)` and consumed with
 * `Stream.runForEachArray` (which counts what comes out); the timed section is one
 * `Effect.runPromise` of that. Every variant runs once untimed (JIT warm-up), then `--rounds R`
 * rounds, each running every variant once in an order rotated by one each round; the figure of a
 * variant is its median time.
 *
 * Usage: `node bench/pipeline.ts [--events N] [--rounds R]`. Prints one JSON line on stdout.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Aggregator from "../src/Aggregator.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Runner from "./lib/Runner.ts"
import * as Stats from "./lib/Stats.ts"
import * as Workload from "./lib/Workload.ts"

interface Variant {
  readonly id: string
  readonly label: string
  readonly stages: Workload.Stages
}

const variants: ReadonlyArray<Variant> = [
  { id: "identity", label: "no stage (stream floor)", stages: {} },
  { id: "sampler-1", label: "byCorrelation rate 1 alone", stages: { samplerRate: 1 } },
  { id: "sampler-0.1", label: "byCorrelation rate 0.1 alone", stages: { samplerRate: 0.1 } },
  { id: "sampler-0", label: "byCorrelation rate 0 alone", stages: { samplerRate: 0 } },
  { id: "aggregator", label: "Aggregator.repetitive() alone", stages: { aggregate: true } },
  { id: "full-no-sampler", label: "enrich + redact + aggregate", stages: { enrich: true, redact: true, aggregate: true } },
  {
    id: "full-no-aggregator",
    label: "enrich + redact + sample(1)",
    stages: { enrich: true, redact: true, samplerRate: 1 }
  },
  {
    id: "full",
    label: "enrich + redact + sample(1) + aggregate",
    stages: { enrich: true, redact: true, samplerRate: 1, aggregate: true }
  },
  {
    id: "full-0.1",
    label: "enrich + redact + sample(0.1) + aggregate",
    stages: { enrich: true, redact: true, samplerRate: 0.1, aggregate: true }
  },
  {
    id: "full-0",
    label: "enrich + redact + sample(0) + aggregate",
    stages: { enrich: true, redact: true, samplerRate: 0, aggregate: true }
  }
]

interface Run {
  readonly ms: number
  readonly out: number
  readonly aggregates: number
  readonly dropped: number
}

const runOnce = async (
  pipeline: Pipeline.Pipeline,
  chunks: ReadonlyArray<ReadonlyArray<LogEvent.LogEvent>>
): Promise<Run> => {
  let out = 0
  let aggregates = 0
  const { counters, snapshot } = Pipeline.makeCounters()
  const program = pipeline(Stream.fromArrays(...chunks)).pipe(
    Stream.runForEachArray((array) =>
      Effect.sync(() => {
        for (let i = 0; i < array.length; i++) {
          const event = array[i]!
          if (event.control !== undefined) continue
          out++
          if (Aggregator.isAggregated(event)) aggregates++
        }
      })
    ),
    Effect.provideService(Pipeline.Counters, counters)
  )
  const t0 = Runner.now()
  await Effect.runPromise(program)
  const ms = Runner.now() - t0
  const dropped = Object.values(snapshot().dropped).reduce((a, b) => a + b, 0)
  return { ms, out, aggregates, dropped }
}

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2)
  const get = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag)
    const value = i === -1 ? fallback : Number(argv[i + 1])
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`bad ${flag}`)
    return value
  }
  const events = get("--events", 200_000)
  const rounds = get("--rounds", 5)
  const chunks = Workload.chunks(events, 256)
  const warm = Workload.chunks(Math.min(events, 50_000), 256)
  const pipelines = variants.map((variant) => Workload.pipeline(variant.stages))
  for (const pipeline of pipelines) await runOnce(pipeline, warm)

  const runs: Array<Array<Run>> = variants.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const index = (k + round) % variants.length
      runs[index]!.push(await runOnce(pipelines[index]!, chunks))
    }
  }
  const byId: Record<string, { ms: number; nsPerEvent: number; eventsPerSec: number; out: number; aggregates: number; dropped: number; msByRound: Array<number> }> = {}
  variants.forEach((variant, index) => {
    const mine = runs[index]!
    const ms = Stats.median(mine.map((run) => run.ms))
    const last = mine[mine.length - 1]!
    byId[variant.id] = {
      ms,
      nsPerEvent: ms * 1e6 / events,
      eventsPerSec: events / (ms / 1000),
      out: last.out,
      aggregates: last.aggregates,
      dropped: last.dropped,
      msByRound: mine.map((run) => run.ms)
    }
  })
  const v = (id: string) => byId[id]!
  const net = (id: string) => v(id).nsPerEvent - v("identity").nsPerEvent
  const result = {
    events,
    rounds,
    chunkSize: 256,
    variants: variants.map((variant) => ({ id: variant.id, label: variant.label, ...v(variant.id) })),
    sampler: {
      // issue 4: throughput with byCorrelation(rate 1) relative to the same pipeline without a sampler
      ratioRate1VsNone: v("full").eventsPerSec / v("full-no-sampler").eventsPerSec,
      // ns per input event of the sampler stage alone, net of the stream floor
      aloneNsPerEventRate1: net("sampler-1"),
      aloneNsPerEventRate01: net("sampler-0.1"),
      aloneNsPerEventRate0: net("sampler-0"),
      // ns per input event of the full pipeline at rate 1 (every event kept) and 0 (every event dropped)
      fullNsPerEventRate1: v("full").nsPerEvent,
      fullNsPerEventRate01: v("full-0.1").nsPerEvent,
      fullNsPerEventRate0: v("full-0").nsPerEvent,
      keptAtRate01: v("full-0.1").out,
      droppedAtRate01: v("full-0.1").dropped
    },
    aggregator: {
      // issue 5: throughput with the aggregator on a non-repetitive stream relative to without it
      ratioWithVsWithout: v("full").eventsPerSec / v("full-no-aggregator").eventsPerSec,
      aloneNsPerEvent: net("aggregator"),
      aggregatesEmitted: v("full").aggregates,
      allEventsOut: v("full").out === events
    },
    maxRssMb: process.resourceUsage().maxRSS / 1024
  }
  process.stdout.write(JSON.stringify(result) + "\n")
}

main().catch((error: unknown) => {
  process.stderr.write(`pipeline bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})
