/**
 * Aggregator figures (issue 5), run by `bench/run.ts` in fresh child processes:
 *
 * - part `mix`: the realistic mix of `bench/workload/mix.ts` (60 s of simulated traffic, seeds
 *   `--seeds 1,2,3`) replayed through `Aggregator.repetitive()` (defaults) under `TestClock`, 50 ms
 *   of simulated time at a time (the events of each slice are offered to the operator's input
 *   queue, then the clock is moved by 50 ms, so windows close as they would in real time). Per
 *   seed and in total: events in and out per category, the reduction of the system-log share
 *   (pool, health, metric) and of the whole volume, how many user-action, business and error
 *   events were aggregated (must be 0), and the conservation check (per category, events out
 *   individually plus `_count` of aggregates = events in).
 * - part `heap` (needs `--expose-gc`): 1,000 live keys (the default `maxKeys`), each with an open
 *   aggregate: key `k` is the template `"cache refresh {k} for {region}"` on its own correlation
 *   id, logged 20 times with a typical context (8 fields, 4 of them varying, so the aggregate also
 *   keeps distinct values). Heap used (`process.memoryUsage().heapUsed` after `gc()`) with the
 *   operator running and holding the 1,000 keys, minus the same with the operator running and no
 *   event offered yet. The input events are released before measuring. Then the input ends and
 *   the 1,000 aggregates must come out, conserving every count.
 *
 * Usage: `node [--expose-gc] bench/aggregation.ts --part mix|heap [--seeds 1,2,3] [--duration-ms 60000]`.
 * Prints one JSON line on stdout.
 *
 * @module
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import * as Aggregator from "../src/Aggregator.ts"
import * as LogEvent from "../src/LogEvent.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Mix from "./workload/mix.ts"

type Counts = Record<Mix.Category, number>

const zero = (): Counts => ({ pool: 0, health: 0, metric: 0, user: 0, business: 0, error: 0 })

/** Lets the consumer fiber process everything offered so far. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

/** Starts `Aggregator.repetitive()` on a queue; `count` sees every output event. */
const start = (count: (event: LogEvent.LogEvent) => void) =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<LogEvent.LogEvent, Cause.Done>()
    const { counters, snapshot } = Pipeline.makeCounters()
    const fiber = yield* Stream.fromQueue(queue).pipe(
      Aggregator.repetitive(),
      Stream.runForEachArray((array) =>
        Effect.sync(() => {
          for (let i = 0; i < array.length; i++) count(array[i]!)
        })
      ),
      Effect.provideService(Pipeline.Counters, counters),
      Effect.forkChild
    )
    yield* settle
    return {
      offer: (events: ReadonlyArray<LogEvent.LogEvent>) => Effect.andThen(Queue.offerAll(queue, events), settle),
      end: Effect.andThen(Queue.end(queue), Fiber.join(fiber)),
      snapshot
    }
  })

const mixOne = (seed: number, durationMs: number) =>
  Effect.gen(function*() {
    const mix = Mix.generate({ seed, durationMs })
    yield* TestClock.setTime(mix.startTime)
    const volume = zero()
    const represented = zero()
    const aggregated = zero()
    let aggregates = 0
    const h = yield* start((event) => {
      const category = Mix.categoryOf(event)
      if (category === undefined) return
      volume[category]++
      represented[category] += Aggregator.count(event)
      if (Aggregator.isAggregated(event)) {
        aggregated[category]++
        aggregates++
      }
    })
    let i = 0
    for (let t = mix.startTime; t < mix.endTime; t += 50) {
      const slice: Array<LogEvent.LogEvent> = []
      while (i < mix.events.length && mix.events[i]!.timestamp < t + 50) slice.push(mix.events[i++]!)
      if (slice.length > 0) yield* h.offer(slice)
      yield* TestClock.adjust("50 millis")
    }
    yield* h.end
    const sum = (counts: Counts, categories: ReadonlyArray<Mix.Category>) =>
      categories.reduce((n, c) => n + counts[c], 0)
    const all = Object.keys(volume) as Array<Mix.Category>
    const systemIn = sum(mix.counts, Mix.systemCategories)
    const systemOut = sum(volume, Mix.systemCategories)
    const totalIn = sum(mix.counts, all)
    const totalOut = sum(volume, all)
    return {
      seed,
      durationMs,
      requests: mix.requests,
      in: mix.counts,
      out: volume,
      aggregatedEvents: aggregated,
      aggregates,
      absorbed: h.snapshot().absorbed,
      conserved: all.every((c) => represented[c] === mix.counts[c]),
      systemIn,
      systemOut,
      systemReduction: 1 - systemOut / systemIn,
      totalIn,
      totalOut,
      totalReduction: 1 - totalOut / totalIn,
      userOrBusinessAggregated: aggregated.user + aggregated.business,
      errorsAggregated: aggregated.error
    }
  })

const partMix = async (seeds: ReadonlyArray<number>, durationMs: number): Promise<Record<string, unknown>> => {
  const perSeed: Array<Effect.Success<ReturnType<typeof mixOne>>> = []
  for (const seed of seeds) {
    perSeed.push(await Effect.runPromise(mixOne(seed, durationMs).pipe(Effect.provide(TestClock.layer()))))
  }
  const total = <K extends "systemIn" | "systemOut" | "totalIn" | "totalOut" | "userOrBusinessAggregated" | "errorsAggregated">(
    key: K
  ) => perSeed.reduce((n, s) => n + s[key], 0)
  const systemIn = total("systemIn")
  const totalIn = total("totalIn")
  return {
    part: "mix",
    seeds,
    durationMs,
    systemShare: systemIn / totalIn,
    systemReduction: 1 - total("systemOut") / systemIn,
    totalReduction: 1 - total("totalOut") / totalIn,
    userOrBusinessAggregated: total("userOrBusinessAggregated"),
    errorsAggregated: total("errorsAggregated"),
    conserved: perSeed.every((s) => s.conserved),
    perSeed
  }
}

const KEYS = 1000
const OCCURRENCES = 20

const partHeap = async (): Promise<Record<string, unknown>> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("part heap needs node --expose-gc")
  const heap = () => {
    gc()
    gc()
    return process.memoryUsage().heapUsed
  }
  const program = Effect.gen(function*() {
    let out = 0
    let aggregates = 0
    let represented = 0
    const h = yield* start((event) => {
      if (event.control !== undefined) return
      out++
      represented += Aggregator.count(event)
      if (Aggregator.isAggregated(event)) aggregates++
    })
    const before = heap()
    const now = Date.UTC(2024, 0, 1)
    for (let round = 0; round < OCCURRENCES; round++) {
      const batch: Array<LogEvent.LogEvent> = []
      for (let k = 0; k < KEYS; k++) {
        const region = ["eu-west-1", "us-east-1", "ap-south-1"][(k + round) % 3]!
        batch.push(LogEvent.make({
          timestamp: now + round,
          level: "Info",
          logger: "cache",
          message: `cache refresh ${k} for ${region}`,
          template: "cache refresh {k} for {region}",
          fields: {
            k,
            region,
            host: "web-1",
            service: "catalog",
            version: "1.4.2",
            entries: 1000 + round * 7 + k,
            duration_ms: (round * 13 + k) % 97,
            shard: `shard-${(round + k) % 16}`
          },
          correlationId: `job-${k}`
        }))
      }
      yield* h.offer(batch)
    }
    const after = heap()
    const absorbedWhileLive = h.snapshot().absorbed
    yield* h.end
    return {
      part: "heap",
      keys: KEYS,
      occurrencesPerKey: OCCURRENCES,
      heapBefore: before,
      heapAfter: after,
      heapBytes: after - before,
      heapMb: (after - before) / 2 ** 20,
      bytesPerKey: (after - before) / KEYS,
      absorbedWhileLive,
      passedIndividually: out - aggregates,
      aggregatesAtEnd: aggregates,
      conserved: represented === KEYS * OCCURRENCES
    }
  })
  // TestClock: time never moves, so no window closes while the 1,000 aggregates are live
  return Effect.runPromise(program.pipe(Effect.provide(TestClock.layer())))
}

const argv = process.argv.slice(2)
const get = (flag: string): string | undefined => {
  const i = argv.indexOf(flag)
  return i === -1 ? undefined : argv[i + 1]
}
const part = get("--part") ?? "mix"
const seeds = (get("--seeds") ?? "1,2,3").split(",").map(Number)
const durationMs = Number(get("--duration-ms") ?? 60_000)
const run = part === "heap" ? partHeap() : partMix(seeds, durationMs)
run.then(
  (result) => {
    process.stdout.write(JSON.stringify({ ...result, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n")
  },
  (error: unknown) => {
    process.stderr.write(`aggregation ${part} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exit(1)
  }
)
