/**
 * `npm run bench`: the throughput / latency / memory benchmark of effect-fapilog against pino,
 * winston, Effect's built-in file logger and the `Effect.log` no-op floor.
 *
 * Each system runs in a fresh child process, in alternating rounds (the order rotates every
 * round), on the same workload: N `info` events with a message and two fields, written as JSON
 * lines to a file in a fresh temp dir. After each run this process checks the file has exactly N
 * lines that each parse as JSON. It prints per-system medians and ratios, and writes
 * `bench/results/latest.json`, `bench/results/latest.md` (the table) and `bench/results/latest.svg`
 * (a bar chart of events/s). A `--quick` or `--only` run writes `latest-partial.*` instead, a
 * `--named` run `latest-named.*`, an `--extras` run `latest-extras.*`: only a full run replaces the
 * figures docs/benchmarks.md quotes.
 *
 * Then (unless skipped) the extra figures of issues 4, 5 and 7, each from fresh child processes:
 * the pipeline alone with and without sampler / aggregator (`bench/pipeline.ts`), the aggregator
 * on the realistic mix and its heap (`bench/aggregation.ts`), the event-loop delay at a paced
 * 100,000 events/s (`bench/eventloop.ts`), and memory over many events (`bench/memory.ts`); every
 * issue target is checked against the figures of the same run.
 *
 * Flags: `--quick` (200,000 events, 3 rounds, shortened extras), `--rounds N`, `--events N`,
 * `--only a,b`, `--named` (only the named-logger figures), `--no-named`, `--extras` (only the
 * extra figures), `--no-extras`, `--timeout SECONDS` (per child), `--list`. See docs/benchmarks.md.
 *
 * @module
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Chart from "./lib/Chart.ts"
import * as Child from "./lib/Child.ts"
import * as Report from "./lib/Report.ts"
import type * as Runner from "./lib/Runner.ts"
import * as Sections from "./lib/Sections.ts"
import * as Systems from "./lib/Systems.ts"
import * as Verify from "./lib/Verify.ts"

interface Options {
  readonly events: number
  readonly rounds: number
  readonly only: string | undefined
  readonly quick: boolean
  readonly named: "only" | "also" | "skip"
  readonly extras: "only" | "also" | "skip"
  readonly timeoutMs: number
  readonly list: boolean
}

const BENCH_DIR = import.meta.dirname
const RESULTS_DIR = Path.join(BENCH_DIR, "results")

const main = async (): Promise<void> => {
  const options = parseOptions(process.argv.slice(2))
  if (options.list) {
    for (const system of Systems.all) process.stdout.write(`${system.id.padEnd(24)} ${system.label}\n`)
    return
  }
  const systems = options.named === "only" || options.extras === "only" ? [] : Systems.select(options.only)
  const startedAt = new Date()
  const machine = describeMachine()
  log(
    `effect-fapilog bench: ${options.events.toLocaleString("en-US")} events × ${options.rounds} rounds × ` +
      `${systems.length} systems${options.named === "skip" ? "" : " + named-logger figures"}` +
      `${options.extras === "skip" ? "" : " + sampler/aggregator/event-loop/memory figures"}` +
      ` on ${machine.cpus}× ${machine.cpuModel}, Node ${machine.node}`
  )

  const entries: Array<Report.RoundEntry> = []
  for (let round = 1; round <= (systems.length === 0 ? 0 : options.rounds); round++) {
    const offset = (round - 1) % systems.length
    const order = [...systems.slice(offset), ...systems.slice(0, offset)]
    for (const system of order) {
      const entry = await runOne(system, round, options)
      entries.push(entry)
    }
  }

  let named: Record<string, unknown> | undefined
  if (options.named !== "skip" && options.extras !== "only") named = await runNamed(options)
  let extras: Sections.Extras | undefined
  if (options.extras !== "skip" && options.named !== "only") extras = await runExtras(options)

  const summaries = Report.summarize(systems, entries)
  const table = Report.markdown(summaries)
  const checked = extras === undefined && systems.length === 0 ? [] : Sections.targets(summaries, extras ?? {})
  const finishedAt = new Date()
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    machine,
    config: {
      events: options.events,
      rounds: options.rounds,
      systems: systems.map((system) => system.id),
      latencySampling: "1 call in 61 (i % 61 === 0), performance.now() around the single call"
    },
    summaries,
    rounds: entries,
    ...(named === undefined ? {} : { named }),
    ...(extras === undefined ? {} : { extras }),
    targets: checked
  }
  // A named-only, extras-only, `--quick` or `--only` run must not overwrite the tables of the last
  // full run (docs/benchmarks.md quotes them)
  const partial = options.quick || options.only !== undefined
  const base = options.named === "only"
    ? "latest-named"
    : options.extras === "only"
    ? "latest-extras"
    : partial
    ? "latest-partial"
    : "latest"
  const jsonPath = Path.join(RESULTS_DIR, `${base}.json`)
  await Fs.mkdir(RESULTS_DIR, { recursive: true })
  await Fs.writeFile(jsonPath, JSON.stringify(document, null, 2) + "\n")
  const namedText = named === undefined ? "" : Report.namedMarkdown(named)
  const extrasText = Sections.markdown(extras ?? {}, checked)
  if (systems.length > 0 || named !== undefined || extras !== undefined) {
    const workload = systems.length > 0
      ? ` · ${options.events.toLocaleString("en-US")} events, median of ${options.rounds} rounds`
      : ""
    const header = `<!-- ${document.command} · ${document.finishedAt} · ${machine.cpus}× ${machine.cpuModel}, ` +
      `Node ${machine.node}${workload} -->`
    const body = [
      systems.length > 0 ? table : "",
      namedText === "" ? "" : `Named loggers:\n\n${namedText}`,
      extrasText
    ]
      .filter((part) => part !== "")
      .join("\n\n")
    await Fs.writeFile(Path.join(RESULTS_DIR, `${base}.md`), `${header}\n\n${body}\n`)
  }
  if (systems.length > 0) {
    const subtitle = `${options.events.toLocaleString("en-US")} events, median of ${options.rounds} rounds · ` +
      `${machine.cpus}× ${machine.cpuModel} · Node ${machine.node} · ${document.finishedAt.slice(0, 10)}`
    await Fs.writeFile(Path.join(RESULTS_DIR, `${base}.svg`), Chart.svg(summaries, subtitle))
  }

  if (systems.length > 0) {
    process.stdout.write(`\n${options.events.toLocaleString("en-US")} events, median of ${options.rounds} rounds\n\n`)
    process.stdout.write(`${table}\n`)
  }
  if (named !== undefined) process.stdout.write(`\nnamed loggers (details in ${base}.json):\n${namedText}\n`)
  if (extrasText !== "") process.stdout.write(`\n${extrasText}\n`)
  const failures = summaries.flatMap((summary) => summary.failures.map((failure) => `${summary.id} ${failure}`))
  const namedFailures = named === undefined
    ? []
    : Object.entries(named).flatMap(([part, value]) =>
      isRecord(value) && typeof value["failure"] === "string" ? [`named ${part}: ${value["failure"]}`] : []
    )
  const extraFailures = extras === undefined ? [] : Sections.failures(extras).map((failure) => `extras ${failure}`)
  for (const failure of [...failures, ...namedFailures, ...extraFailures]) process.stdout.write(`FAILED ${failure}\n`)
  process.stdout.write(`\nwrote ${Path.relative(process.cwd(), jsonPath)}` +
    ` (${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s)\n`)
  if (failures.length + namedFailures.length + extraFailures.length > 0) process.exitCode = 1
}

const runOne = async (
  system: Systems.System,
  round: number,
  options: Options
): Promise<Report.RoundEntry> => {
  const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `fapilog-bench-${system.id}-`))
  const file = Path.join(dir, "out.jsonl")
  const prefix = `[round ${round}/${options.rounds}] ${system.id.padEnd(18)}`
  try {
    const outcome = await Child.run(
      Path.join(BENCH_DIR, system.runner),
      ["--events", String(options.events), "--file", file],
      { timeoutMs: options.timeoutMs, label: system.id }
    )
    if (outcome._tag === "Failed") {
      log(`${prefix} FAILED: ${outcome.reason}`)
      return { round, system: system.id, ok: false, failure: outcome.reason }
    }
    const result = outcome.result
    if (!isResult(result) || result.events !== options.events) {
      const reason = `unexpected result line: ${JSON.stringify(result).slice(0, 200)}`
      log(`${prefix} FAILED: ${reason}`)
      return { round, system: system.id, ok: false, failure: reason }
    }
    const figures = `${fmtInt(result.eventsPerSec).padStart(10)} ev/s  wall ${(result.wallMs / 1000).toFixed(2)} s` +
      `  p99 ${result.latencyUs.p99.toFixed(1)} µs  rss ${result.maxRssMb.toFixed(0)} MiB`
    if (!system.writesFile) {
      log(`${prefix} ${figures}  (writes no file)`)
      return { round, system: system.id, ok: true, result }
    }
    const verifyStart = performance.now()
    const verdict = await Verify.jsonLines(file, options.events)
    const verifySec = ((performance.now() - verifyStart) / 1000).toFixed(1)
    if (!verdict.ok) {
      const reason = `output check failed: ${verdict.problem ?? "?"} (${fmtInt(verdict.lines)} lines, ` +
        `${fmtInt(verdict.invalid)} invalid)`
      log(`${prefix} ${figures}  FAILED ${reason}`)
      return { round, system: system.id, ok: false, result, failure: reason }
    }
    log(`${prefix} ${figures}  ✓ ${fmtInt(verdict.lines)} valid lines, ${(verdict.bytes / 2 ** 20).toFixed(0)} MiB (checked in ${verifySec} s)`)
    return { round, system: system.id, ok: true, result, verified: { lines: verdict.lines, bytes: verdict.bytes } }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    log(`${prefix} FAILED: ${reason}`)
    return { round, system: system.id, ok: false, failure: reason }
  } finally {
    await Fs.rm(dir, { recursive: true, force: true })
  }
}

const runNamed = async (options: Options): Promise<Record<string, unknown>> => {
  const script = Path.join(BENCH_DIR, "named.ts")
  const out: Record<string, unknown> = {}
  const parts = [
    { part: "a", nodeArgs: [] as Array<string>, args: ["--calls", "1000000"] },
    { part: "b", nodeArgs: ["--expose-gc"], args: ["--loggers", "10000", "--idle-ms", "5000"] }
  ]
  for (const { part, nodeArgs, args } of parts) {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `fapilog-bench-named-${part}-`))
    try {
      const outcome = await Child.run(script, ["--part", part, "--dir", dir, ...args], {
        nodeArgs,
        timeoutMs: options.timeoutMs,
        label: `named-${part}`
      })
      if (outcome._tag === "Failed") {
        log(`[named ${part}] FAILED: ${outcome.reason}`)
        out[part] = { failure: outcome.reason }
      } else {
        log(`[named ${part}] ${JSON.stringify(outcome.result)}`)
        out[part] = outcome.result
      }
    } finally {
      await Fs.rm(dir, { recursive: true, force: true })
    }
  }
  return out
}

const runExtras = async (options: Options): Promise<Sections.Extras> => {
  const quick = options.quick
  const notes: Array<string> = []
  if (quick) {
    notes.push(
      "--quick: pipeline 100,000 events × 3 rounds, mix seed 1 only, event-loop delay over 2 s (not 5 s), " +
        "memory over 200,000 events and 5 rounds of 50,000 — not the issue's figures."
    )
  }
  /** Runs one extra child; `expected` lines of `file` are checked when given. */
  const part = async (
    name: string,
    script: string,
    args: ReadonlyArray<string>,
    nodeArgs: ReadonlyArray<string>,
    check?: { readonly file: string; readonly expected: (result: Record<string, unknown>) => number }
  ): Promise<Sections.Part> => {
    const outcome = await Child.run(Path.join(BENCH_DIR, script), args, {
      nodeArgs,
      timeoutMs: options.timeoutMs,
      label: name
    })
    if (outcome._tag === "Failed") {
      log(`[${name}] FAILED: ${outcome.reason}`)
      return { failure: outcome.reason }
    }
    if (!isRecord(outcome.result)) return { failure: `unexpected result line: ${JSON.stringify(outcome.result).slice(0, 200)}` }
    let result: Record<string, unknown> = outcome.result
    if (check !== undefined) {
      const expected = check.expected(result)
      const verdict = await Verify.jsonLines(check.file, expected)
      result = { ...result, verified: verdict.ok, verifiedLines: verdict.lines }
      if (!verdict.ok) {
        result = { ...result, failure: `output check failed: ${verdict.problem ?? "?"} (${fmtInt(verdict.lines)} lines)` }
      }
    }
    log(`[${name}] ${summarizeExtra(result)}`)
    return result
  }
  const withDir = async <A>(name: string, f: (dir: string) => Promise<A>): Promise<A> => {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), `fapilog-bench-${name}-`))
    try {
      return await f(dir)
    } finally {
      await Fs.rm(dir, { recursive: true, force: true })
    }
  }

  const pipeline = await part("pipeline", "pipeline.ts", [
    "--events",
    String(quick ? 100_000 : 500_000),
    "--rounds",
    String(quick ? 3 : 7)
  ], [])
  const mix = await part("mix", "aggregation.ts", ["--part", "mix", "--seeds", quick ? "1" : "1,2,3"], [])
  const heap = await part("heap", "aggregation.ts", ["--part", "heap"], ["--expose-gc"])

  const seconds = quick ? 2 : 5
  const eventloop: Record<string, Sections.Part> = {}
  for (const system of ["fapilog", "pino", "none"]) {
    eventloop[system] = await withDir(`eventloop-${system}`, (dir) => {
      const file = Path.join(dir, "out.jsonl")
      const args = ["--system", system, "--file", file, "--rate", "100000", "--seconds", String(seconds)]
      return part(
        `eventloop ${system}`,
        "eventloop.ts",
        args,
        [],
        system === "none" ? undefined : { file, expected: (r) => Number(r["events"]) }
      )
    })
  }

  const memory: Record<string, Sections.Part> = {}
  const memoryRuns = [
    { name: "peak", args: ["--part", "peak", "--events", String(quick ? 200_000 : 1_000_000)] },
    { name: "rounds", args: ["--part", "rounds", "--events", String(quick ? 50_000 : 200_000), "--rounds", "5"] }
  ]
  for (const run of memoryRuns) {
    memory[run.name] = await withDir(`memory-${run.name}`, (dir) => {
      const file = Path.join(dir, "out.jsonl")
      return part(`memory ${run.name}`, "memory.ts", [...run.args, "--file", file], ["--expose-gc"], {
        file,
        expected: (r) => Number(r["linesExpected"])
      })
    })
  }
  return { pipeline, mix, heap, eventloop, memory, notes }
}

/** A one-line progress summary of an extra child's result. */
const summarizeExtra = (result: Record<string, unknown>): string => {
  const text = JSON.stringify(result, (key, value: unknown) =>
    key === "perSeed" || key === "variants" || key === "msByRound" ? undefined :
      typeof value === "number" && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value)
  return text.length > 400 ? `${text.slice(0, 400)}…` : text
}

const parseOptions = (argv: ReadonlyArray<string>): Options => {
  let events: number | undefined
  let rounds: number | undefined
  let only: string | undefined
  let quick = false
  let named: Options["named"] | undefined
  let extras: Options["extras"] | undefined
  let timeoutMs = 180_000
  let list = false
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined) throw new Error(`${flag} needs a value`)
      return next
    }
    switch (flag) {
      case "--quick":
        quick = true
        break
      case "--events":
        events = positiveInt(flag, value())
        break
      case "--rounds":
        rounds = positiveInt(flag, value())
        break
      case "--only":
        only = value()
        break
      case "--named":
        named = "only"
        break
      case "--no-named":
        named = "skip"
        break
      case "--extras":
        extras = "only"
        break
      case "--no-extras":
        extras = "skip"
        break
      case "--timeout":
        timeoutMs = positiveInt(flag, value()) * 1000
        break
      case "--list":
        list = true
        break
      default:
        throw new Error(`unknown flag ${flag}; see docs/benchmarks.md`)
    }
  }
  return {
    events: events ?? (quick ? 200_000 : 1_000_000),
    rounds: Math.max(rounds ?? 3, 1),
    only,
    quick,
    // The named-logger figures belong to the full run; --quick and --only skip them unless asked.
    named: named ?? (quick || only !== undefined ? "skip" : "also"),
    // The extra figures run by default, shortened with --quick; --only skips them unless asked.
    extras: extras ?? (only !== undefined ? "skip" : "also"),
    timeoutMs,
    list
  }
}

const describeMachine = () => {
  const cpus = Os.cpus()
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    totalMemGiB: Number((Os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${Os.type()} ${Os.release()} ${Os.arch()}`,
    node: process.versions.node,
    loadAverageAtStart: Os.loadavg().map((load) => Number(load.toFixed(2)))
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

const isResult = (value: unknown): value is Runner.Result =>
  isRecord(value) && typeof value["eventsPerSec"] === "number" && typeof value["wallMs"] === "number" &&
  typeof value["events"] === "number" && typeof value["maxRssMb"] === "number" && isRecord(value["latencyUs"])

const positiveInt = (flag: string, text: string): number => {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${flag} expects a positive integer, got ${text}`)
  return value
}

const fmtInt = (value: number): string => Math.round(value).toLocaleString("en-US")

const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 2
})
