/**
 * The child-process side of the benchmark: argument parsing, call-site latency sampling, and the
 * one JSON line a runner prints on stdout for the parent.
 *
 * A runner is started by `bench/run.ts` as `node bench/runners/<system>.ts --events N --file PATH`
 * in a fresh process. It builds its logger (not timed), then times from the first logging call
 * until every event is flushed and the file is closed, and reports.
 *
 * @module
 */
import { performance } from "node:perf_hooks"
import * as Stats from "./Stats.ts"

/** What every runner receives from the parent. */import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"

export interface Args {
  /** Number of `info` events to log. */
  readonly events: number
  /** The JSON-lines file to write (in a fresh temp dir). Ignored by the no-op floor. */
  readonly file: string
}

/** Records the duration of one sampled call. */
export interface Latency {
  /** Record one sampled call's duration, in microseconds. */
  readonly record: (us: number) => void
  /** The samples recorded so far. */
  readonly samples: () => Float64Array
}

/** What a runner's body returns: the wall time of the timed section. */
export interface Timed {
  /** Milliseconds from the first logging call until everything was flushed and the file closed. */
  readonly wallMs: number
  /** Anything system-specific worth keeping in the results (must be JSON). */
  readonly extra?: Record<string, unknown>
}

/** The one JSON line a runner prints on stdout. */
export interface Result {
  readonly system: string
  readonly events: number
  readonly wallMs: number
  readonly eventsPerSec: number
  readonly latencyUs: Stats.Percentiles
  readonly maxRssMb: number
  readonly extra?: Record<string, unknown>
}

/**
 * 1 call in `SAMPLE_EVERY` is timed: those whose index `i` satisfies `i % SAMPLE_EVERY === 0`.
 * A prime, so that the timed calls fall on every position of a periodic workload (the 16 lines
 * of a request, a 256-event batch) instead of always on the same one.
 *
 * @example
 * ```ts
 * import * as Runner from "./Runner.ts"
 * const timed = (i: number) => Runner.isSampled(i)
 * ```
 */
export const SAMPLE_EVERY = 61

/** Whether call `i` is one of the timed ones (see {@link SAMPLE_EVERY}). */
export const isSampled = (i: number): boolean => i % SAMPLE_EVERY === 0

/** The message every system logs. */
export const MESSAGE = "request handled"

/** The constant field every system logs next to the counter `i`. */
export const USER = "alice"

/**
 * A high-resolution timestamp in milliseconds (`performance.now()`).
 *
 * @example
 * ```ts
 * import * as Runner from "./Runner.ts"
 * const t0 = Runner.now()
 * const elapsedUs = (Runner.now() - t0) * 1000
 * ```
 */
export const now = (): number => performance.now()

/**
 * Parses `--events N --file PATH` from the command line.
 *
 * @example
 * ```ts
 * import * as Runner from "./Runner.ts"
 * Runner.parseArgs(["--events", "10", "--file", "/tmp/x.jsonl"]).events // 10
 * ```
 */
export const parseArgs = (argv: ReadonlyArray<string>): Args => {
  let events = 1_000_000
  let file = ""
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = argv[i + 1]
    if (flag === "--events" && value !== undefined) {
      events = Number(value)
      i++
    } else if (flag === "--file" && value !== undefined) {
      file = value
      i++
    }
  }
  if (!Number.isSafeInteger(events) || events <= 0) throw new Error(`bad --events: ${events}`)
  return { events, file }
}

/**
 * A preallocated latency recorder for `events` calls sampled 1 in 61.
 *
 * @example
 * ```ts
 * import * as Runner from "./Runner.ts"
 * const latency = Runner.makeLatency(1000)
 * latency.record(1.5)
 * latency.samples().length // 1
 * ```
 */
export const makeLatency = (events: number): Latency => {
  const buffer = new Float64Array(Math.ceil(events / SAMPLE_EVERY) + 1)
  let count = 0
  return {
    record: (us) => {
      if (count < buffer.length) buffer[count++] = us
    },
    samples: () => buffer.subarray(0, count)
  }
}

/**
 * Runs a runner body and prints its result as one JSON line on stdout; on failure prints the
 * error on stderr and exits with code 1.
 *
 * @example
 * ```ts
 * import * as Runner from "./Runner.ts"
 * Runner.main("noop", async ({ events }, latency) => {
 *   const t0 = Runner.now()
 *   for (let i = 0; i < events; i++) latency.record(0)
 *   return { wallMs: Runner.now() - t0 }
 * })
 * ```
 */
export const main = (
  system: string,
  body: (args: Args, latency: Latency) => Promise<Timed>
): void => {
  const run = async (): Promise<void> => {
    const args = parseArgs(process.argv.slice(2))
    const latency = makeLatency(args.events)
    const timed = await body(args, latency)
    const result: Result = {
      system,
      events: args.events,
      wallMs: timed.wallMs,
      eventsPerSec: args.events / (timed.wallMs / 1000),
      latencyUs: Stats.percentiles(latency.samples()),
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      ...(timed.extra === undefined ? {} : { extra: timed.extra })
    }
    process.stdout.write(JSON.stringify(result) + "\n")
  }
  run().then(
    () => {
      process.exitCode = 0
    },
    (error: unknown) => {
      process.stderr.write(`[${system}] failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
      process.exit(1)
    }
  )
}

/**
 * The `Effect.logInfo(MESSAGE, { i, user })` loop shared by every runner that logs through Effect's
 * own API, so that all of them run exactly the same workload; 1 call in 61 is timed. Resolves to
 * the wall time from the first call until `layer` is released (for a file logger: everything
 * written and the file closed).
 */
export const runEffectLog = async <ROut, E>(
  events: number,
  latency: Latency,
  layer: Layer.Layer<ROut, E, never>
): Promise<number> => {
  let t0 = 0
  const program = Effect.gen(function*() {
    t0 = now()
    for (let i = 0; i < events; i++) {
      if (isSampled(i)) {
        const s = now()
        yield* Effect.logInfo(MESSAGE, { i, user: USER })
        latency.record((now() - s) * 1000)
      } else {
        yield* Effect.logInfo(MESSAGE, { i, user: USER })
      }
    }
  })
  await Effect.runPromise(Effect.provide(program, layer) as Effect.Effect<void, E>)
  return now() - t0
}

