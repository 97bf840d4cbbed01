/**
 * Named-logger figures (issue 3), run by `bench/run.ts` in fresh child processes:
 *
 * - part `a`: `--calls N` times `Logger.named("svc")` followed by `log.info(...)`: wall time, how
 *   many facades are cached afterwards (`Logger.cachedNames`), whether every call returned the
 *   same instance, and the facade's `metrics` snapshot; the output file must hold N lines.
 * - part `b` (needs `--expose-gc`): `--loggers N` distinct `Logger.named("svc-" + i)`, each logs
 *   one event and is flushed, then all are kept alive `--idle-ms` idle: process CPU time used
 *   during the idle period as % of one core (the first window right after setup, then a second
 *   consecutive window, next to the same idle period measured before the N loggers existed, as a
 *   reference), and heap bytes per cached facade
 *   ((heapUsed after − before) / N, both after `global.gc()`).
 *
 * Usage: `node [--expose-gc] bench/named.ts --part a|b --dir DIR [--calls N] [--loggers N] [--idle-ms MS]`.
 * Prints one JSON line on stdout.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { Fapilog, Logger, Sink } from "../src/index.ts"
import * as Path from "node:path"
import * as Runner from "./lib/Runner.ts"
import * as Verify from "./lib/Verify.ts"

interface Args {
  readonly part: string
  readonly dir: string
  readonly calls: number
  readonly loggers: number
  readonly idleMs: number
}

const partA = async (args: Args): Promise<Record<string, unknown>> => {
  const file = Path.join(args.dir, "named-a.jsonl")
  const layer = Fapilog.layer({ sinks: [Sink.file(file)], queue: { capacity: 10_000, policy: "block" } })
  const { now, MESSAGE, USER } = Runner
  let t0 = 0
  const program = Effect.gen(function*() {
    const first = yield* Logger.named("svc")
    let otherInstances = 0
    t0 = now()
    for (let i = 0; i < args.calls; i++) {
      const log = yield* Logger.named("svc")
      if (log !== first) otherInstances++
      yield* log.info(MESSAGE, { i, user: USER })
    }
    const loopMs = now() - t0
    const cachedNames = yield* Logger.cachedNames
    const metrics: unknown = yield* first.metrics
    return { loopMs, otherInstances, cachedNames: [...cachedNames], metrics }
  })
  const inside = await Effect.runPromise(program.pipe(Effect.provide(layer)))
  const wallMs = now() - t0
  const verdict = await Verify.jsonLines(file, args.calls)
  return {
    part: "a",
    calls: args.calls,
    loopMs: inside.loopMs,
    wallMsIncludingDrain: wallMs,
    callsPerSec: args.calls / (wallMs / 1000),
    sameInstanceEveryCall: inside.otherInstances === 0,
    cachedNamesCount: inside.cachedNames.length,
    cachedNames: inside.cachedNames.slice(0, 20),
    metrics: inside.metrics,
    fileLines: verdict.lines,
    fileOk: verdict.ok,
    ...(verdict.problem === undefined ? {} : { fileProblem: verdict.problem }),
    maxRssMb: process.resourceUsage().maxRSS / 1024
  }
}

const partB = async (args: Args): Promise<Record<string, unknown>> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("part b needs node --expose-gc")
  const collect = () => {
    gc()
    gc()
  }
  const file = Path.join(args.dir, "named-b.jsonl")
  const layer = Fapilog.layer({ sinks: [Sink.file(file)] })
  const program = Effect.gen(function*() {
    // One logger first, so one-time structures are not charged to the 10,000.
    const warm = yield* Logger.named("warmup")
    yield* warm.info("warm", { i: -1 })
    yield* warm.flush
    collect()
    // Reference: the same idle period with only the warm-up logger cached.
    const baseline = yield* idleCpu(args.idleMs)
    collect()
    const heapBefore = process.memoryUsage().heapUsed
    const rssBefore = process.memoryUsage().rss
    const loggers: Array<typeof warm> = []
    for (let i = 0; i < args.loggers; i++) loggers.push(yield* Logger.named(`svc-${i}`))
    for (let i = 0; i < loggers.length; i++) yield* (loggers[i] ?? warm).info("started", { i })
    for (const log of loggers) yield* log.flush
    collect()
    const heapAfter = process.memoryUsage().heapUsed
    const rssAfter = process.memoryUsage().rss
    const cachedNames = yield* Logger.cachedNames

    const idle = yield* idleCpu(args.idleMs)
    // A second, consecutive window: what staying idle costs once setup leftovers have settled.
    const steady = yield* idleCpu(args.idleMs)
    const sample: unknown = yield* (loggers[loggers.length - 1] ?? warm).metrics
    return {
      heapBytesPerFacade: (heapAfter - heapBefore) / args.loggers,
      rssBytesPerFacade: (rssAfter - rssBefore) / args.loggers,
      heapUsedBeforeMb: heapBefore / 2 ** 20,
      heapUsedAfterMb: heapAfter / 2 ** 20,
      cachedNamesCount: cachedNames.length,
      idleWallMs: idle.wallMs,
      idleCpuUserMs: idle.userMs,
      idleCpuSystemMs: idle.systemMs,
      idleCpuPercentOfOneCore: idle.percentOfOneCore,
      secondIdleCpuPercentOfOneCore: steady.percentOfOneCore,
      baselineIdleCpuPercentOfOneCore: baseline.percentOfOneCore,
      metricsOfLastFacade: sample,
      loggersKept: loggers.length
    }
  })
  const inside = await Effect.runPromise(program.pipe(Effect.provide(layer)))
  const verdict = await Verify.jsonLines(file, args.loggers + 1)
  return {
    part: "b",
    loggers: args.loggers,
    ...inside,
    fileLines: verdict.lines,
    fileOk: verdict.ok,
    ...(verdict.problem === undefined ? {} : { fileProblem: verdict.problem }),
    maxRssMb: process.resourceUsage().maxRSS / 1024
  }
}

/** Sleeps `ms` (the fiber is suspended on a timer) and measures the process CPU time meanwhile. */
const idleCpu = (ms: number) =>
  Effect.gen(function*() {
    const cpu0 = process.cpuUsage()
    const w0 = Runner.now()
    yield* Effect.sleep(ms)
    const cpu = process.cpuUsage(cpu0)
    const wallMs = Runner.now() - w0
    return {
      wallMs,
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
      percentOfOneCore: (cpu.user + cpu.system) / 1000 / wallMs * 100
    }
  })

const parse = (argv: ReadonlyArray<string>): Args => {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }
  const dir = get("--dir")
  if (dir === undefined) throw new Error("--dir is required")
  return {
    part: get("--part") ?? "a",
    dir,
    calls: Number(get("--calls") ?? 1_000_000),
    loggers: Number(get("--loggers") ?? 10_000),
    idleMs: Number(get("--idle-ms") ?? 5_000)
  }
}

const args = parse(process.argv.slice(2))
const run = args.part === "b" ? partB : partA
run(args).then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n")
  },
  (error: unknown) => {
    process.stderr.write(`named ${args.part} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exit(1)
  }
)
